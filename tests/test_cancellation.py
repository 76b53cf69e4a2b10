"""Cancellation ends every process of every run: timeouts, duration, cancel() and Ctrl-C."""

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
    Run,
    ScriptRunConfig,
    Workspace,
    uniform,
)
from hypersweep.controller import SweepController, record_sweep

from conftest import alive, group_members, write_script

GRACE = 1.0

# Logs one value, starts a grandchild that sleeps, records both pids, then waits forever.
# With --stubborn it ignores SIGTERM, so only the forced kill ends it.
HANGING = """
    import argparse, os, signal, subprocess, sys, time
    from hypersweep import Run

    parser = argparse.ArgumentParser()
    parser.add_argument("--x", type=float)
    parser.add_argument("--stubborn", action="store_true")
    args = parser.parse_args()
    if args.stubborn:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    grandchild = subprocess.Popen(["sleep", "1000"])
    pids_dir = os.environ["PIDS_DIR"]
    run_id = os.environ["HYPERSWEEP_RUN_ID"]
    with open(os.path.join(pids_dir, run_id + ".tmp"), "w") as stream:
        stream.write(f"{os.getpid()} {grandchild.pid}")
    os.replace(os.path.join(pids_dir, run_id + ".tmp"), os.path.join(pids_dir, run_id))
    Run.get_context().log("score", args.x)
    while True:
        time.sleep(0.2)
"""


def hanging_config(source: Path, pids_dir: Path, stubborn: bool = False,
                   **overrides: Any) -> HyperDriveConfig:
    write_script(source, "train.py", HANGING)
    arguments: dict[str, Any] = {
        "run_config": ScriptRunConfig(source_directory=source, script="train.py",
                                      arguments=["--stubborn"] if stubborn else [],
                                      environment_variables={"PIDS_DIR": str(pids_dir)}),
        "hyperparameter_sampling": RandomParameterSampling({"x": uniform(0, 1)}, seed=5),
        "primary_metric_name": "score",
        "primary_metric_goal": PrimaryMetricGoal.MAXIMIZE,
        "max_total_runs": 2,
        "max_concurrent_runs": 2,
        "cancel_grace_seconds": GRACE,
    }
    arguments.update(overrides)
    return HyperDriveConfig(**arguments)


def recorded_pids(pids_dir: Path) -> list[int]:
    pids: list[int] = []
    for path in pids_dir.iterdir():
        if not path.name.endswith(".tmp"):
            pids.extend(int(text) for text in path.read_text().split())
    return pids


def wait_for_pid_files(pids_dir: Path, count: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len([p for p in pids_dir.iterdir() if not p.name.endswith(".tmp")]) >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"fewer than {count} runs started within {timeout} s")


def assert_no_process_left(workspace: Workspace, run_id: str, pids_dir: Path) -> None:
    pids = recorded_pids(pids_dir)
    assert pids, "the runs recorded no pid"
    assert [pid for pid in pids if alive(pid)] == []

    with workspace.open_store() as store:
        children = store.list_child_runs(run_id)
    for child in children:
        assert child.pid is not None
        # Each run leads its own process group; nothing may be left in it.
        assert group_members(child.pid) == []


@pytest.fixture
def pids_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "pids"
    folder.mkdir()
    return folder


@pytest.mark.parametrize("stubborn", [False, True], ids=["polite", "ignores-sigterm"])
def test_run_timeout_cancels_run(workspace: Workspace, source_dir: Path, pids_dir: Path,
                                 stubborn: bool) -> None:
    config = hanging_config(source_dir, pids_dir, stubborn=stubborn,
                            max_run_duration_minutes=1.5 / 60)
    run_id = record_sweep(workspace, "tests", config)
    started = time.monotonic()
    SweepController(workspace, run_id).run()
    elapsed = time.monotonic() - started

    sweep = HyperDriveRun(workspace, run_id)
    assert sweep.get_status() == "Completed"
    for child in sweep.get_children():
        details = child.get_details()
        assert details["status"] == "Canceled"
        assert details["reason"].startswith(
            "exceeded the time limit of 1.5 s per run (max_run_duration_minutes=0.025) after")
        # The value logged before the timeout is kept.
        assert isinstance(child.get_metrics()["score"], float)
    assert elapsed < 1.5 + GRACE + 5
    assert_no_process_left(workspace, run_id, pids_dir)


