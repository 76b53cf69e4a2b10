"""The local launcher, tested with real processes.

Every process a test script starts reports its pid through a control folder, and the tests check
each of those pids with psutil (creation time included, so a reused pid is never mistaken for
the original); nothing is ever looked up by name.
"""

from __future__ import annotations

import math
import os
import shutil
import signal
import stat
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

import hypersweep.launchers as launchers
from hypersweep.errors import HyperSweepError, InvalidConfigError
from hypersweep.launchers import (
    START_FAILURE_EXIT_CODE,
    Launcher,
    LaunchSpec,
    LocalLauncher,
    RunExit,
    RunHandle,
    read_log_tail,
)

SCRIPT = Path(__file__).parent / "scripts" / "launcher_child.py"
GRACE = 0.5
# Slack for process start-up and polling on a busy two-core machine.
MARGIN = 0.75


def is_alive(process: psutil.Process) -> bool:
    """Whether this very process (same pid and creation time) still runs; zombies have ended."""
    try:
        return bool(process.is_running() and process.status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


class Harness:
    """Builds launch specs around a snapshot of the test script, and remembers every process the
    scripts report so that a failing test still leaves nothing running."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.snapshot = root / "snapshot"
        self.control = root / "control"
        self.control.mkdir()
        self.processes: list[psutil.Process] = []
        self._count = 0

        self.snapshot.mkdir()
        shutil.copy(SCRIPT, self.snapshot / SCRIPT.name)
        (self.snapshot / "data.txt").write_text("original\n")
        (self.snapshot / "pkg").mkdir()
        (self.snapshot / "pkg" / "helper.txt").write_text("helper\n")
        (self.snapshot / "tool.sh").write_text("#!/bin/sh\necho tool\n")
        # The snapshot is read-only; the runs' copies must not be.
        for path in [*self.snapshot.rglob("*"), self.snapshot]:
            path.chmod(0o555 if path.is_dir() else 0o444)

    def spec(
        self,
        *args: str,
        argv: list[str] | None = None,
        env: dict[str, str] | None = None,
    ) -> LaunchSpec:
        run_id = f"HD_test_{self._count}"
        self._count += 1
        run_dir = self.root / "runs" / run_id
        return LaunchSpec(
            run_id=run_id,
            argv=argv if argv is not None else [sys.executable, SCRIPT.name, *args],
            snapshot_dir=self.snapshot,
            run_dir=run_dir,
            env={"LAUNCHER_CONTROL": str(self.control), **(env or {})},
            log_path=run_dir / "log.txt",
        )

    def wait_for(self, name: str, timeout: float = 10.0) -> str:
        path = self.control / name
        deadline = time.monotonic() + timeout
        while not path.exists():
            assert time.monotonic() < deadline, f"the test script never wrote {name}"
            time.sleep(0.01)
        return path.read_text()

    def reported_processes(self, name: str) -> list[psutil.Process]:
        processes = [psutil.Process(int(pid)) for pid in self.wait_for(name).split()]
        self.processes.extend(processes)
        return processes

    def track(self, handle: RunHandle) -> psutil.Process:
        assert handle.pid is not None
        process = psutil.Process(handle.pid)
        self.processes.append(process)
        return process

    def kill_leftovers(self) -> None:
        for process in self.processes:
            if is_alive(process):
                process.kill()


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    harness = Harness(tmp_path)
    yield harness
    harness.kill_leftovers()
    for path in [*harness.snapshot.rglob("*"), harness.snapshot]:
        path.chmod(0o755 if path.is_dir() else 0o644)


@pytest.fixture
def launcher() -> Iterator[LocalLauncher]:
    launcher = LocalLauncher(max_workers=4, grace_period=GRACE)
    yield launcher
    launcher.shutdown()


# -- runs that end on their own ---------------------------------------------------------------


def test_normal_run_logs_both_streams_and_exits_zero(
    launcher: LocalLauncher, harness: Harness
) -> None:
    spec = harness.spec("ok")
    handle = launcher.start(spec)

    result = handle.wait(timeout=10)

    assert result == RunExit(
        exit_code=0,
        signal=None,
        canceled=False,
        forced=False,
        leftover_processes_killed=0,
        started_at=result.started_at,
        ended_at=result.ended_at,
    )
    assert result.succeeded
    assert result.started_at <= result.ended_at
    assert isinstance(handle, RunHandle)
    log = spec.log_path.read_text()
    assert "hello on stdout" in log
    assert "hello on stderr" in log
    assert handle.poll() is result


def test_nonzero_exit_code_is_reported(launcher: LocalLauncher, harness: Harness) -> None:
    result = launcher.start(harness.spec("ok", "3")).wait(timeout=10)

    assert result.exit_code == 3
    assert result.signal is None
    assert not result.canceled
    assert not result.succeeded


def test_run_ended_by_a_signal_reports_the_signal(
    launcher: LocalLauncher, harness: Harness
) -> None:
    result = launcher.start(harness.spec("suicide")).wait(timeout=10)

    assert result.exit_code is None
    assert result.signal == signal.SIGKILL
    assert not result.canceled
    assert not result.forced


def test_log_is_appended_to(launcher: LocalLauncher, harness: Harness) -> None:
    spec = harness.spec("ok")
    spec.log_path.parent.mkdir(parents=True)
    spec.log_path.write_text("earlier attempt\n")

    launcher.start(spec).wait(timeout=10)

    log = spec.log_path.read_text()
    assert log.startswith("earlier attempt\n")
    assert "hello on stdout" in log


def test_environment_is_passed(launcher: LocalLauncher, harness: Harness) -> None:
    spec = harness.spec("ok", env={"LAUNCHER_VALUE": "abc 123"})

    launcher.start(spec).wait(timeout=10)

    log = spec.log_path.read_text()
    assert "value=abc 123" in log
    assert "unbuffered=1" in log


def test_working_dir_is_a_private_copy(launcher: LocalLauncher, harness: Harness) -> None:
    first = harness.spec("modify")
    second = harness.spec("modify")
    first_handle = launcher.start(first)
    second_handle = launcher.start(second)

    assert first_handle.wait(timeout=10).exit_code == 0
    assert second_handle.wait(timeout=10).exit_code == 0

    # Each run saw the original, not the other run's change, and the snapshot is untouched.
    assert (first.outputs_dir / "seen.txt").read_text() == "original\n"
    assert (second.outputs_dir / "seen.txt").read_text() == "original\n"
    assert (first.working_dir / "data.txt").read_text() == "original\nchanged by a run\n"
    assert (harness.snapshot / "data.txt").read_text() == "original\n"
    assert not (harness.snapshot / "new_file.txt").exists()
    assert (first.working_dir / "pkg" / "helper.txt").read_text() == "helper\n"
    assert first.working_dir == first.run_dir / "wd"
    assert first.outputs_dir == first.run_dir / "wd" / "outputs"
    # The copy of a read-only snapshot is writable by the run.
    assert (first.working_dir / "pkg").stat().st_mode & stat.S_IWUSR
    assert (first.working_dir / "pkg" / "helper.txt").stat().st_mode & stat.S_IWUSR


def test_finalize_keeps_outputs_and_removes_working_copy(
    launcher: LocalLauncher, harness: Harness
) -> None:
    spec = harness.spec("ok")
    handle = launcher.start(spec)
    handle.wait(timeout=10)

    handle.finalize()
    handle.finalize()

    assert (spec.run_dir / "outputs" / "result.txt").read_text() == "result\n"
    assert not spec.working_dir.exists()
    assert spec.log_path.exists()


def test_finalize_before_the_end_is_refused(launcher: LocalLauncher, harness: Harness) -> None:
    handle = launcher.start(harness.spec("stubborn"))
    harness.track(handle)

    with pytest.raises(RuntimeError, match="has not ended"):
        handle.finalize()


def test_wait_times_out_without_stopping_the_run(launcher: LocalLauncher, harness: Harness) -> None:
    handle = launcher.start(harness.spec("stubborn"))
    main = harness.track(handle)

    with pytest.raises(TimeoutError, match="still running"):
        handle.wait(timeout=0.2)

    assert is_alive(main)


# -- cancelling -------------------------------------------------------------------------------


def test_terminate_lets_a_polite_run_clean_up(harness: Harness) -> None:
    launcher = LocalLauncher(grace_period=5.0)
    spec = harness.spec("polite")
    handle = launcher.start(spec)
    harness.wait_for("ready_polite")

    requested_at = time.time()
    handle.terminate()
    result = handle.wait(timeout=10)

    assert result.canceled
    assert not result.forced
    assert result.exit_code == 0
    assert result.ended_at - requested_at < 5.0
    assert "got SIGTERM, cleaning up" in spec.log_path.read_text()
    handle.finalize()
    assert (spec.run_dir / "outputs" / "cleanup.txt").exists()


def test_terminate_forces_a_run_that_ignores_sigterm(
    launcher: LocalLauncher, harness: Harness
) -> None:
    handle = launcher.start(harness.spec("stubborn"))
    main = harness.track(handle)
    harness.wait_for("ready_stubborn")
    assert handle.poll() is None

    requested_at = time.time()
    handle.terminate()
    result = handle.wait(timeout=10)

    assert result.canceled
    assert result.forced
    assert result.exit_code is None
    assert result.signal == signal.SIGKILL
    assert GRACE <= result.ended_at - requested_at <= GRACE + MARGIN
    assert not is_alive(main)


def test_terminate_and_kill_return_at_once(harness: Harness) -> None:
    launcher = LocalLauncher(grace_period=30.0)
    handle = launcher.start(harness.spec("stubborn"))
    harness.track(handle)
    harness.wait_for("ready_stubborn")

    started = time.monotonic()
    handle.terminate()
    handle.terminate()
    assert handle.poll() is None
    handle.kill()
    elapsed = time.monotonic() - started

    assert elapsed < 0.5
    result = handle.wait(timeout=5)
    assert result.canceled
    assert result.forced
    assert result.signal == signal.SIGKILL


@pytest.mark.parametrize("flags", [(), ("stubborn",)], ids=["polite", "ignores-sigterm"])
def test_terminate_leaves_no_process_of_the_tree(
    launcher: LocalLauncher, harness: Harness, flags: tuple[str, ...]
) -> None:
    handle = launcher.start(harness.spec("tree", *flags))
    main = harness.track(handle)
    child, escaped = harness.reported_processes("pids")
    # The escaped `sleep` double-forked into a session of its own: neither in the run's process
    # group nor a descendant of the main process any more.
    assert os.getsid(escaped.pid) != os.getsid(main.pid)
    assert escaped not in main.children(recursive=True)

    handle.terminate()
    result = handle.wait(timeout=GRACE + 5)

    assert result.canceled
    assert result.forced == ("stubborn" in flags)
    for process in (main, child, escaped):
        assert not is_alive(process), process


def test_leftover_child_is_killed_and_counted(launcher: LocalLauncher, harness: Harness) -> None:
    handle = launcher.start(harness.spec("leftover"))

    result = handle.wait(timeout=10)

    (child,) = harness.reported_processes("pids")
    assert result.exit_code == 0
    assert not result.canceled
    assert not result.forced
    assert result.leftover_processes_killed == 1
    assert not is_alive(child)


def test_leftover_ignoring_sigterm_is_forced(launcher: LocalLauncher, harness: Harness) -> None:
    handle = launcher.start(harness.spec("leftover_stubborn"))

    result = handle.wait(timeout=10)

    (child,) = harness.reported_processes("pids")
    assert result.exit_code == 0
    assert not result.canceled
    assert result.forced
    assert result.leftover_processes_killed == 1
    assert not is_alive(child)


def test_leftover_that_left_the_session_and_environment_is_found_by_its_ancestry(
    launcher: LocalLauncher, harness: Harness
) -> None:
    handle = launcher.start(harness.spec("hidden"))
    (child,) = harness.reported_processes("pids")
    assert handle.poll() is None  # records the main process's descendants

    (harness.control / "go").write_text("")
    result = handle.wait(timeout=10)

    assert result.exit_code == 0
    assert result.leftover_processes_killed == 1
    assert not is_alive(child)


def test_shutdown_ends_every_run(launcher: LocalLauncher, harness: Harness) -> None:
    handles = [launcher.start(harness.spec(mode)) for mode in ("polite", "stubborn", "tree")]
    mains = [harness.track(handle) for handle in handles]
    tree_processes = harness.reported_processes("pids")
    harness.wait_for("ready_polite")
    harness.wait_for("ready_stubborn")

    started = time.monotonic()
    launcher.shutdown()
    elapsed = time.monotonic() - started

    assert elapsed <= GRACE + MARGIN
    results = [handle.poll() for handle in handles]
    assert all(result is not None and result.canceled for result in results)
    for process in [*mains, *tree_processes]:
        assert not is_alive(process), process


# -- commands that cannot start ---------------------------------------------------------------


def test_missing_script_fails_with_127_and_a_log_message(
    launcher: LocalLauncher, harness: Harness
) -> None:
    spec = harness.spec(argv=[sys.executable, "no_such_script.py", "--lr", "0.1"])

    handle = launcher.start(spec)

    assert handle.pid is None
    result = handle.poll()
    assert result is not None
    assert result.exit_code == START_FAILURE_EXIT_CODE == 127
    assert not result.canceled
    log = read_log_tail(spec.log_path)
    assert "no_such_script.py" in log
    assert "not found" in log
    handle.terminate()
    handle.kill()
    assert handle.wait(timeout=1) is result
    handle.finalize()


@pytest.mark.parametrize(
    ("argv", "reason"),
    [
        (["./tool.sh"], "Permission denied"),
        (["/nonexistent/hypersweep-command", "--flag"], "No such file"),
    ],
    ids=["not-executable", "no-such-program"],
)
def test_command_that_cannot_execute_fails_with_127(
    launcher: LocalLauncher, harness: Harness, argv: list[str], reason: str
) -> None:
    spec = harness.spec(argv=argv)

    result = launcher.start(spec).wait(timeout=1)

    assert result.exit_code == 127
    log = spec.log_path.read_text()
    assert f"cannot start run {spec.run_id}" in log
    assert reason in log


# -- configuration ----------------------------------------------------------------------------


def test_capacity_defaults_to_the_cpu_count() -> None:
    launcher = LocalLauncher()

    assert launcher.capacity == max(1, os.cpu_count() or 1)
    assert launcher.name == "local"
    assert launcher.grace_period == 10.0
    assert isinstance(launcher, Launcher)


def test_capacity_follows_max_workers() -> None:
    assert LocalLauncher(max_workers=3).capacity == 3


@pytest.mark.parametrize("value", [0, -1, 1.5, True, "2"])
def test_invalid_max_workers_is_rejected(value: object) -> None:
    with pytest.raises(InvalidConfigError, match=rf"max_workers={value!r} is invalid"):
        LocalLauncher(max_workers=value)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [-0.1, math.nan, math.inf, "1", None])
def test_invalid_grace_period_is_rejected(value: object) -> None:
    with pytest.raises(InvalidConfigError, match="grace_period=.* is invalid"):
        LocalLauncher(grace_period=value)  # type: ignore[arg-type]


def test_invalid_config_errors_are_hypersweep_and_value_errors() -> None:
    with pytest.raises(HyperSweepError):
        LocalLauncher(max_workers=0)
    with pytest.raises(ValueError):
        LocalLauncher(max_workers=0)


@pytest.mark.parametrize("argv", [[], ["python", 3], "python train.py"])
def test_launch_spec_rejects_a_bad_command_line(tmp_path: Path, argv: object) -> None:
    with pytest.raises(InvalidConfigError, match="argv="):
        LaunchSpec(
            run_id="HD_x_0",
            argv=argv,  # type: ignore[arg-type]
            snapshot_dir=tmp_path,
            run_dir=tmp_path / "run",
            env={},
            log_path=tmp_path / "log.txt",
        )


def test_launch_spec_copies_its_arguments(tmp_path: Path) -> None:
    argv = ["python", "train.py"]
    env = {"A": "1"}
    spec = LaunchSpec(
        run_id="HD_x_0",
        argv=argv,
        snapshot_dir=str(tmp_path),  # type: ignore[arg-type]
        run_dir=tmp_path / "run",
        env=env,
        log_path=tmp_path / "log.txt",
    )

    argv.append("--lr")
    env["B"] = "2"

    assert spec.argv == ["python", "train.py"]
    assert dict(spec.env) == {"A": "1"}
    assert spec.snapshot_dir == tmp_path
    assert spec.resources is None


def test_public_names_match_all() -> None:
    exported = {name for name in dir(launchers) if not name.startswith("_")}
    not_api = {"annotations", "base", "local"}

    assert set(launchers.__all__) == exported - not_api


# -- read_log_tail ----------------------------------------------------------------------------


def test_read_log_tail_of_a_missing_file_is_empty(tmp_path: Path) -> None:
    assert read_log_tail(tmp_path / "missing.txt") == ""


def test_read_log_tail_keeps_the_last_lines(tmp_path: Path) -> None:
    log = tmp_path / "log.txt"
    log.write_text("".join(f"line {n}\n" for n in range(100)))

    assert read_log_tail(log, max_lines=3) == "line 97\nline 98\nline 99\n"


def test_read_log_tail_reads_at_most_max_bytes_and_drops_the_cut_line(tmp_path: Path) -> None:
    log = tmp_path / "log.txt"
    log.write_text("a" * 1000 + "\nlast line\n")

    assert read_log_tail(log, max_bytes=20) == "last line\n"


def test_read_log_tail_replaces_bad_bytes(tmp_path: Path) -> None:
    log = tmp_path / "log.txt"
    log.write_bytes(b"ok\n\xff\xfe broken\rprogress\n")

    assert read_log_tail(log) == "ok\n\ufffd\ufffd broken\rprogress\n"


@pytest.mark.parametrize("field", ["max_lines", "max_bytes"])
def test_read_log_tail_rejects_bad_limits(tmp_path: Path, field: str) -> None:
    with pytest.raises(ValueError, match=f"{field}=0"):
        read_log_tail(tmp_path / "log.txt", **{field: 0})
