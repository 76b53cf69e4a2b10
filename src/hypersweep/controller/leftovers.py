"""Finding and ending the processes of child runs whose controller died."""

from __future__ import annotations

import psutil

from hypersweep.run.protocol import ENV_RUN_ID

__all__ = ["kill_run_processes"]


def kill_run_processes(run_id: str, *, timeout: float = 5.0) -> int:
    """Kill every process whose environment names child run ``run_id``; return how many.

    Each child run's processes inherit ``HYPERSWEEP_RUN_ID`` from the launcher, and a recycled
    pid cannot carry that value, so this finds a dead controller's runs without trusting a
    stored pid and without matching process names.
    """
    victims: list[psutil.Process] = []
    me = psutil.Process().pid

    for process in psutil.process_iter():
        if process.pid == me:
            continue
        try:
            if process.environ().get(ENV_RUN_ID) == run_id:
                victims.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess, OSError):
            continue

    for process in victims:
        try:
            process.kill()
        except psutil.NoSuchProcess:
            continue

    psutil.wait_procs(victims, timeout=timeout)
    return len(victims)
