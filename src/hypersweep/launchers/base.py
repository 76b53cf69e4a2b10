"""What every launcher offers: the description of one child run and the handle of a started run.

A launcher turns a :class:`LaunchSpec` into a running process tree and hands back a
:class:`RunHandle`. The controller polls the handle, cancels through it, and reads the final
:class:`RunExit` from it. Launchers never decide a run's status; they report how its processes
ended, and the controller maps that to ``Completed``, ``Failed`` or ``Canceled``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from hypersweep.errors import HyperSweepError, InvalidConfigError

__all__ = [
    "START_FAILURE_EXIT_CODE",
    "ComputeTargetLostError",
    "LaunchSpec",
    "Launcher",
    "RunExit",
    "RunHandle",
    "wait_for_exit",
]

#: Exit code reported for a run whose command could not be started at all (missing script,
#: command not found, not executable). It is the code a POSIX shell uses for "command not
#: found", so a run started by hand through a shell would fail the same way.
START_FAILURE_EXIT_CODE = 127


class ComputeTargetLostError(HyperSweepError):
    """The launcher lost its compute target (the connection to a cluster, for example).

    The runs it had started may still be alive there or may be gone; it cannot tell, so they
    are neither ended nor failed. Continue the sweep with ``hypersweep resume`` once the target
    is back.
    """


@dataclass(frozen=True)
class LaunchSpec:
    """Everything a launcher needs to start one child run.

    ``argv`` is the full command line, for example ``[sys.executable, "train.py", "--lr",
    "0.1"]``. ``snapshot_dir`` is the sweep's read-only copy of the source folder; the launcher
    copies it into :attr:`working_dir` so that runs never see each other's writes. ``env`` is
    merged over the launcher's own environment. Standard output and error are both appended to
    ``log_path``. ``resources`` (``cpu``, ``gpu``, ``memory`` in GiB; see
    :mod:`hypersweep.launchers._resources`) is what the run reserves: Ray's scheduler places the
    run by it, and the local launcher hands out GPUs by it. ``initial_outputs`` is a folder
    whose files are copied into :attr:`outputs_dir` before the run starts (the outputs of an
    earlier run that this one continues from a checkpoint).
    """

    run_id: str
    argv: list[str]
    snapshot_dir: Path
    run_dir: Path
    env: Mapping[str, str]
    log_path: Path
    resources: Mapping[str, float] | None = None
    initial_outputs: Path | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.run_id, str) or not self.run_id:
            raise InvalidConfigError(
                f"run_id={self.run_id!r} is invalid; use a non-empty string such as 'HD_<uuid>_0'"
            )

        argv = list(self.argv) if isinstance(self.argv, (list, tuple)) else None
        if not argv or not all(isinstance(arg, str) for arg in argv):
            raise InvalidConfigError(
                f"argv={self.argv!r} is invalid; use a non-empty list of strings, the program "
                "first (for example [sys.executable, 'train.py', '--lr', '0.1'])"
            )

        if not isinstance(self.env, Mapping) or not all(
            isinstance(key, str) and isinstance(value, str) for key, value in self.env.items()
        ):
            raise InvalidConfigError(
                f"env={self.env!r} is invalid; use a mapping of strings to strings"
            )

        # Own copies, so that a caller mutating its list or dict later cannot change a run
        # that has already been described.
        object.__setattr__(self, "argv", argv)
        object.__setattr__(self, "env", dict(self.env))
        for name in ("snapshot_dir", "run_dir", "log_path"):
            object.__setattr__(self, name, Path(os.fspath(getattr(self, name))))

    @property
    def working_dir(self) -> Path:
        """The run's private copy of the snapshot, where its command starts (``run_dir/wd``)."""
        return self.run_dir / "wd"

    @property
    def outputs_dir(self) -> Path:
        """The ``outputs`` folder the script writes into while it runs (``run_dir/wd/outputs``).

        :meth:`RunHandle.finalize` moves it to ``run_dir/outputs`` once the run has ended.
        """
        return self.working_dir / "outputs"

    @property
    def kept_outputs_dir(self) -> Path:
        """Where the outputs are kept after :meth:`RunHandle.finalize` (``run_dir/outputs``)."""
        return self.run_dir / "outputs"


