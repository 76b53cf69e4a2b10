"""Helpers for process groups and process trees, and for reading the end of a run's log.

Processes are always identified by ``psutil.Process`` objects, which remember each process's
creation time: signalling one whose pid has since been reused by an unrelated process fails
instead of hitting that process. Nothing here ever selects a process by its name.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path

import psutil

__all__ = [
    "TAG_ENV_VAR",
    "RunProcess",
    "child_has_exited",
    "descendants",
    "find_run_processes",
    "read_log_tail",
    "signal_group",
    "signal_processes",
]

logger = logging.getLogger(__name__)

#: Environment variable that carries a tag unique to one launch. Every process of the run
#: inherits it, including one that double-forked into a session of its own and was re-parented
#: to init, which neither the process group nor the parent links can still find.
TAG_ENV_VAR = "HYPERSWEEP_LAUNCH_TAG"


def read_log_tail(path: Path | str, max_lines: int = 50, max_bytes: int = 16384) -> str:
    """Return the last ``max_lines`` lines of a log file, reading at most its last ``max_bytes``.

    Bytes that are not valid UTF-8 are replaced, and a line cut by the byte limit is dropped.
    A missing file gives an empty string, so a run that never wrote anything needs no special
    case.
    """
    if isinstance(max_lines, bool) or not isinstance(max_lines, int) or max_lines < 1:
        raise ValueError(f"max_lines={max_lines!r} is invalid; use an integer >= 1")
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
        raise ValueError(f"max_bytes={max_bytes!r} is invalid; use an integer >= 1")

    try:
        with open(path, "rb") as log:
            size = log.seek(0, os.SEEK_END)
            start = max(0, size - max_bytes)
            log.seek(start)
            data = log.read(max_bytes)
    except FileNotFoundError:
        return ""

    if start > 0:
        # The first line is most likely cut in the middle; keep it only when it is all there is.
        newline = data.find(b"\n")
        if 0 <= newline < len(data) - 1:
            data = data[newline + 1 :]

    # Split on "\n" only: a progress bar redrawn with "\r" is one line, not hundreds.
    lines = data.decode("utf-8", errors="replace").split("\n")
    trailing_newline = lines[-1] == ""
    if trailing_newline:
        lines.pop()
    tail = "\n".join(lines[-max_lines:])
    return tail + "\n" if trailing_newline and tail else tail


def child_has_exited(pid: int) -> bool | None:
    """Whether the child process ``pid`` has exited, without reaping it.

    Leaving the exited child unreaped (a zombie) keeps its pid, and so its process-group id,
    reserved: ``killpg`` on that group cannot reach an unrelated process that got the number
    again. Returns ``None`` where this cannot be known without reaping (no ``os.waitid`` on the
    platform, or the child was already reaped elsewhere); the caller then falls back to
    ``Popen.poll``.
    """
    waitid = getattr(os, "waitid", None)
    if waitid is None:  # pragma: no cover - macOS and Windows
        return None

    try:
        result = waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return None

    return result is not None and result.si_pid == pid


def signal_group(pgid: int, sig: int) -> bool:
    """Send ``sig`` to every process of group ``pgid``; return whether the group existed."""
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        return False
    except PermissionError:
        logger.debug("no permission to signal process group %s", pgid)
        return False
    return True


def signal_processes(processes: Iterable[psutil.Process], sig: int) -> int:
    """Send ``sig`` to each process that still exists; return how many were signalled."""
    sent = 0
    for process in processes:
        try:
            process.send_signal(sig)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        sent += 1
    return sent


def descendants(process: psutil.Process) -> list[psutil.Process]:
    """All live descendants of ``process`` (children, grandchildren, ...); empty once it is
    gone."""
    pids = _descendant_pids(process.pid)
    if pids is None:
        try:
            return list(process.children(recursive=True))
        except psutil.Error:
            return []

    found = []
    for pid in pids:
        try:
            found.append(psutil.Process(pid))
        except psutil.Error:
            continue
    return found


def _descendant_pids(root: int) -> list[int] | None:
    """Return the descendants' pids, read from Linux's /proc/PID/task/TID/children files, or
    ``None`` where the kernel has no such files.

    This reads the run's tree only, where psutil's ``children()`` reads /proc for every process
    of the machine.
    """
    if not os.path.exists(f"/proc/{root}/task/{root}/children"):
        return None

    found: list[int] = []
    pending = [root]
    while pending:
        pid = pending.pop()
        try:
            threads = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue  # it has exited since its parent listed it
        for thread in threads:
            try:
                with open(f"/proc/{pid}/task/{thread}/children") as listing:
                    children = [int(child) for child in listing.read().split()]
            except (OSError, ValueError):
                continue
            found.extend(children)
            pending.extend(children)
    return found


@dataclass(frozen=True)
class RunProcess:
    """One live process of a run, and whether it is still in the run's process group (a
    ``killpg`` reaches it) or left it (it must be signalled on its own)."""

    process: psutil.Process
    in_group: bool


def find_run_processes(
    *,
    pgid: int,
    tag: str | None,
    known: Collection[psutil.Process] = (),
    exclude_pids: Collection[int] = (),
    started_after: float | None = None,
) -> list[RunProcess]:
    """Every live process of a run: in process group ``pgid``, in ``known`` (descendants
    recorded earlier), or started with ``TAG_ENV_VAR=tag`` in its environment.

    Zombies have already ended and are not returned. The calling process is never returned.
    With ``started_after`` (seconds since the epoch, before the run's first process started),
    the environment is read only from processes created since then, because an older process
    cannot carry the run's tag. This saves a read of /proc for most processes of the machine.
    """
    own_pid = os.getpid()
    found: list[RunProcess] = []

    for process in psutil.process_iter():
        if process.pid == own_pid or process.pid in exclude_pids:
            continue

        try:
            in_group = os.getpgid(process.pid) == pgid
        except OSError:
            continue

        try:
            young = started_after is None or process.create_time() >= started_after
            belongs = in_group or process in known or (young and _has_tag(process, tag))
            if belongs and process.status() != psutil.STATUS_ZOMBIE:
                found.append(RunProcess(process, in_group))
        except psutil.Error:
            continue

    return found


def _has_tag(process: psutil.Process, tag: str | None) -> bool:
    if tag is None:
        return False

    # NOTE: the environment seen here is the one the process was started with; a process that
    # exec'd with a cleared environment is found only through the group or the recorded tree.
    try:
        return bool(process.environ().get(TAG_ENV_VAR) == tag)
    except (psutil.AccessDenied, psutil.ZombieProcess):
        return False
