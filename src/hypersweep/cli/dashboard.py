"""``hypersweep dashboard``: a live, read-only web dashboard of the workspace's sweeps."""

from __future__ import annotations

import logging
import sys

import click

from hypersweep.cli._common import console, open_workspace, workspace_option
from hypersweep.errors import HyperSweepError

__all__ = ["INSTALL_HINT", "command", "require_dashboard_packages"]

INSTALL_HINT = 'pip install "hypersweep[dashboard]"'

# The packages that the web dashboard and the HTML report import, by import name.
_PACKAGES = ("starlette", "uvicorn", "jinja2", "plotly")


def require_dashboard_packages(packages: tuple[str, ...] = _PACKAGES) -> None:
    """Import the optional packages, or raise a one-line error that gives the install command."""
    for name in packages:
        try:
            __import__(name)
        except ImportError as error:
            raise click.ClickException(
                f"the dashboard needs the package {name!r}, which is not installed ({error}); "
                f"install the dashboard extra with: {INSTALL_HINT}"
            ) from None


@click.command("dashboard")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Any address other than a loopback one lets other "
                   "machines read every sweep of the workspace, and prints a warning.")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="TCP port to listen on; 0 picks a free one.")
@click.option("--allow-host", "allowed_hosts", multiple=True, metavar="NAME",
              help="Also serve requests addressed to NAME (the host name or address that "
                   "other machines use). Repeat for several names.")
@workspace_option
def command(host: str, port: int, allowed_hosts: tuple[str, ...],
            workspace_path: str | None) -> int:
    """Serve a live, read-only web dashboard of the workspace's sweeps until Ctrl-C."""
    require_dashboard_packages()
    from hypersweep.dashboard.server import DashboardServer

    _log_to_stderr()
    workspace = open_workspace(workspace_path)
    server = DashboardServer(workspace, host=host, port=port, allowed_hosts=allowed_hosts)
    try:
        server.bind()
    except OSError as error:
        raise HyperSweepError(
            f"cannot listen on {host}:{port}: {error.strerror or error}; choose another port "
            "with --port (0 picks a free one)"
        ) from None

    console.print(f"hypersweep dashboard of {workspace.path}", markup=False)
    console.print(f"serving at {server.url} (read-only; Ctrl-C stops it)", markup=False)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        # uvicorn shuts down on Ctrl-C, then raises the signal again; here that is the end.
        pass
    console.print("dashboard stopped", markup=False)
    return 0


def _log_to_stderr() -> None:
    """Print the dashboard's warnings and uvicorn's errors as lines on standard error."""
    for name in ("hypersweep", "uvicorn.error"):
        logger = logging.getLogger(name)
        if any(isinstance(handler, _StderrHandler) for handler in logger.handlers):
            continue

        logger.addHandler(_StderrHandler())
        if logger.level == logging.NOTSET or logger.level > logging.WARNING:
            logger.setLevel(logging.WARNING)


class _StderrHandler(logging.StreamHandler):
    """Writes ``warning: message`` lines to standard error."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)
        self.setFormatter(_LevelFormatter())


class _LevelFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return f"{record.levelname.lower()}: {record.getMessage()}"