@dataclass(frozen=True)
class RunExit:
    """How the processes of one run ended.

    ``exit_code`` is the main process's exit status, or ``None`` when a signal ended it
    (``signal`` then names it). ``canceled`` says the run ended because it was cancelled through
    its handle; ``forced`` that SIGKILL had to be sent because something outlived the grace
    period (or :meth:`RunHandle.kill` was called). ``leftover_processes_killed`` counts the
    processes of the run's group or tree that were still alive after the main process ended and
    that the launcher then had to signal. Times are wall-clock seconds since the epoch.
    ``reason`` says why a run ended without an exit status of its own (for example, the cluster
    node running it died); ``None`` when the exit status tells it all. ``started`` is false when
    the command could not be started at all (the exit code is then
    :data:`START_FAILURE_EXIT_CODE` and the log says why).
    """

    exit_code: int | None
    signal: int | None
    canceled: bool
    forced: bool
    leftover_processes_killed: int
    started_at: float
    ended_at: float
    reason: str | None = None
    started: bool = True

    @property
    def succeeded(self) -> bool:
        """Whether the main process exited with status 0 without being cancelled."""
        return self.exit_code == 0 and not self.canceled

    @property
    def duration(self) -> float:
        """Seconds from start to the moment the last process of the run was gone."""
        return self.ended_at - self.started_at


@runtime_checkable
class RunHandle(Protocol):
    """A started run. Every method is safe to call from any thread, and none blocks except
    :meth:`wait`."""

    @property
    def run_id(self) -> str:
        """The id of the run, as given in its :class:`LaunchSpec`."""
        ...

    @property
    def pid(self) -> int | None:
        """The process id of the main process, or ``None`` if the command never started."""
        ...

    def poll(self) -> RunExit | None:
        """Return the run's :class:`RunExit` once it has ended, else ``None``; never blocks.

        Each call also moves a cancellation along: once the grace period has passed, every
        process still alive gets SIGKILL. A run has ended only when its main process has exited
        and no process of its group or tree is left; processes that outlive a main process
        which exited on its own are signalled (SIGTERM, then SIGKILL after the grace period)
        and counted in ``leftover_processes_killed``.
        """
        ...

    def terminate(self) -> None:
        """Start a polite cancel (SIGTERM to the whole tree) and return at once; idempotent."""
        ...

    def kill(self) -> None:
        """Send SIGKILL to the whole tree now and return at once."""
        ...

    def wait(self, timeout: float | None = None) -> RunExit:
        """Poll until the run has ended; raise ``TimeoutError`` after ``timeout`` seconds."""
        ...

    def finalize(self) -> None:
        """After the run has ended, keep its outputs in ``run_dir/outputs`` and remove the
        working copy; idempotent."""
        ...


@runtime_checkable
class Launcher(Protocol):
    """A compute target that runs child runs."""

    @property
    def name(self) -> str:
        """Short name of the target, for example ``"local"``."""
        ...

    @property
    def capacity(self) -> int:
        """How many runs this target can run at once; the controller never starts more."""
        ...

    def start(self, spec: LaunchSpec) -> RunHandle:
        """Start one run and return its handle without waiting for it."""
        ...

    def shutdown(self) -> None:
        """Cancel every run still alive, respecting the grace period, then force; blocks until
        they have all ended."""
        ...


def wait_for_exit(handle: RunHandle, timeout: float | None, interval: float) -> RunExit:
    """Poll ``handle`` every ``interval`` seconds until the run has ended; return its exit.

    Raises ``TimeoutError`` if the run is still going after ``timeout`` seconds (``None`` waits
    as long as it takes), and ``ValueError`` for a negative or non-numeric ``timeout``.
    """
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout < 0
    ):
        raise ValueError(f"timeout={timeout!r} is invalid; use seconds >= 0, or None")

    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        result = handle.poll()
        if result is not None:
            return result

        if deadline is None:
            time.sleep(interval)
            continue

        remaining = deadline - time.monotonic()
        if remaining <= 0:
            # A Ray run has no local pid, and a local command that never started has none.
            pid = "" if handle.pid is None else f" (pid {handle.pid})"
            raise TimeoutError(
                f"run {handle.run_id}{pid} is still running after {timeout} s; "
                "call terminate() to stop it"
            )
        time.sleep(min(interval, remaining))
