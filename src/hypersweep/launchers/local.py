"""The local compute target: each child run is an OS process of this machine.

Each run starts in a session and process group of its own (so a Ctrl-C at the terminal reaches
the controller, which then cancels runs on purpose, and never the runs directly), in a private
copy of the sweep's snapshot, with standard output and error appended to its log file.

Cancelling stops the whole tree: SIGTERM to the process group and to every other process found
to belong to the run, then SIGKILL once the grace period has passed. A process belongs to a run
when it is in the run's process group, was seen as a descendant of the main process, or carries
the run's launch tag in its environment (see :data:`~hypersweep.launchers._process.TAG_ENV_VAR`),
which finds even a process that double-forked into a session of its own. The launcher never
blocks its caller for the grace period: :meth:`LocalRunHandle.poll` moves the escalation along.

A command that cannot be started (the Python script does not exist, the program is missing or
not executable) does not raise: :meth:`LocalLauncher.start` writes the reason into the run's log
and returns a handle whose :meth:`~LocalRunHandle.poll` reports exit code
:data:`~hypersweep.launchers.base.START_FAILURE_EXIT_CODE` (127) at once, so the controller
marks the run ``Failed`` with the log tail like any other failed run.
"""

from __future__ import annotations

import atexit
import logging
import math
import os
import queue
import re
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

import psutil

from hypersweep.errors import HyperSweepError, InvalidConfigError
from hypersweep.launchers._gpus import detect_gpus
from hypersweep.launchers._process import (
    TAG_ENV_VAR,
    RunProcess,
    child_has_exited,
    descendants,
    find_run_processes,
    signal_group,
    signal_processes,
)
from hypersweep.launchers._resources import RunResources, local_capacity
from hypersweep.launchers.base import START_FAILURE_EXIT_CODE, LaunchSpec, RunExit, wait_for_exit

__all__ = ["LocalLauncher", "LocalRunHandle"]

logger = logging.getLogger(__name__)

# How often wait() polls. Short enough that a run's end is noticed within a blink, long enough
# that a waiting thread costs nothing measurable.
_WAIT_INTERVAL_S = 0.02

# Walking the process tree reads /proc (for every process of the machine where Linux offers no
# children files), so it is refreshed at most this often while the main process runs. The
# launch tag covers what a refresh misses.
_TREE_REFRESH_S = 0.5

# How long shutdown() waits, beyond the grace period, for SIGKILL to take effect.
_SHUTDOWN_MARGIN_S = 5.0

_PYTHON_NAME = re.compile(r"(python|pypy)[0-9.]*(\.exe)?", re.IGNORECASE)


