"""Compute targets: where the child runs of a sweep execute.

A target is written as a string in ``ScriptRunConfig(compute_target=...)`` and in YAML
``compute:``:

- ``local``: processes of this machine (the default);
- ``ray``: the Ray cluster that ``RAY_ADDRESS`` names, else the cluster last started with
  ``ray start`` on this machine, else a new local Ray instance (what ``ray.init()`` does);
- ``ray://HOST:PORT``: a Ray cluster reached through Ray Client, from any machine;
- ``HOST:PORT``: the GCS address of a Ray cluster that this machine is a node of.
"""

from __future__ import annotations

import enum
import importlib.util
import re
from dataclasses import dataclass

from hypersweep.errors import InvalidConfigError

__all__ = ["RAY_INSTALL_HINT", "ComputeTarget", "TargetKind", "parse_compute_target",
           "ray_is_installed"]

RAY_INSTALL_HINT = 'pip install "hypersweep[ray]"'

# A host name or IPv4 address, or an IPv6 address in brackets, then a port.
_HOST_PORT = re.compile(r"^(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.\-]*[A-Za-z0-9])?)"
                        r":(?P<port>[0-9]{1,5})$")
_ACCEPTED = "'local', 'ray', 'ray://HOST:PORT' or 'HOST:PORT' (a Ray cluster's address)"


class TargetKind(enum.Enum):
    """The kind of compute target."""

    LOCAL = "local"
    RAY = "ray"


@dataclass(frozen=True)
class ComputeTarget:
    """A parsed compute target: its kind and, for a Ray cluster named explicitly, its address
    (``ray://HOST:PORT`` or ``HOST:PORT``; ``None`` means what ``ray.init()`` picks)."""

    kind: TargetKind
    address: str | None = None

    def __str__(self) -> str:
        if self.kind is TargetKind.LOCAL:
            return "local"
        return self.address if self.address is not None else "ray"


def parse_compute_target(value: object) -> ComputeTarget:
    """Parse a compute target string; raise :class:`InvalidConfigError` for anything else.

    ``None`` means ``local``. Only the syntax is checked: a Ray cluster is first contacted when
    the sweep starts.
    """
    if value is None:
        return ComputeTarget(TargetKind.LOCAL)

    if not isinstance(value, str) or not value.strip():
        raise InvalidConfigError(f"compute_target={value!r} is invalid; use {_ACCEPTED}")

    text = value.strip()
    if text.lower() == "local":
        return ComputeTarget(TargetKind.LOCAL)

    if text.lower() == "ray":
        return ComputeTarget(TargetKind.RAY)

    if text.lower().startswith("ray://"):
        _check_host_port(text, text[len("ray://"):])
        return ComputeTarget(TargetKind.RAY, "ray://" + text[len("ray://"):])

    if "://" in text:
        raise InvalidConfigError(f"compute_target={value!r} is not supported: the only "
                                 f"scheme is ray://; use {_ACCEPTED}")

    _check_host_port(text, text)
    return ComputeTarget(TargetKind.RAY, text)


def ray_is_installed() -> bool:
    """Return whether the ``ray`` package can be imported, without importing it."""
    try:
        return importlib.util.find_spec("ray") is not None
    except (ImportError, ValueError):
        # ValueError: sys.modules holds None for "ray", which blocks its import.
        return False


def _check_host_port(value: str, host_port: str) -> None:
    match = _HOST_PORT.match(host_port)
    if match is None:
        raise InvalidConfigError(f"compute_target={value!r} is not supported; use {_ACCEPTED}, "
                                 "for example 'ray://10.0.0.5:10001' or '10.0.0.5:6379'")

    port = int(match.group("port"))
    if not 1 <= port <= 65535:
        raise InvalidConfigError(f"compute_target={value!r} is invalid: port {port} is not in "
                                 "1..65535")
