"""The Python API: workspace, experiments, run configuration and runs.

Names load on first use, so that importing ``Run`` in a training script stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "Experiment": "hypersweep.api.experiment",
    "HyperDriveConfig": "hypersweep.api.hyperdrive_config",
    "HyperDriveRun": "hypersweep.api.runs",
    "Run": "hypersweep.api.runs",
    "ScriptRunConfig": "hypersweep.api.script_run_config",
    "SweepFailedError": "hypersweep.api.runs",
    "Workspace": "hypersweep.api.workspace",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'hypersweep.api' has no attribute {name!r}")
    return getattr(importlib.import_module(module_name), name)


if TYPE_CHECKING:
    from hypersweep.api.experiment import Experiment
    from hypersweep.api.hyperdrive_config import HyperDriveConfig
    from hypersweep.api.runs import HyperDriveRun, Run, SweepFailedError
    from hypersweep.api.script_run_config import ScriptRunConfig
    from hypersweep.api.workspace import Workspace
