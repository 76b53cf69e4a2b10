"""``hypersweep cancel``: cancel a sweep or one child run."""

from __future__ import annotations

import click

from hypersweep.api.runs import HyperDriveRun, find_run
from hypersweep.cli._common import console, open_workspace, workspace_option

__all__ = ["command"]


@click.command("cancel")
@click.argument("run_id")
@click.option("--no-wait", is_flag=True, help="Return without waiting for the runs to end.")
@workspace_option
def command(run_id: str, no_wait: bool, workspace_path: str | None) -> int:
    """Cancel sweep RUN_ID (every running child run) or a single child run."""
    run = find_run(open_workspace(workspace_path), run_id)

    if isinstance(run, HyperDriveRun):
        status = run.get_status()
        if status in ("Completed", "Failed", "Canceled"):
            console.print(f"sweep {run.id} already ended: {status}", markup=False)
            return 0
        run.cancel(wait=not no_wait)
        console.print(f"sweep {run.id}: {run.get_status()}", markup=False)
        return 0

    run.cancel()
    console.print(f"cancel requested for run {run.id}", markup=False)
    return 0
