"""Each early termination policy on the real digits example: runs are cancelled promptly."""

from __future__ import annotations

from pathlib import Path

import pytest

from hypersweep import (
    AshaPolicy,
    BanditPolicy,
    GridParameterSampling,
    HyperDriveConfig,
    HyperDriveRun,
    MedianStoppingPolicy,
    ScriptRunConfig,
    TruncationSelectionPolicy,
    Workspace,
    choice,
)
from hypersweep.controller import SweepController, record_sweep
from hypersweep.policies import EarlyTerminationPolicy

from conftest import group_members

pytest.importorskip("sklearn")

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "digits"
GRACE = 1.0
# Good and very small learning rates alternate, so that every policy has slow runs to stop.
LEARNING_RATES = [0.01, 0.00001, 0.005, 0.00002, 0.003, 0.000015]


@pytest.mark.parametrize(
    ("policy", "only_slow_runs"),
    [
        (BanditPolicy(slack_factor=0.1, delay_evaluation=3), True),
        (MedianStoppingPolicy(delay_evaluation=3), True),
        (TruncationSelectionPolicy(truncation_percentage=40, delay_evaluation=3), True),
        # ASHA keeps only the top half at each rung, so it may also stop a good run.
        (AshaPolicy(min_interval=2, reduction_factor=2, max_interval=8), False),
    ],
    ids=["bandit", "median", "truncation", "asha"],
)
def test_policy_cancels_digits_runs(workspace: Workspace, policy: EarlyTerminationPolicy,
                                    only_slow_runs: bool) -> None:
    config = HyperDriveConfig(
        run_config=ScriptRunConfig(source_directory=EXAMPLE, script="train.py",
                                   arguments=["--epochs", 12, "--hidden_units", 64]),
        hyperparameter_sampling=GridParameterSampling({"learning_rate": choice(LEARNING_RATES)}),
        primary_metric_name="accuracy", primary_metric_goal="maximize",
        max_total_runs=len(LEARNING_RATES), max_concurrent_runs=2, policy=policy,
        cancel_grace_seconds=GRACE,
    )
    run_id = record_sweep(workspace, "digits", config)
    SweepController(workspace, run_id).run()

    sweep = HyperDriveRun(workspace, run_id)
    assert sweep.get_status() == "Completed"
    with workspace.open_store() as store:
        children = store.list_child_runs(run_id)
        cancelled = [child for child in children if child.status.value == "Canceled"]
        assert cancelled, "the policy cancelled no run"

        for child in cancelled:
            termination = child.termination
            assert termination is not None
            assert termination["policy"] == type(policy).__name__
            assert child.reason is not None and child.reason.startswith("early termination by")
            if only_slow_runs:
                # Only the runs with a tiny learning rate fall behind enough to be stopped.
                assert child.hyperparameters["learning_rate"] < 1e-4

            # The run ended within the grace period of the value that decided it.
            values = store.get_metrics(child.run_id)["accuracy"]
            deciding = values[int(termination["interval"]) - 1]
            assert child.ended_at is not None
            assert child.ended_at - deciding.time < GRACE + 1.0

        for child in children:
            assert child.pid is not None and group_members(child.pid) == []

    best = sweep.get_best_run_by_primary_metric()
    assert best is not None
    assert best.get_details()["bestPrimaryMetric"] >= 0.9
