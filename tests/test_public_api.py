"""The public names: ``__all__`` lists exactly what is importable, and Azure's names exist."""

from __future__ import annotations

import importlib

import pytest

import hypersweep

SPEC_NAMES = [
    "Workspace", "Experiment", "ScriptRunConfig", "HyperDriveConfig", "PrimaryMetricGoal",
    "RandomParameterSampling", "GridParameterSampling", "BayesianParameterSampling",
    "BanditPolicy", "MedianStoppingPolicy",
    "TruncationSelectionPolicy", "NoTerminationPolicy", "choice", "randint", "uniform",
    "loguniform", "normal", "lognormal", "quniform", "qloguniform", "qnormal", "qlognormal",
    "Run", "HyperDriveRun",
]


@pytest.mark.parametrize(
    "module_name",
    ["hypersweep", "hypersweep.api", "hypersweep.hyperdrive", "hypersweep.space",
     "hypersweep.sampling", "hypersweep.policies", "hypersweep.store", "hypersweep.launchers",
     "hypersweep.controller", "hypersweep.run", "hypersweep.config", "hypersweep.errors",
     "hypersweep.enums"],
)
def test_all_matches_importable_names(module_name: str) -> None:
    module = importlib.import_module(module_name)
    for name in module.__all__:
        assert getattr(module, name) is not None, name
    assert len(set(module.__all__)) == len(module.__all__)


def test_top_level_exports_every_documented_name() -> None:
    missing = [name for name in SPEC_NAMES if name not in hypersweep.__all__]
    assert missing == []
    from hypersweep import Run, choice  # noqa: F401


def test_unknown_attribute_raises() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        hypersweep.Nope  # noqa: B018


def test_hyperdrive_module_has_azure_names() -> None:
    from hypersweep import hyperdrive

    for name in ("HyperDriveConfig", "HyperDriveRun", "PrimaryMetricGoal", "BanditPolicy",
                 "MedianStoppingPolicy", "TruncationSelectionPolicy", "NoTerminationPolicy",
                 "RandomParameterSampling", "GridParameterSampling", "choice", "uniform",
                 "loguniform", "quniform", "EarlyTerminationPolicy", "HyperParameterSampling"):
        assert name in hyperdrive.__all__
        assert getattr(hyperdrive, name) is not None
    assert hyperdrive.HyperDriveConfig is hypersweep.HyperDriveConfig


def test_public_names_do_not_leak_modules() -> None:
    assert "importlib" not in hypersweep.__all__
    assert hypersweep.__version__
