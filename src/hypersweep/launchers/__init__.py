"""Launchers start the child runs of a sweep on a compute target and stop them again.

:class:`LocalLauncher` runs each child run as a process of this machine, and
``hypersweep.launchers.ray.RayLauncher`` runs each one on a node of a Ray cluster (that module
imports Ray, so it is not imported here). :func:`create_launcher` picks one from a compute
target. Every launcher follows the :class:`Launcher` protocol and returns handles that follow
:class:`RunHandle`.
"""

from __future__ import annotations

from hypersweep.launchers._factory import create_launcher
from hypersweep.launchers._process import read_log_tail
from hypersweep.launchers._resources import RunResources, check_resources
from hypersweep.launchers._targets import (
    ComputeTarget,
    TargetKind,
    parse_compute_target,
    ray_is_installed,
)
from hypersweep.launchers.base import (
    START_FAILURE_EXIT_CODE,
    ComputeTargetLostError,
    Launcher,
    LaunchSpec,
    RunExit,
    RunHandle,
)
from hypersweep.launchers.local import LocalLauncher, LocalRunHandle

__all__ = [
    "START_FAILURE_EXIT_CODE",
    "ComputeTarget",
    "ComputeTargetLostError",
    "LaunchSpec",
    "Launcher",
    "LocalLauncher",
    "LocalRunHandle",
    "RunExit",
    "RunHandle",
    "RunResources",
    "TargetKind",
    "check_resources",
    "create_launcher",
    "parse_compute_target",
    "ray_is_installed",
    "read_log_tail",
]
