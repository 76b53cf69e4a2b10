"""The watchdog of a Ray run slot: ends the slot's runs when the actor that started them dies.

A run slot (an actor on a Ray node) starts each run's command in a session of its own. The
actor's process can die without cleaning up: its node's raylet was killed, the node ran out of
memory, or ``ray.kill`` ended it. Nothing else would then stop the run's processes. The slot
starts this watchdog as ``python -m hypersweep.launchers._ray_watchdog`` when it is created.
The watchdog detaches itself, because Ray may kill the actor's children with it. It checks
twice a second that the actor still runs. Once the actor is gone, it sends SIGTERM to every
process whose environment carries the slot's tag, then SIGKILL after the grace period, and
exits. It never selects a process by name or pid alone: the tag is unique to the slot and
inherited by every process of its runs.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time

import psutil

__all__ = ["SLOT_ENV_VAR", "main"]

#: Environment variable that carries the slot's tag into every process of the slot's runs.
SLOT_ENV_VAR = "HYPERSWEEP_RAY_SLOT"

_CHECK_INTERVAL_S = 0.5


def main(argv: list[str] | None = None) -> int:
    """Detach, wait for the actor to die, then end the slot's processes."""
    parser = argparse.ArgumentParser(prog="python -m hypersweep.launchers._ray_watchdog")
    parser.add_argument("--actor-pid", type=int, required=True)
    parser.add_argument("--actor-started", type=float, required=True,
                        help="the actor process's creation time, seconds since the epoch")
    parser.add_argument("--slot", required=True, help="the slot's tag")
    parser.add_argument("--grace", type=float, required=True,
                        help="seconds between SIGTERM and SIGKILL")
    options = parser.parse_args(argv)

    if os.fork() != 0:
        # The parent returns at once, so the actor reaps it and the watchdog is nobody's child.
        os._exit(0)

    while _actor_alive(options.actor_pid, options.actor_started):
        time.sleep(_CHECK_INTERVAL_S)

    end_slot_processes(options.slot, options.grace)
    return 0


def end_slot_processes(slot: str, grace: float) -> int:
    """Send SIGTERM to every process tagged with ``slot``, SIGKILL to what is left after
    ``grace`` seconds; return how many processes were found."""
    found = _tagged_processes(slot)
    if not found:
        return 0

    _signal_all(found, signal.SIGTERM)
    _signal_all(found, signal.SIGCONT)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not _tagged_processes(slot):
            return len(found)
        time.sleep(0.1)

    # Processes started after the first scan are caught here too.
    late = _tagged_processes(slot)
    _signal_all(late, signal.SIGKILL)
    psutil.wait_procs(late, timeout=5)
    return len(found)


def _actor_alive(pid: int, started: float) -> bool:
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return False
        # A recycled pid belongs to a process created later.
        return abs(process.create_time() - started) < 1.0
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True


def _tagged_processes(slot: str) -> list[psutil.Process]:
    own_pid = os.getpid()
    found = []
    for process in psutil.process_iter():
        if process.pid == own_pid:
            continue
        try:
            if process.status() == psutil.STATUS_ZOMBIE:
                continue
            if process.environ().get(SLOT_ENV_VAR) == slot:
                found.append(process)
        except (psutil.Error, OSError):
            continue
    return found


def _signal_all(processes: list[psutil.Process], sig: int) -> None:
    for process in processes:
        try:
            process.send_signal(sig)
        except psutil.Error:
            continue


if __name__ == "__main__":
    sys.exit(main())