class LocalRunHandle:
    """A child run started by :class:`LocalLauncher`; see :class:`~hypersweep.launchers.RunHandle`.

    Every method may be called from any thread. Only :meth:`wait` blocks.
    """

    def __init__(
        self,
        spec: LaunchSpec,
        *,
        grace_period: float,
        process: subprocess.Popen[bytes] | None,
        tag: str,
        started_at: float,
    ) -> None:
        self._spec = spec
        self._grace_period = grace_period
        self._popen = process
        self._tag = tag
        self._started_at = started_at
        self._lock = threading.RLock()

        self._main: psutil.Process | None = None
        self._known: set[psutil.Process] = set()
        self._next_tree_refresh = 0.0
        self._main_ended = False

        # Cleanup state: a deadline is set once a cancel or a leftover cleanup has begun.
        self._canceled = False
        self._forced = False
        self._deadline: float | None = None
        self._termed: set[psutil.Process] = set()
        self._leftovers: set[psutil.Process] = set()

        self._result: RunExit | None = None
        self._finalized = False

        if process is None:
            self._result = RunExit(
                exit_code=START_FAILURE_EXIT_CODE,
                signal=None,
                canceled=False,
                forced=False,
                leftover_processes_killed=0,
                started_at=started_at,
                ended_at=started_at,
                started=False,
            )
            return

        try:
            self._main = psutil.Process(process.pid)
        except psutil.Error:
            # Already gone and reaped by nobody: poll() still finds its exit status.
            self._main = None

    def __repr__(self) -> str:
        state = "ended" if self._result is not None else "running"
        return f"LocalRunHandle(run_id={self.run_id!r}, pid={self.pid}, {state})"

    @property
    def run_id(self) -> str:
        """The id of the run."""
        return self._spec.run_id

    @property
    def pid(self) -> int | None:
        """The main process's id (also the run's process-group id), or ``None`` if the command
        never started."""
        return self._popen.pid if self._popen is not None else None

    @property
    def spec(self) -> LaunchSpec:
        """The description the run was started from."""
        return self._spec

    def poll(self) -> RunExit | None:
        """Return the run's :class:`RunExit` once every process of it has ended, else ``None``.

        Never blocks. Sends SIGKILL to what is left once a cancel's grace period has passed,
        and starts the cleanup of processes that outlive a main process which exited on its own.
        """
        with self._lock:
            if self._result is not None:
                return self._result

            now = time.monotonic()
            if not self._main_has_exited():
                self._refresh_tree(now)
                if self._deadline is not None:
                    self._continue_cleanup(self._scan(), now)
                return None

            survivors = self._scan()
            if not survivors:
                return self._finish()

            if self._deadline is None:
                logger.warning(
                    "run %s: the main process ended but %d process(es) of the run are still "
                    "alive; terminating them",
                    self.run_id,
                    len(survivors),
                )
                self._begin_cleanup(survivors, now)
            else:
                self._continue_cleanup(survivors, now)
            return None

    def terminate(self) -> None:
        """Start a polite cancel and return at once: SIGTERM to the process group and to every
        other process of the run. Later polls send SIGKILL once the grace period has passed.

        Idempotent. Does nothing when the run has already ended, or when its main process
        exited on its own first (the run is then not reported as cancelled).
        """
        with self._lock:
            if self._result is not None or self._canceled or self._main_has_exited():
                return

            self._canceled = True
            logger.debug(
                "run %s: cancel requested (grace period %s s)", self.run_id, self._grace_period
            )
            self._begin_cleanup(None, time.monotonic())

    def kill(self) -> None:
        """Send SIGKILL to the process group and every other process of the run now, and return
        at once; the next :meth:`poll` reports the end."""
        with self._lock:
            if self._result is not None:
                return

            if not self._main_has_exited():
                self._canceled = True
            self._deadline = time.monotonic()
            self._refresh_tree(self._deadline, force=True)
            self._kill_all(self._scan())

    def wait(self, timeout: float | None = None) -> RunExit:
        """Poll until the run has ended and return its :class:`RunExit`.

        Raises ``TimeoutError`` if it has not ended after ``timeout`` seconds (``None`` waits as
        long as it takes). The run keeps going; call :meth:`terminate` to stop it.
        """
        return wait_for_exit(self, timeout, _WAIT_INTERVAL_S)

    def finalize(self) -> None:
        """Move ``wd/outputs`` to ``run_dir/outputs`` and remove the working copy ``wd``.

        Call it once the run has ended. Files already in ``run_dir/outputs`` (a restarted run's
        earlier outputs) stay unless the new outputs hold a file of the same name. Idempotent.
        """
        with self._lock:
            if self._result is None:
                raise RuntimeError(
                    f"run {self.run_id} has not ended; call finalize() after poll() or wait() "
                    "has returned its RunExit"
                )
            if self._finalized:
                return

            _keep_outputs(self._spec.outputs_dir, self._spec.kept_outputs_dir)
            _remover.remove(self._spec.working_dir)
            self._finalized = True

    # -- the steps of a run's end ------------------------------------------------------------

    def _main_has_exited(self) -> bool:
        if self._main_ended:
            return True

        assert self._popen is not None  # a handle without a process has its result already
        exited = child_has_exited(self._popen.pid)
        if exited is None:
            exited = self._popen.poll() is not None

        if exited:
            self._main_ended = True
            logger.debug("run %s: main process %s exited", self.run_id, self._popen.pid)
        return exited

    def _refresh_tree(self, now: float, *, force: bool = False) -> None:
        if self._main is None or self._main_ended:
            return
        if now < self._next_tree_refresh and not force:
            return

        self._known.update(descendants(self._main))
        self._next_tree_refresh = now + _TREE_REFRESH_S

    def _scan(self) -> list[RunProcess]:
        assert self._popen is not None
        exclude = (self._popen.pid,) if self._main_ended else ()
        found = find_run_processes(
            pgid=self._popen.pid, tag=self._tag, known=self._known, exclude_pids=exclude,
            # Creation times are rounded to clock ticks; a second of margin covers that.
            started_after=self._started_at - 1.0,
        )
        # A process found through the group now may leave it with setsid later.
        self._known.update(run_process.process for run_process in found)
        return found

    def _begin_cleanup(self, found: list[RunProcess] | None, now: float) -> None:
        assert self._popen is not None
        self._deadline = now + self._grace_period

        # The group first, in one atomic call, so that nothing forked meanwhile escapes it.
        # The main process stays unreaped until the run has ended (where os.waitid exists), so
        # the group id cannot have been given to an unrelated process.
        signal_group(self._popen.pid, signal.SIGTERM)
        if found is None:
            self._refresh_tree(now, force=True)
            found = self._scan()
        outsiders = [run_process.process for run_process in found if not run_process.in_group]
        signal_processes(outsiders, signal.SIGTERM)

        # A stopped process would hold SIGTERM pending until the deadline; let it handle it.
        signal_group(self._popen.pid, signal.SIGCONT)
        signal_processes(outsiders, signal.SIGCONT)

        self._termed.update(run_process.process for run_process in found)
        self._count_leftovers(found)

    def _continue_cleanup(self, found: list[RunProcess], now: float) -> None:
        assert self._deadline is not None
        if now >= self._deadline:
            if not self._forced:
                logger.warning(
                    "run %s: %d process(es) still alive %s s after SIGTERM; sending SIGKILL",
                    self.run_id,
                    len(found),
                    self._grace_period,
                )
            self._kill_all(found)
            return

        # Processes started after the first SIGTERM (or not found then) get theirs now.
        late = [run_process for run_process in found if run_process.process not in self._termed]
        late_processes = [run_process.process for run_process in late]
        signal_processes(late_processes, signal.SIGTERM)
        signal_processes(late_processes, signal.SIGCONT)
        self._termed.update(late_processes)
        self._count_leftovers(late)

    def _kill_all(self, found: list[RunProcess]) -> None:
        assert self._popen is not None
        self._forced = True
        signal_group(self._popen.pid, signal.SIGKILL)
        signal_processes(
            (run_process.process for run_process in found if not run_process.in_group),
            signal.SIGKILL,
        )
        self._count_leftovers(found)

    def _count_leftovers(self, signalled: Iterable[RunProcess]) -> None:
        if self._main_ended:
            self._leftovers.update(run_process.process for run_process in signalled)

    def _finish(self) -> RunExit:
        assert self._popen is not None
        # The main process has exited, so this reaps it without waiting.
        returncode = self._popen.wait()

        self._result = RunExit(
            exit_code=returncode if returncode >= 0 else None,
            signal=-returncode if returncode < 0 else None,
            canceled=self._canceled,
            forced=self._forced,
            leftover_processes_killed=len(self._leftovers),
            started_at=self._started_at,
            ended_at=time.time(),
        )
        logger.debug("run %s ended: %s", self.run_id, self._result)
        return self._result


