"""Bayesian sampling in real sweeps, together with every early termination policy."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from hypersweep import (
    AshaPolicy,
    BanditPolicy,
    BayesianParameterSampling,
    HyperDriveConfig,
    HyperDriveRun,
    MedianStoppingPolicy,
    ScriptRunConfig,
    TruncationSelectionPolicy,
    Workspace,
    uniform,
)
from hypersweep.controller import SweepController, record_sweep
from hypersweep.policies import EarlyTerminationPolicy

from conftest import write_script

# The final value peaks at x = 0.7; every run climbs towards its own final value.
CURVE = """
    import argparse, time
    from hypersweep import Run
    parser = argparse.ArgumentParser()
    parser.add_argument("--x", type=float)
    args = parser.parse_args()
    run = Run.get_context()
    final = 1.0 - (args.x - 0.7) ** 2
    for step in range(1, 7):
        run.log("accuracy", final * step / 6)
        time.sleep(0.05)
"""


@pytest.mark.parametrize(
    "policy",
    [
        None,
        BanditPolicy(slack_amount=0.05, delay_evaluation=2),
        MedianStoppingPolicy(delay_evaluation=2),
        TruncationSelectionPolicy(truncation_percentage=30, delay_evaluation=2),
        AshaPolicy(min_interval=2, reduction_factor=2, max_interval=6),
    ],
    ids=["none", "bandit", "median", "truncation", "asha"],
)
def test_bayesian_sweep_with_policy(workspace: Workspace, source_dir: Path,
                                    policy: EarlyTerminationPolicy | None) -> None:
    write_script(source_dir, "train.py", CURVE)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        config = HyperDriveConfig(
            run_config=ScriptRunConfig(source_directory=source_dir, script="train.py"),
            hyperparameter_sampling=BayesianParameterSampling({"x": uniform(0, 1)}, seed=3),
            primary_metric_name="accuracy", primary_metric_goal="maximize", max_total_runs=10,
            max_concurrent_runs=2, policy=policy, cancel_grace_seconds=1.0,
        )
    run_id = record_sweep(workspace, "tests", config)
    SweepController(workspace, run_id).run()

    sweep = HyperDriveRun(workspace, run_id)
    assert sweep.get_status() == "Completed"
    children = sweep.get_children()
    assert len(children) == 10
    statuses = {child.get_status() for child in children}
    assert statuses <= {"Completed", "Canceled"}
    if isinstance(policy, AshaPolicy):
        # Halving at every rung stops some runs whatever the sampler proposes.
        assert "Canceled" in statuses

    # Ten runs of a smooth one-dimensional problem are enough to get near the peak.
    best = sweep.get_best_run_by_primary_metric()
    assert best is not None
    assert best.get_details()["bestPrimaryMetric"] > 0.95
