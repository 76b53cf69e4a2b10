"""``Experiment``: a named group of sweeps in a workspace."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hypersweep.api.workspace import Workspace
from hypersweep.errors import InvalidConfigError

if TYPE_CHECKING:
    from hypersweep.api.hyperdrive_config import HyperDriveConfig
    from hypersweep.api.runs import HyperDriveRun

__all__ = ["Experiment"]


class Experiment:
    """A named group of sweeps in a workspace."""

    def __init__(self, workspace: Workspace | None, name: str) -> None:
        if not isinstance(name, str) or not name.strip():
            raise InvalidConfigError(f"experiment name {name!r} is invalid; give a non-empty "
                                     "string such as 'digits'")

        self.workspace = workspace if workspace is not None else Workspace()
        self.name = name

    def submit(self, config: HyperDriveConfig, tags: dict[str, Any] | None = None,
               **_azure_arguments: Any) -> HyperDriveRun:
        """Record the sweep, start its controller process and return at once."""
        from hypersweep.api.runs import HyperDriveRun
        from hypersweep.controller import record_sweep, spawn_controller

        run_id = record_sweep(self.workspace, self.name, config)
        if tags:
            with self.workspace.open_store() as store:
                for key, value in tags.items():
                    store.set_tag(run_id, str(key), None if value is None else str(value))

        spawn_controller(self.workspace, run_id)
        return HyperDriveRun(self, run_id)

    def __repr__(self) -> str:
        return f"Experiment({self.workspace!r}, {self.name!r})"