class LocalLauncher:
    """Runs child runs as processes of this machine.

    ``max_workers`` is the number of runs that may run at once (default: as many as
    ``resources`` allow, which is one per CPU core without resources). ``grace_period`` is how
    many seconds a cancelled run gets between SIGTERM and SIGKILL. ``resources`` is what each
    run reserves (``cpu``, ``gpu``, ``memory`` in GiB): the capacity is the number of runs that
    fit in the machine's cores, GPUs and memory, at least 1. ``gpus`` are the GPU ids to hand
    out (default: :func:`~hypersweep.launchers._gpus.detect_gpus`). A run that requests
    ``gpu=n`` gets ``n`` of them in ``CUDA_VISIBLE_DEVICES``, shared with no other running run.
    """

    def __init__(self, *, max_workers: int | None = None, grace_period: float = 10.0,
                 resources: Mapping[str, float] | None = None,
                 gpus: Sequence[str] | None = None) -> None:
        if max_workers is not None and (
            isinstance(max_workers, bool) or not isinstance(max_workers, int) or max_workers < 1
        ):
            raise InvalidConfigError(
                f"max_workers={max_workers!r} is invalid; use an integer >= 1, or None for one "
                f"run per CPU core ({_cpu_count()} here)"
            )
        if (
            isinstance(grace_period, bool)
            or not isinstance(grace_period, (int, float))
            or not math.isfinite(grace_period)
            or grace_period < 0
        ):
            raise InvalidConfigError(
                f"grace_period={grace_period!r} is invalid; use a finite number of seconds >= 0"
            )

        self._resources = RunResources.from_mapping(resources)
        self._gpus = tuple(detect_gpus() if gpus is None else gpus)
        fits = local_capacity(self._resources, cores=_cpu_count(), gpus=self._gpus,
                              memory_bytes=psutil.virtual_memory().total)
        if max_workers is not None and self._resources.gpu == 0:
            fits = max_workers
        elif max_workers is not None:
            # GPUs are never shared, so they bound the capacity even when it is given.
            fits = min(max_workers, fits)
        self._capacity = fits
        self._grace_period = float(grace_period)
        self._handles: list[LocalRunHandle] = []
        self._assigned_gpus: dict[LocalRunHandle, tuple[str, ...]] = {}
        # GPUs taken by a start() that has not registered its handle yet.
        self._starting_gpus: set[str] = set()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"LocalLauncher(max_workers={self._capacity}, grace_period={self._grace_period})"

    def __enter__(self) -> LocalLauncher:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.shutdown()

    @property
    def name(self) -> str:
        """``"local"``."""
        return "local"

    @property
    def capacity(self) -> int:
        """How many runs may run at once."""
        return self._capacity

    @property
    def grace_period(self) -> float:
        """Seconds between SIGTERM and SIGKILL when a run is cancelled."""
        return self._grace_period

    def start(self, spec: LaunchSpec) -> LocalRunHandle:
        """Copy the snapshot into the run's working directory and start the command there.

        Returns without waiting for the run. A command that cannot be started gives a handle
        that reports exit code 127, with the reason in the log (see the module docstring).
        Raises ``OSError`` when the working directory or the log file cannot be prepared, and
        :class:`HyperSweepError` when the run requests more GPUs than are free.
        """
        gpus = self._take_gpus(spec)
        try:
            handle = self._start(spec, gpus)
        finally:
            with self._lock:
                self._starting_gpus.difference_update(gpus)
        return handle

    def _start(self, spec: LaunchSpec, gpus: tuple[str, ...]) -> LocalRunHandle:
        _prepare_working_dir(spec)
        spec.log_path.parent.mkdir(parents=True, exist_ok=True)

        tag = uuid.uuid4().hex
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **spec.env, TAG_ENV_VAR: tag}
        if gpus:
            env["CUDA_VISIBLE_DEVICES"] = ",".join(gpus)
        started_at = time.time()
        process: subprocess.Popen[bytes] | None = None

        with open(spec.log_path, "ab", buffering=0) as log:
            missing = _missing_script(spec.argv, spec.working_dir)
            if missing is not None:
                _write_start_failure(
                    log, spec, f"script {missing!r} not found in the source directory"
                )
            else:
                try:
                    process = subprocess.Popen(
                        spec.argv,
                        cwd=spec.working_dir,
                        env=env,
                        stdin=subprocess.DEVNULL,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        close_fds=True,
                        start_new_session=True,
                    )
                except (OSError, ValueError, subprocess.SubprocessError) as error:
                    _write_start_failure(log, spec, str(error))

        handle = LocalRunHandle(
            spec,
            grace_period=self._grace_period,
            process=process,
            tag=tag,
            started_at=started_at,
        )
        if process is not None:
            logger.debug(
                "run %s started: pid %s, %s", spec.run_id, process.pid, shlex.join(spec.argv)
            )

        with self._lock:
            self._handles = [h for h in self._handles if h.poll() is None]
            self._handles.append(handle)
            if gpus and handle.poll() is None:
                self._assigned_gpus[handle] = gpus
        return handle

    def _take_gpus(self, spec: LaunchSpec) -> tuple[str, ...]:
        """Reserve the GPUs that ``spec`` requests among those that no running run uses."""
        requested = RunResources.from_mapping(spec.resources).gpu
        if requested == 0:
            return ()

        with self._lock:
            for handle in list(self._assigned_gpus):
                if handle.poll() is not None:
                    del self._assigned_gpus[handle]
            in_use = {gpu for gpus in self._assigned_gpus.values() for gpu in gpus}
            in_use.update(self._starting_gpus)
            free = [gpu for gpu in self._gpus if gpu not in in_use]

            if requested != int(requested) or requested > len(free):
                raise HyperSweepError(
                    f"run {spec.run_id} requests resources.gpu={requested:g}, but only "
                    f"{len(free)} of this machine's {len(self._gpus)} GPU(s) are free; the local "
                    "target hands out whole GPUs, one run at a time, so start fewer runs at once"
                )
            reserved = tuple(free[:int(requested)])
            self._starting_gpus.update(reserved)
        return reserved

    def shutdown(self) -> None:
        """Cancel every run still alive and wait until all have ended.

        Every run gets SIGTERM at once and SIGKILL after the grace period. Returns when they have
        all ended, or after the grace period plus a few seconds, with a warning naming the runs
        that still have processes (stuck in the kernel, for example).
        """
        with self._lock:
            handles = list(self._handles)
            self._handles = []

        alive = [handle for handle in handles if handle.poll() is None]
        for handle in alive:
            handle.terminate()

        deadline = time.monotonic() + self._grace_period + _SHUTDOWN_MARGIN_S
        while alive and time.monotonic() < deadline:
            time.sleep(_WAIT_INTERVAL_S)
            alive = [handle for handle in alive if handle.poll() is None]

        if alive:
            logger.warning(
                "shutdown: runs %s still have processes after SIGKILL; giving up on them",
                ", ".join(f"{handle.run_id} (pid {handle.pid})" for handle in alive),
            )
        _remover.wait(_SHUTDOWN_MARGIN_S)


