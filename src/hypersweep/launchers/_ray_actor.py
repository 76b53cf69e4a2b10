"""The node side of the Ray launcher: a run slot, an actor that runs child runs on its node.

Each slot reserves one run's resources on one Ray node and runs one child run at a time there.
It starts the run through a :class:`~hypersweep.launchers.local.LocalLauncher` of the node, so
the run gets its own session and process group, SIGTERM then SIGKILL on cancel, and the
leftover check. The driver reuses a slot for
the next run once a run's outputs have been collected, so a worker process is started once per
slot rather than once per run.

Files on the node live under ``<temp dir>/hypersweep-ray/<session>/<node id>/``: the sweep's
snapshot, unpacked once per node (``snapshots/<key>``), and one folder per run
(``runs/<run id>``, removed once its outputs are collected). Paths of the driver's run folder in
the command and the environment are rewritten to the node's run folder, and a command started
with the driver's Python interpreter starts with the node's instead.
"""

from __future__ import annotations

import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import psutil
import ray

from hypersweep.launchers._archive import pack_folder, unpack_archive
from hypersweep.launchers._ray_watchdog import SLOT_ENV_VAR
from hypersweep.launchers.base import LaunchSpec, RunExit
from hypersweep.launchers.local import LocalLauncher, LocalRunHandle
from hypersweep.run.protocol import ENV_METRICS_FILE, ENV_OUTPUTS_DIR

__all__ = ["RunRequest", "RunSlot", "node_folder", "remove_node_folder", "run_exit_from_dict"]

# Most bytes of metrics or log one poll returns, so that a chatty run cannot make one reply huge.
_MAX_CHUNK_BYTES = 4 * 2**20

# How often a waiting poll looks for new lines. The end of the run's main process wakes it at
# once where Linux offers pidfd_open(); elsewhere the end is noticed within this step too.
_POLL_STEP_S = 0.02


@dataclass(frozen=True)
class RunRequest:
    """The request that the driver sends to start one run on a slot.

    ``run_dir`` is the run's folder on the driver's machine. ``driver_python`` is true when
    ``argv[0]`` is the driver's interpreter. ``initial_outputs`` is a tar.gz archive of the files
    to put in ``outputs/`` before the run starts.
    """

    run_id: str
    argv: Sequence[str]
    env: Mapping[str, str]
    run_dir: str
    snapshot_key: str
    driver_python: bool
    initial_outputs: bytes | None = None


def node_folder(session: str, node_id: str) -> Path:
    """Return the folder of one launcher session on one node."""
    return Path(tempfile.gettempdir()) / "hypersweep-ray" / session / node_id[:16]


def remove_node_folder(session: str, node_id: str) -> None:
    """Remove a session's folder on this node, and the session folder once it is empty."""
    folder = node_folder(session, node_id)
    shutil.rmtree(folder, ignore_errors=True)
    try:
        folder.parent.rmdir()
    except OSError:
        pass  # other nodes of this machine still have folders in it, or it is gone


