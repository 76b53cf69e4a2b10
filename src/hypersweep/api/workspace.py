"""The workspace: the folder that contains the run store and every run's files."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from hypersweep.run.protocol import ENV_WORKSPACE
from hypersweep.store import Store

__all__ = ["DEFAULT_WORKSPACE", "Workspace"]

DEFAULT_WORKSPACE = ".hypersweep"


class Workspace:
    """A folder with the SQLite run store (``store.db``) and one folder per sweep (``runs/``).

    The path defaults to the ``HYPERSWEEP_WORKSPACE`` environment variable, then to
    ``./.hypersweep``.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        chosen = path if path is not None else os.environ.get(ENV_WORKSPACE, DEFAULT_WORKSPACE)
        self.path = Path(chosen).expanduser().resolve()

    @classmethod
    def from_config(cls, path: str | os.PathLike[str] | None = None, **_azure_arguments: Any,
                    ) -> Workspace:
        """Return the default workspace; Azure's arguments (config file, auth) are ignored."""
        return cls(path if path is not None and Path(path).is_dir() else None)

    @property
    def store_path(self) -> Path:
        """The SQLite database file."""
        return self.path / "store.db"

    def open_store(self) -> Store:
        """Open (and create if needed) the run store."""
        self.path.mkdir(parents=True, exist_ok=True)
        return Store.open(self.store_path)

    def sweep_dir(self, run_id: str) -> Path:
        """The folder of one sweep: snapshot, controller log, cancel requests, child runs."""
        return self.path / "runs" / run_id

    def child_dir(self, parent_id: str, child_id: str) -> Path:
        """The folder of one child run: log, metrics file, ``outputs/``."""
        return self.sweep_dir(parent_id) / "children" / child_id

    def __repr__(self) -> str:
        return f"Workspace({str(self.path)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Workspace) and other.path == self.path

    def __hash__(self) -> int:
        return hash(self.path)
