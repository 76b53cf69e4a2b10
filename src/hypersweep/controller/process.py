"""Starting the controller as a process of its own, and telling whether it is alive."""

from __future__ import annotations

import os
import subprocess
import sys

import psutil

from hypersweep.api.workspace import Workspace
from hypersweep.store import ParentRunRecord

__all__ = ["controller_alive", "spawn_controller"]

# Popen objects of controllers started by this process, kept so that they can be reaped.
_spawned: list[subprocess.Popen[bytes]] = []


def spawn_controller(workspace: Workspace, run_id: str, *, resume: bool = False) -> int:
    """Start ``python -m hypersweep.controller`` for a recorded sweep and return its pid.

    The controller runs in a session of its own, so it outlives the caller (a notebook, a
    script that exits) and a Ctrl-C in the caller's terminal does not reach it. Its command
    line carries the run id, so ``ps`` shows which sweep it serves.
    """
    _reap_finished()
    sweep_dir = workspace.sweep_dir(run_id)
    sweep_dir.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "hypersweep.controller", "--workspace", str(workspace.path),
            *(["--resume"] if resume else []), run_id]

    with open(sweep_dir / "controller.out", "ab") as output:
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=output,
                                   stderr=subprocess.STDOUT, start_new_session=True,
                                   close_fds=True)
    _spawned.append(process)
    return process.pid


def _reap_finished() -> None:
    for process in list(_spawned):
        if process.poll() is not None:
            _spawned.remove(process)


def controller_alive(parent: ParentRunRecord) -> bool:
    """Whether the controller recorded for this sweep is still running.

    The recorded start time guards against a recycled pid.
    """
    _reap_finished()
    if parent.controller_pid is None:
        return False

    try:
        process = psutil.Process(parent.controller_pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return False
        started = process.create_time()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False

    if parent.controller_started_at is None:
        return True
    return abs(started - parent.controller_started_at) < 1.0


def kill_process_group(pid: int) -> None:
    """Kill the process group led by ``pid`` (a child run) and every descendant found.

    Used only when a sweep's controller is gone and its runs must still be stopped.
    """
    victims: list[psutil.Process] = []
    try:
        leader = psutil.Process(pid)
        victims = [leader, *leader.children(recursive=True)]
    except psutil.NoSuchProcess:
        pass

    for process in psutil.process_iter():
        try:
            if os.getpgid(process.pid) == pid and process not in victims:
                victims.append(process)
        except (ProcessLookupError, PermissionError, psutil.NoSuchProcess):
            continue

    for process in victims:
        try:
            process.kill()
        except psutil.NoSuchProcess:
            continue
    psutil.wait_procs(victims, timeout=5)