def test_max_duration_ends_sweep(workspace: Workspace, source_dir: Path,
                                 pids_dir: Path) -> None:
    config = hanging_config(source_dir, pids_dir, max_total_runs=10,
                            max_duration_minutes=2 / 60)
    run_id = record_sweep(workspace, "tests", config)
    SweepController(workspace, run_id).run()

    sweep = HyperDriveRun(workspace, run_id)
    details = sweep.get_details()
    assert details["status"] == "Completed"
    assert details["endReason"] == ("the sweep reached its time limit of 2 s "
                                    "(max_duration_minutes=0.0333333)")
    children = sweep.get_children()
    assert len(children) == 2
    for child in children:
        assert child.get_status() == "Canceled"
        assert "the sweep stopped: the sweep reached its time limit" in \
            child.get_details()["reason"]
    assert_no_process_left(workspace, run_id, pids_dir)


def test_cancel_submitted_sweep(workspace: Workspace, source_dir: Path,
                                pids_dir: Path) -> None:
    config = hanging_config(source_dir, pids_dir, stubborn=True)
    started = time.monotonic()
    sweep = Experiment(workspace, "tests").submit(config)
    assert time.monotonic() - started < 5, "submit() must return at once"

    wait_for_pid_files(pids_dir, 2)
    with workspace.open_store() as store:
        controller_pid = store.get_parent_run(sweep.id).controller_pid
    assert controller_pid is not None
    cmdline = Path(f"/proc/{controller_pid}/cmdline").read_bytes().split(b"\0")
    assert sweep.id.encode() in cmdline

    cancel_started = time.monotonic()
    sweep.cancel()
    assert time.monotonic() - cancel_started < GRACE + 5

    assert sweep.get_status() == "Canceled"
    assert sweep.get_details()["endReason"] == "canceled by request"
    for child in sweep.get_children():
        assert child.get_status() == "Canceled"
    assert_no_process_left(workspace, sweep.id, pids_dir)
    deadline = time.monotonic() + 10
    while alive(controller_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(controller_pid)


def test_cancel_one_child_run(workspace: Workspace, source_dir: Path, pids_dir: Path) -> None:
    config = hanging_config(source_dir, pids_dir, max_total_runs=2, max_concurrent_runs=1)
    sweep = Experiment(workspace, "tests").submit(config)

    wait_for_pid_files(pids_dir, 1)
    Run(workspace, f"{sweep.id}_0").cancel()
    wait_for_pid_files(pids_dir, 2)
    first = Run(workspace, f"{sweep.id}_0").get_details()
    assert first["status"] == "Canceled"
    assert first["reason"] == "canceled by Run.cancel()"

    sweep.cancel()
    assert sweep.get_status() == "Canceled"
    assert_no_process_left(workspace, sweep.id, pids_dir)


def test_ctrl_c_cancels_cli_sweep(workspace: Workspace, source_dir: Path, pids_dir: Path,
                                  tmp_path: Path) -> None:
    hanging_config(source_dir, pids_dir)
    sweep_file = tmp_path / "sweep.yml"
    sweep_file.write_text(f"""
type: sweep
trial:
  code: {source_dir}
  command: python train.py --stubborn --x ${{{{search_space.x}}}}
  environment_variables:
    PIDS_DIR: {pids_dir}
search_space:
  x: {{type: uniform, min_value: 0, max_value: 1}}
objective: {{goal: maximize, primary_metric: score}}
limits: {{max_total_trials: 4, max_concurrent_trials: 2, cancel_grace_period: {GRACE}}}
""")
    # A terminal sends Ctrl-C to its whole foreground process group, so the CLI gets a group.
    process = subprocess.Popen(
        [sys.executable, "-m", "hypersweep", "run", str(sweep_file), "--workspace",
         str(workspace.path)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        wait_for_pid_files(pids_dir, 2)
        interrupted = time.monotonic()
        os.killpg(process.pid, signal.SIGINT)
        output, _ = process.communicate(timeout=GRACE + 20)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert time.monotonic() - interrupted < GRACE + 10

    text = output.decode()
    assert process.returncode == 1, text
    assert "Canceled (canceled by Ctrl-C)" in text
    assert "Traceback" not in text

    with workspace.open_store() as store:
        (parent,) = store.list_parent_runs()
        children = store.list_child_runs(parent.run_id)
    assert parent.end_reason == "canceled by Ctrl-C"
    assert [child.status.value for child in children] == ["Canceled", "Canceled"]
    assert all(child.reason == "the sweep stopped: canceled by Ctrl-C" for child in children)
    assert_no_process_left(workspace, parent.run_id, pids_dir)
