"""Choosing the launcher of a sweep from its run configuration's compute target."""

from __future__ import annotations

from collections.abc import Mapping

from hypersweep.errors import InvalidConfigError
from hypersweep.launchers._targets import RAY_INSTALL_HINT, TargetKind, parse_compute_target
from hypersweep.launchers.base import Launcher
from hypersweep.launchers.local import LocalLauncher

__all__ = ["create_launcher"]


def create_launcher(compute_target: str | None, *, grace_period: float = 10.0,
                    resources: Mapping[str, float] | None = None) -> Launcher:
    """Return the launcher for a compute target (see :mod:`hypersweep.launchers._targets`).

    ``grace_period`` is the seconds a cancelled run gets between the polite signal and the
    forced one. ``resources`` is what each run reserves, and it bounds the target's capacity. A
    Ray target connects to its cluster here, so this raises a :class:`HyperSweepError` when the
    cluster cannot be reached or no node of it has room for one run.
    """
    target = parse_compute_target(compute_target)
    if target.kind is TargetKind.LOCAL:
        return LocalLauncher(grace_period=grace_period, resources=resources)

    try:
        from hypersweep.launchers.ray import RayLauncher
    except ImportError as error:
        if error.name is None or error.name.split(".")[0] != "ray":
            raise
        raise InvalidConfigError(
            f"compute_target={str(target)!r} needs Ray, which is not installed; install it "
            f"with: {RAY_INSTALL_HINT}"
        ) from None

    return RayLauncher(target.address, grace_period=grace_period, resources=resources)
