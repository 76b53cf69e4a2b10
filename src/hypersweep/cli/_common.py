"""Options and helpers shared by the CLI verbs."""

from __future__ import annotations

import math
import sys
import time
from typing import Any

import click
from rich.console import Console

from hypersweep.api.workspace import Workspace

__all__ = ["console", "error_console", "format_duration", "format_score", "format_time",
           "workspace_option"]

# Output that goes to a file or a pipe is not cut to 80 columns, so that ids and values stay
# whole for grep and for scripts.
_PIPE_WIDTH = 200
console = Console(highlight=False, soft_wrap=True,
                  width=None if sys.stdout.isatty() else _PIPE_WIDTH)
error_console = Console(stderr=True, highlight=False, soft_wrap=True,
                        width=None if sys.stderr.isatty() else _PIPE_WIDTH)


def workspace_option(function: Any) -> Any:
    """Add ``--workspace PATH`` (default: $HYPERSWEEP_WORKSPACE, then ./.hypersweep)."""
    return click.option(
        "--workspace", "-w", "workspace_path", default=None, metavar="PATH",
        help="Workspace folder (default: $HYPERSWEEP_WORKSPACE, then ./.hypersweep).",
    )(function)


def open_workspace(path: str | None) -> Workspace:
    """Return the workspace that ``--workspace`` names."""
    return Workspace(path)


def format_score(value: float | None) -> str:
    """Format a metric value for a table; ``-`` when there is none."""
    if value is None:
        return "-"
    if not math.isfinite(value):
        return str(value)
    return f"{value:.6g}"


def format_time(timestamp: float | None) -> str:
    """Format a Unix timestamp in local time."""
    if timestamp is None:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(timestamp))


def format_duration(start: float | None, end: float | None) -> str:
    """Format the time between two timestamps (until now when ``end`` is None)."""
    if start is None:
        return "-"
    seconds = max(0.0, (end if end is not None else time.time()) - start)
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, seconds = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m{seconds:02d}s" if hours else f"{minutes}m{seconds:02d}s"