def _cpu_count() -> int:
    return max(1, os.cpu_count() or 1)


def _prepare_working_dir(spec: LaunchSpec) -> None:
    spec.run_dir.mkdir(parents=True, exist_ok=True)
    if spec.working_dir.exists():
        # Left by an earlier attempt of this run (a controller that died, for example).
        _remove_tree(spec.working_dir)

    # Symlinks stay links: a link to a large data set must not be copied once per run.
    shutil.copytree(spec.snapshot_dir, spec.working_dir, symlinks=True)
    if spec.initial_outputs is not None:
        shutil.copytree(spec.initial_outputs, spec.outputs_dir, symlinks=True,
                        dirs_exist_ok=True)
    _make_owner_writable(spec.working_dir)
    spec.outputs_dir.mkdir(exist_ok=True)


def _make_owner_writable(root: Path) -> None:
    # The snapshot is read-only, and copytree copies modes: without this a run could not
    # modify its own copy of a file, create files in it, or have it removed by finalize().
    # Folders are fixed before os.walk enters them, so that an unreadable one is entered too.
    _add_mode(root, stat.S_IRWXU)
    for folder, subfolders, files in os.walk(root):
        for name in subfolders:
            _add_mode(Path(folder) / name, stat.S_IRWXU)
        for name in files:
            _add_mode(Path(folder) / name, stat.S_IRUSR | stat.S_IWUSR)