class RunSlot:
    """Runs child runs one at a time on the Ray node where the actor was placed.

    Methods may run concurrently (the actor is created with ``max_concurrency`` > 1), so that a
    cancel reaches a run while a call waits for the run's news.
    """

    def __init__(self, session: str, grace_period: float) -> None:
        context = ray.get_runtime_context()
        self._node_id = context.get_node_id()
        self._root = node_folder(session, self._node_id)
        self._tag = uuid.uuid4().hex
        self._launcher = LocalLauncher(max_workers=1, grace_period=grace_period, gpus=())
        self._lock = threading.Lock()
        self._run: LocalRunHandle | None = None
        self._exit_watch: _ExitWatch | None = None
        # Cancels that arrived before the start they refer to: run id -> "terminate" or "kill".
        self._early_cancels: dict[str, str] = {}
        self._start_watchdog(grace_period)

    def start(self, request: RunRequest, snapshot: list[ray.ObjectRef],
              wait_seconds: float) -> dict[str, Any]:
        """Start a run, then wait for its news as :meth:`poll` does and return it.

        The reply also has ``node``: where the run runs (``node_id``, ``node_ip``,
        ``hostname``, ``pid``). ``snapshot`` holds the reference of the snapshot's archive in a
        list, so that Ray does not fetch it for a node that has already unpacked it.
        """
        with self._lock:
            if self._run is not None:
                raise RuntimeError(f"slot busy with run {self._run.run_id}")

        snapshot_dir = self._snapshot_dir(request.snapshot_key, snapshot[0])
        run_dir = self._root / "runs" / request.run_id
        shutil.rmtree(run_dir, ignore_errors=True)
        run_dir.mkdir(parents=True)

        argv = [_relocate(arg, request.run_dir, run_dir) for arg in request.argv]
        if request.driver_python:
            argv[0] = sys.executable
        env = {key: _relocate(value, request.run_dir, run_dir)
               for key, value in request.env.items()}
        env[ENV_METRICS_FILE] = os.fspath(run_dir / "metrics.jsonl")
        env[ENV_OUTPUTS_DIR] = os.fspath(run_dir / "wd" / "outputs")
        env[SLOT_ENV_VAR] = self._tag

        initial_outputs = None
        if request.initial_outputs is not None:
            initial_outputs = run_dir / "initial_outputs"
            unpack_archive(request.initial_outputs, initial_outputs)

        spec = LaunchSpec(run_id=request.run_id, argv=argv, snapshot_dir=snapshot_dir,
                          run_dir=run_dir, env=env, log_path=run_dir / "std_log.txt",
                          initial_outputs=initial_outputs)
        handle = self._launcher.start(spec)
        with self._lock:
            self._run = handle
            self._exit_watch = _ExitWatch(handle.pid)
            early_cancel = self._early_cancels.pop(request.run_id, None)
        if early_cancel == "kill":
            handle.kill()
        elif early_cancel == "terminate":
            handle.terminate()

        node = {"node_id": self._node_id, "node_ip": ray.util.get_node_ip_address(),
                "hostname": socket.gethostname(), "pid": handle.pid}
        return {"node": node, **self.poll(request.run_id, 0, 0, wait_seconds)}

    def poll(self, run_id: str, metrics_offset: int, log_offset: int,
             wait_seconds: float) -> dict[str, Any]:
        """Return the run's new metric and log bytes from the given offsets, and its end.

        Waits up to ``wait_seconds`` for something new. Metrics come as complete lines while
        the run runs. ``exit`` is the run's :class:`RunExit` as a dict once it has ended and
        every byte up to its end has been returned, else ``None``. With the exit come the
        run's ``outputs`` (see :meth:`_collect`), and the slot is free for the next run.
        """
        handle = self._handle(run_id)
        with self._lock:
            watch = self._exit_watch
        metrics_path = handle.spec.run_dir / "metrics.jsonl"
        deadline = time.monotonic() + wait_seconds

        while True:
            # The end is checked before reading, so that the bytes read after it are complete.
            result = handle.poll()
            metrics, metrics_left = _read_chunk(metrics_path, metrics_offset,
                                                whole_lines=result is None)
            log, log_left = _read_chunk(handle.spec.log_path, log_offset, whole_lines=False)
            ended = result is not None and not metrics_left and not log_left

            if ended and result is not None:
                return {"metrics": metrics, "log": log, "exit": asdict(result),
                        "outputs": self._collect(handle)}
            if metrics or log or time.monotonic() >= deadline:
                return {"metrics": metrics, "log": log, "exit": None, "outputs": None}
            if watch is None or not watch.wait(_POLL_STEP_S):
                time.sleep(_POLL_STEP_S)

    def terminate(self, run_id: str) -> None:
        """Start a polite cancel of the run (SIGTERM, SIGKILL after the grace period)."""
        handle = self._handle_or_note(run_id, "terminate")
        if handle is not None:
            handle.terminate()

    def kill(self, run_id: str) -> None:
        """Send SIGKILL to the whole run now."""
        handle = self._handle_or_note(run_id, "kill")
        if handle is not None:
            handle.kill()

    def _handle_or_note(self, run_id: str, action: str) -> LocalRunHandle | None:
        """Return the run's handle, or note the cancel for a start that has not happened yet.

        The driver sends a cancel as soon as it decides it, and Ray may run that call on this
        threaded actor before the start call.
        """
        with self._lock:
            if self._run is not None and self._run.run_id == run_id:
                return self._run
            if self._early_cancels.get(run_id) != "kill":
                self._early_cancels[run_id] = action
        return None

    def _collect(self, handle: LocalRunHandle) -> bytes | None:
        """Return the ended run's ``outputs/`` as a tar.gz archive (``None`` when it is empty).

        Removes the run's folder, which frees the slot for the next run.
        """
        handle.finalize()
        outputs = handle.spec.kept_outputs_dir
        data = pack_folder(outputs) if outputs.is_dir() and any(outputs.iterdir()) else None
        shutil.rmtree(handle.spec.run_dir, ignore_errors=True)
        with self._lock:
            self._run = None
            watch, self._exit_watch = self._exit_watch, None
        if watch is not None:
            watch.close()
        return data

    def _handle(self, run_id: str) -> LocalRunHandle:
        with self._lock:
            handle = self._run
        if handle is None or handle.run_id != run_id:
            raise LookupError(f"run {run_id} is not running on this slot")
        return handle

    def _snapshot_dir(self, key: str, reference: ray.ObjectRef) -> Path:
        target = self._root / "snapshots" / key
        if target.is_dir():
            return target

        data = ray.get(reference)
        staging = target.with_name(f".{key}-{uuid.uuid4().hex}")
        unpack_archive(data, staging)
        try:
            staging.rename(target)
        except OSError:
            # Another slot of this node unpacked the same snapshot first.
            shutil.rmtree(staging, ignore_errors=True)
        return target

    def _start_watchdog(self, grace_period: float) -> None:
        me = psutil.Process()
        env = {key: value for key, value in os.environ.items() if key != SLOT_ENV_VAR}
        # The watchdog forks and its first process exits at once, so this returns quickly.
        subprocess.run(
            [sys.executable, "-m", "hypersweep.launchers._ray_watchdog",
             "--actor-pid", str(me.pid), "--actor-started", repr(me.create_time()),
             "--slot", self._tag, "--grace", repr(grace_period)],
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True, check=True,
            timeout=60,
        )


