"""``hypersweep resume``: continue a sweep whose controller stopped."""

from __future__ import annotations

import click

from hypersweep.api.runs import HyperDriveRun, find_run
from hypersweep.cli._common import console, open_workspace, workspace_option
from hypersweep.cli._foreground import run_in_foreground
from hypersweep.controller import controller_alive, spawn_controller
from hypersweep.errors import InvalidConfigError

__all__ = ["command"]


@click.command("resume")
@click.argument("run_id")
@click.option("--detach", is_flag=True, help="Continue in the background and return at once.")
@click.option("--quiet", "-q", is_flag=True, help="Show only the progress and the result.")
@workspace_option
def command(run_id: str, detach: bool, quiet: bool, workspace_path: str | None) -> int:
    """Continue sweep RUN_ID after its controller stopped (kill -9, machine restart).

    Finished runs, logged metric values and termination decisions stay as they are. Runs that
    were running start again from the beginning, and sampling continues where it stopped.
    """
    workspace = open_workspace(workspace_path)
    sweep = find_run(workspace, run_id)
    if not isinstance(sweep, HyperDriveRun):
        raise InvalidConfigError(f"{run_id} is a child run; give the id of a sweep (HD_<uuid>)")

    with workspace.open_store() as store:
        parent = store.get_parent_run(sweep.id)

    if parent.status.is_terminal:
        raise InvalidConfigError(f"sweep {sweep.id} already ended ({parent.status.value}); "
                                 "there is nothing to resume")

    if controller_alive(parent):
        raise InvalidConfigError(f"the controller of sweep {sweep.id} is still running (pid "
                                 f"{parent.controller_pid}); follow it with "
                                 f"`hypersweep logs {sweep.id} --follow`")

    if detach:
        pid = spawn_controller(workspace, sweep.id, resume=True)
        console.print(f"sweep {sweep.id} resumed in the background (controller pid {pid})",
                      markup=False)
        return 0

    console.print(f"resuming sweep {sweep.id}", markup=False)
    total = int(parent.config.get("max_total_runs", 0))
    return run_in_foreground(workspace, sweep.id, total, quiet, resume=True)