def _add_mode(path: Path, bits: int) -> None:
    mode = path.lstat().st_mode
    if stat.S_ISLNK(mode) or mode & bits == bits:
        return
    path.chmod(stat.S_IMODE(mode) | bits)


def _missing_script(argv: list[str], working_dir: Path) -> str | None:
    """The script of a ``python script.py ...`` command when it does not exist, else None.

    Python itself would exit with status 2 and a terse message; reporting it as a start
    failure (127) says plainly that the command never ran. Only ``python SCRIPT ...`` is
    checked: with interpreter options before the script, Python reports it itself.
    """
    if len(argv) < 2 or argv[1].startswith("-"):
        return None
    if argv[0] != sys.executable and not _PYTHON_NAME.fullmatch(Path(argv[0]).name):
        return None

    script = Path(argv[1])
    if not script.is_absolute():
        script = working_dir / script
    return None if script.exists() else argv[1]


def _write_start_failure(log: BinaryIO, spec: LaunchSpec, reason: str) -> None:
    message = (
        f"hypersweep: cannot start run {spec.run_id}: {reason}\n"
        f"hypersweep: command: {shlex.join(spec.argv)}\n"
        f"hypersweep: working directory: {spec.working_dir}\n"
    )
    log.write(message.encode("utf-8", errors="replace"))
    logger.warning("run %s could not start: %s", spec.run_id, reason)


