"""Early termination policies in real sweeps: cancelled runs, recorded decisions, no leftovers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hypersweep import (
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

from conftest import group_members, write_script

# Each run logs quality * step / 6 for steps 1..6. One run at a time, in grid order:
# run 0 (quality 1.0) finishes first; run 1 (0.2) is far behind; run 2 (0.9) is close.
CURVE = """
    import argparse, time
    from hypersweep import Run
    parser = argparse.ArgumentParser()
    parser.add_argument("--quality", type=float)
    args = parser.parse_args()
    run = Run.get_context()
    for step in range(1, 7):
        run.log("accuracy", args.quality * step / 6)
        time.sleep(0.15)
"""


@pytest.mark.parametrize(
    ("policy", "statuses", "reference"),
    [
        # At interval 2: best = 2/6, threshold 2/6 - 0.1 = 0.2333; run 1 has 0.0667.
        (BanditPolicy(slack_amount=0.1, delay_evaluation=2), ["Completed", "Canceled",
                                                              "Completed"], 0.23333),
        # At interval 2: run 0's running average is (1/6 + 2/6) / 2 = 0.25.
        (MedianStoppingPolicy(delay_evaluation=2), ["Completed", "Canceled", "Completed"], 0.25),
        # At interval 2 the cohort is runs 0 and 1: k = 1, and run 0 is better than run 1.
        # At interval 3 the cohort is runs 0 and 2 (run 1 stopped at 2): run 2 is the worst.
        (TruncationSelectionPolicy(truncation_percentage=50, delay_evaluation=2),
         ["Completed", "Canceled", "Canceled"], 2 / 6),
    ],
    ids=["bandit", "median", "truncation"],
)
def test_policy_cancels_runs_in_sweep(workspace: Workspace, source_dir: Path,
                                      policy: EarlyTerminationPolicy, statuses: list[str],
                                      reference: float) -> None:
    write_script(source_dir, "train.py", CURVE)
    config = HyperDriveConfig(
        run_config=ScriptRunConfig(source_directory=source_dir, script="train.py"),
        hyperparameter_sampling=GridParameterSampling({"quality": choice(1.0, 0.2, 0.9)}),
        primary_metric_name="accuracy", primary_metric_goal="maximize", max_total_runs=3,
        max_concurrent_runs=1, policy=policy, cancel_grace_seconds=1.0,
    )
    run_id = record_sweep(workspace, "tests", config)
    SweepController(workspace, run_id).run()

    sweep = HyperDriveRun(workspace, run_id)
    children = sweep.get_children()
    assert [child.get_status() for child in children] == statuses

    cancelled = children[1].get_details()
    termination = cancelled["termination"]
    assert termination["policy"] == type(policy).__name__
    assert termination["interval"] == 2
    assert termination["value"] == pytest.approx(0.2 * 2 / 6)
    assert termination["reference"] == pytest.approx(reference, abs=1e-4)
    assert termination["message"]
    assert cancelled["reason"].startswith(f"early termination by {type(policy).__name__}")
    # The run stopped soon after the deciding value: it never logged all six values.
    metrics = children[1].get_metrics()["accuracy"]
    assert isinstance(metrics, list) and len(metrics) < 6

    log = (workspace.sweep_dir(run_id) / "controller.log").read_text()
    assert f"run {run_id}_1 canceled: early termination by" in log
    for child in children:
        pid = child.get_details()
        with workspace.open_store() as store:
            record = store.get_child_run(pid["runId"])
        assert record.pid is not None and group_members(record.pid) == []

    shown = subprocess.run([sys.executable, "-m", "hypersweep", "show", run_id, "--workspace",
                            str(workspace.path)], capture_output=True, text=True, check=True)
    assert termination["message"] in shown.stdout
