"""Resuming a sweep whose controller was killed: nothing lost, nothing run twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from hypersweep import (
    Experiment,
    HyperDriveConfig,
    HyperDriveRun,
    PrimaryMetricGoal,
    RandomParameterSampling,
    ScriptRunConfig,
    Workspace,
    choice,
    uniform,
)
from hypersweep.controller import SweepController, record_sweep
from hypersweep.errors import HyperSweepError
from hypersweep.store import Store

from conftest import alive, write_script

# Deterministic: the values depend only on the arguments.
STEADY = """
    import argparse, time
    from hypersweep import Run
    parser = argparse.ArgumentParser()
    parser.add_argument("--x", type=float)
    parser.add_argument("--k", type=int)
    args = parser.parse_args()
    run = Run.get_context()
    for step in range(1, 6):
        run.log("score", round(args.k * args.x * step / 5, 6))
        time.sleep(0.25)
"""


def steady_config(source: Path) -> HyperDriveConfig:
    write_script(source, "train.py", STEADY)
    return HyperDriveConfig(
        run_config=ScriptRunConfig(source_directory=source, script="train.py"),
        hyperparameter_sampling=RandomParameterSampling(
            {"x": uniform(0, 1), "k": choice(1, 2, 3)}, seed=11),
        primary_metric_name="score", primary_metric_goal=PrimaryMetricGoal.MAXIMIZE,
        max_total_runs=8, max_concurrent_runs=2, cancel_grace_seconds=1.0,
    )


def summary(store: Store, run_id: str) -> list[tuple[int, str, dict[str, Any], list[float]]]:
    return [(child.number, child.status.value, child.hyperparameters,
             store.get_metric_values(child.run_id, "score"))
            for child in store.list_child_runs(run_id)]


def wait_until(predicate: Any, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


def test_resume_after_sigkill_matches_uninterrupted(tmp_path: Path, source_dir: Path) -> None:
    config = steady_config(source_dir)

    reference_ws = Workspace(tmp_path / "reference")
    reference_id = record_sweep(reference_ws, "tests", config)
    SweepController(reference_ws, reference_id).run()
    with reference_ws.open_store() as store:
        expected = summary(store, reference_id)
        expected_best = store.get_parent_run(reference_id).best_child_id
    assert len(expected) == 8

    workspace = Workspace(tmp_path / "interrupted")
    sweep = Experiment(workspace, "tests").submit(config)

    def progressed() -> bool:
        with workspace.open_store() as store:
            counts = store.count_child_runs(sweep.id)
            values = store.get_parent_metric_values(sweep.id, "score")
            running = [child for child in store.list_child_runs(sweep.id)
                       if child.status.value == "Running"]
        # Kill while a run is halfway, so that values of an interrupted attempt exist.
        return counts[next(s for s in counts if s.value == "Completed")] >= 3 and any(
            0 < len(values.get(child.run_id, [])) < 5 for child in running)

    wait_until(progressed)
    with workspace.open_store() as store:
        parent = store.get_parent_run(sweep.id)
        interrupted = [child for child in store.list_child_runs(sweep.id)
                       if child.status.value == "Running"]
    interrupted_pids = [child.pid for child in interrupted]
    assert parent.controller_pid is not None
    os.kill(parent.controller_pid, signal.SIGKILL)
    wait_until(lambda: not alive(parent.controller_pid))  # type: ignore[arg-type]

    assert sweep.get_status() == "Running"

    result = subprocess.run(
        [sys.executable, "-m", "hypersweep", "resume", sweep.id[:12], "--workspace",
         str(workspace.path)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "was interrupted when the previous controller stopped" in result.stdout

    with workspace.open_store() as store:
        actual = summary(store, sweep.id)
        parent = store.get_parent_run(sweep.id)
    assert parent.status.value == "Completed"
    assert actual == expected
    assert parent.best_child_id is not None and expected_best is not None
    assert parent.best_child_id.rsplit("_", 1)[1] == expected_best.rsplit("_", 1)[1]
    for pid in interrupted_pids:
        assert pid is not None and not alive(pid)

    log = (workspace.sweep_dir(sweep.id) / "controller.log").read_text()
    assert f"sweep {sweep.id} resumed" in log
    # Each interrupted run's log separates the interrupted attempt from the new one.
    for child in interrupted:
        assert child.run_dir is not None
        run_log = (Path(child.run_dir) / "std_log.txt").read_text()
        assert "the controller stopped during this run" in run_log, child.run_id


def test_resume_refuses_live_or_finished_sweeps(tmp_path: Path, source_dir: Path) -> None:
    config = steady_config(source_dir)
    workspace = Workspace(tmp_path / "ws")
    sweep = Experiment(workspace, "tests").submit(config)
    wait_until(lambda: sweep.get_status() == "Running")

    live = subprocess.run([sys.executable, "-m", "hypersweep", "resume", sweep.id,
                           "--workspace", str(workspace.path)], capture_output=True, text=True)
    assert live.returncode == 2
    assert "is still running" in live.stderr

    sweep.cancel()
    done = subprocess.run([sys.executable, "-m", "hypersweep", "resume", sweep.id,
                           "--workspace", str(workspace.path)], capture_output=True, text=True)
    assert done.returncode == 2
    assert "already ended (Canceled)" in done.stderr


def test_recorded_cancel_decision_survives_restart(tmp_path: Path, source_dir: Path) -> None:
    """A run whose cancellation was recorded before the crash is not run again."""
    config = steady_config(source_dir)
    workspace = Workspace(tmp_path / "ws")
    sweep = Experiment(workspace, "tests").submit(config)
    wait_until(lambda: len([c for c in HyperDriveRun(workspace, sweep.id).get_children()
                            if c.get_status() == "Running"]) == 2)

    with workspace.open_store() as store:
        parent = store.get_parent_run(sweep.id)
        os.kill(parent.controller_pid, signal.SIGKILL)  # type: ignore[arg-type]
        wait_until(lambda: not alive(parent.controller_pid))  # type: ignore[arg-type]
        running = [child for child in store.list_child_runs(sweep.id)
                   if child.status.value == "Running"]
        # As the controller records a policy decision before the run has ended.
        store.update_child_run(running[0].run_id, reason="early termination by test",
                               termination={"policy": "Test", "interval": 1, "value": 0.0,
                                            "reference": 1.0, "message": "stopped by test"})

    SweepController(workspace, sweep.id, resume=True).run()
    with workspace.open_store() as store:
        first = store.get_child_run(running[0].run_id)
        children = store.list_child_runs(sweep.id)
    assert first.status.value == "Canceled"
    assert first.termination is not None and first.termination["message"] == "stopped by test"
    assert len(children) == 8
    assert [c.status.value for c in children].count("Completed") == 7


def test_run_without_resume_refuses_started_sweep(tmp_path: Path, source_dir: Path) -> None:
    config = steady_config(source_dir)
    workspace = Workspace(tmp_path / "ws")
    run_id = record_sweep(workspace, "tests", config)
    with workspace.open_store() as store:
        store.update_parent_run(run_id, status="Running")

    with pytest.raises(HyperSweepError, match="hypersweep resume"):
        SweepController(workspace, run_id).run()