def _keep_outputs(source: Path, target: Path) -> None:
    if not source.is_dir():
        return

    if not target.exists():
        shutil.move(os.fspath(source), os.fspath(target))
        return

    for entry in list(source.iterdir()):
        destination = target / entry.name
        if destination.is_dir() and not destination.is_symlink():
            _remove_tree(destination)
        elif destination.exists() or destination.is_symlink():
            destination.unlink()
        shutil.move(os.fspath(entry), os.fspath(destination))


class _BackgroundRemover:
    """Removes the working copies of ended runs in a thread of its own.

    Removing a copy of the snapshot takes a few milliseconds that the controller's loop would
    otherwise spend between two runs. The copy is first renamed, at once, to a hidden name in
    the run's folder, so that ``wd`` is gone when :meth:`LocalRunHandle.finalize` returns.
    """

    def __init__(self) -> None:
        self._queue: queue.Queue[Path] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def remove(self, path: Path) -> None:
        if not path.exists() and not path.is_symlink():
            return

        hidden = path.with_name(f".{path.name}.removing-{uuid.uuid4().hex[:8]}")
        try:
            path.rename(hidden)
        except OSError:
            _remove_tree(path)
            return

        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._work, daemon=True,
                                                name="hypersweep-remove-working-copies")
                self._thread.start()
        self._queue.put(hidden)

    def wait(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds for the queued removals to finish."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(_WAIT_INTERVAL_S)

    def _work(self) -> None:
        while True:
            path = self._queue.get()
            try:
                _remove_tree(path)
            finally:
                self._queue.task_done()


_remover = _BackgroundRemover()
# The thread is a daemon, so that it never keeps a finished process alive. This handler lets it
# finish its queued removals when the process exits normally.
atexit.register(_remover.wait, 30.0)


def _remove_tree(path: Path) -> None:
    if not path.exists() and not path.is_symlink():
        return

    try:
        shutil.rmtree(path)
        return
    except OSError:
        pass

    # A script may leave read-only folders behind; make them writable and try once more.
    try:
        _make_owner_writable(path)
        shutil.rmtree(path)
    except OSError as error:
        if path.exists():  # else someone else removed it meanwhile
            logger.warning("could not remove %s: %s", path, error)
