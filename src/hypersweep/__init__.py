"""hypersweep: tune the hyperparameters of training scripts, on a laptop or a Ray cluster.

The public names load on first use, so that a training script's ``from hypersweep import Run``
imports only the run context and starts fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "Workspace": "hypersweep.api.workspace",
    "Experiment": "hypersweep.api.experiment",
    "ScriptRunConfig": "hypersweep.api.script_run_config",
    "HyperDriveConfig": "hypersweep.api.hyperdrive_config",
    "Run": "hypersweep.api.runs",
    "HyperDriveRun": "hypersweep.api.runs",
    "SweepFailedError": "hypersweep.api.runs",
    "PrimaryMetricGoal": "hypersweep.enums",
    "RunStatus": "hypersweep.enums",
    "RandomParameterSampling": "hypersweep.sampling",
    "GridParameterSampling": "hypersweep.sampling",
    "BayesianParameterSampling": "hypersweep.sampling",
    "BanditPolicy": "hypersweep.policies",
    "MedianStoppingPolicy": "hypersweep.policies",
    "TruncationSelectionPolicy": "hypersweep.policies",
    "NoTerminationPolicy": "hypersweep.policies",
    "AshaPolicy": "hypersweep.policies",
    "choice": "hypersweep.space",
    "randint": "hypersweep.space",
    "uniform": "hypersweep.space",
    "loguniform": "hypersweep.space",
    "normal": "hypersweep.space",
    "lognormal": "hypersweep.space",
    "quniform": "hypersweep.space",
    "qloguniform": "hypersweep.space",
    "qnormal": "hypersweep.space",
    "qlognormal": "hypersweep.space",
    "HyperSweepError": "hypersweep.errors",
    "InvalidConfigError": "hypersweep.errors",
    "InvalidMetricError": "hypersweep.errors",
    "RunNotFoundError": "hypersweep.errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'hypersweep' has no attribute {name!r}")

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])


if TYPE_CHECKING:
    from hypersweep.api.experiment import Experiment
    from hypersweep.api.hyperdrive_config import HyperDriveConfig
    from hypersweep.api.runs import HyperDriveRun, Run, SweepFailedError
    from hypersweep.api.script_run_config import ScriptRunConfig
    from hypersweep.api.workspace import Workspace
    from hypersweep.enums import PrimaryMetricGoal, RunStatus
    from hypersweep.errors import (
        HyperSweepError,
        InvalidConfigError,
        InvalidMetricError,
        RunNotFoundError,
    )
    from hypersweep.policies import (
        AshaPolicy,
        BanditPolicy,
        MedianStoppingPolicy,
        NoTerminationPolicy,
        TruncationSelectionPolicy,
    )
    from hypersweep.sampling import (
        BayesianParameterSampling,
        GridParameterSampling,
        RandomParameterSampling,
    )
    from hypersweep.space import (
        choice,
        lognormal,
        loguniform,
        normal,
        qlognormal,
        qloguniform,
        qnormal,
        quniform,
        randint,
        uniform,
    )
