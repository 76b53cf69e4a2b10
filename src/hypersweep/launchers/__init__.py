"""Launchers start the child runs of a sweep on a compute target and stop them again.

:class:`LocalLauncher` runs each child run as a process of this machine. Every launcher follows
the :class:`Launcher` protocol and returns handles that follow :class:`RunHandle`.
"""

from __future__ import annotations

from hypersweep.launchers._process import read_log_tail
from hypersweep.launchers.base import (
    START_FAILURE_EXIT_CODE,
    Launcher,
    LaunchSpec,
    RunExit,
    RunHandle,
)
from hypersweep.launchers.local import LocalLauncher, LocalRunHandle

__all__ = [
    "START_FAILURE_EXIT_CODE",
    "LaunchSpec",
    "Launcher",
    "LocalLauncher",
    "LocalRunHandle",
    "RunExit",
    "RunHandle",
    "read_log_tail",
]
