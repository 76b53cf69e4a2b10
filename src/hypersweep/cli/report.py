"""``hypersweep report``: a sweep as one self-contained HTML file that opens offline."""

from __future__ import annotations

from pathlib import Path

import click

from hypersweep.api.runs import HyperDriveRun, find_run
from hypersweep.cli._common import console, open_workspace, workspace_option
from hypersweep.cli.dashboard import require_dashboard_packages
from hypersweep.errors import InvalidConfigError

__all__ = ["command"]


@click.command("report")
@click.argument("run_id")
@click.option("--output", "-o", "output", default=None, metavar="FILE.html",
              type=click.Path(dir_okay=False, path_type=Path),
              help="File to write (default: RUN_ID.html in the current folder).")
@workspace_option
def command(run_id: str, output: Path | None, workspace_path: str | None) -> int:
    """Write sweep RUN_ID as one HTML file with its run table and charts (opens offline)."""
    require_dashboard_packages(("jinja2", "plotly"))
    from hypersweep.dashboard.report import write_report

    workspace = open_workspace(workspace_path)
    sweep = find_run(workspace, run_id)
    if not isinstance(sweep, HyperDriveRun):
        raise InvalidConfigError(f"{run_id} is a child run; give the id of a sweep (HD_<uuid>)")

    path = write_report(workspace, sweep.id, output or Path(f"{sweep.id}.html"))
    size = path.stat().st_size / 2**20
    console.print(f"wrote {path} ({size:.1f} MB, opens offline)", markup=False)
    return 0
