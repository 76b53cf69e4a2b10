"""``hypersweep logs``: the log of a sweep or of a child run."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from hypersweep.api.runs import HyperDriveRun, Run, find_run
from hypersweep.cli._common import open_workspace, workspace_option
from hypersweep.errors import HyperSweepError

__all__ = ["command"]


@click.command("logs")
@click.argument("run_id")
@click.option("--follow", "-f", is_flag=True, help="Keep printing new lines until the run ends.")
@workspace_option
def command(run_id: str, follow: bool, workspace_path: str | None) -> int:
    """Print the controller log of sweep RUN_ID, or the output of a child run."""
    workspace = open_workspace(workspace_path)
    run = find_run(workspace, run_id)

    if isinstance(run, HyperDriveRun):
        path = workspace.sweep_dir(run.id) / "controller.log"
    else:
        path = Path(run.get_details()["logFiles"]["user_logs/std_log.txt"])

    if not path.exists() and not follow:
        raise HyperSweepError(f"run {run.id} has no log yet ({path})")

    offset = _print_from(path, 0)
    while follow and not _ended(run):
        time.sleep(0.5)
        offset = _print_from(path, offset)
    if follow:
        _print_from(path, offset)
    return 0


def _ended(run: HyperDriveRun | Run) -> bool:
    return run.get_status() in ("Completed", "Failed", "Canceled")


def _print_from(path: Path, offset: int) -> int:
    try:
        with open(path, "rb") as stream:
            stream.seek(offset)
            data = stream.read()
    except FileNotFoundError:
        return offset

    sys.stdout.write(data.decode("utf-8", errors="replace"))
    sys.stdout.flush()
    return offset + len(data)