class _ExitWatch:
    """Wakes a waiting poll as soon as a run's main process exits, through a pidfd."""

    def __init__(self, pid: int | None) -> None:
        self._fd: int | None = None
        self._exited = False
        pidfd_open = getattr(os, "pidfd_open", None)
        if pid is None or pidfd_open is None:
            return
        try:
            self._fd = pidfd_open(pid)
        except OSError:
            self._fd = None  # an older kernel: polls fall back to sleeping

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the main process to exit; return whether this
        watch waited. Once the process has exited it returns False at once, so that the
        caller sleeps while leftover processes are cleaned up instead of spinning."""
        if self._fd is None or self._exited:
            return False

        readable, _, _ = select.select([self._fd], [], [], timeout)
        self._exited = bool(readable)
        return True

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def run_exit_from_dict(data: Mapping[str, Any]) -> RunExit:
    """Rebuild the :class:`RunExit` that :meth:`RunSlot.poll` sent as a dict."""
    return RunExit(**data)


def _relocate(value: str, driver_run_dir: str, node_run_dir: Path) -> str:
    if value == driver_run_dir:
        return os.fspath(node_run_dir)
    if value.startswith(driver_run_dir.rstrip(os.sep) + os.sep):
        return os.fspath(node_run_dir) + value[len(driver_run_dir.rstrip(os.sep)):]
    return value


def _read_chunk(path: Path, offset: int, *, whole_lines: bool) -> tuple[bytes, bool]:
    """Read at most ``_MAX_CHUNK_BYTES`` from ``offset``; return them and whether more is left.

    With ``whole_lines`` the bytes after the last newline are left for a later read.
    """
    try:
        with open(path, "rb") as stream:
            stream.seek(offset)
            data = stream.read(_MAX_CHUNK_BYTES + 1)
    except FileNotFoundError:
        return b"", False

    more = len(data) > _MAX_CHUNK_BYTES
    data = data[:_MAX_CHUNK_BYTES]
    if whole_lines:
        end = data.rfind(b"\n") + 1
        more = more or end < len(data)
        data = data[:end]
    return data, more
