"""``hypersweep run``: start a sweep from a YAML file and follow it."""

from __future__ import annotations

import click

from hypersweep.cli._common import console, error_console, open_workspace, workspace_option
from hypersweep.cli._foreground import run_in_foreground
from hypersweep.config import load_sweep_file
from hypersweep.controller import record_sweep, spawn_controller

__all__ = ["command"]


@click.command("run")
@click.argument("sweep_file", type=click.Path(dir_okay=False))
@click.option("--set", "overrides", multiple=True, metavar="KEY.PATH=VALUE",
              help="Override a field of the sweep file, e.g. --set limits.max_total_trials=5.")
@click.option("--detach", is_flag=True,
              help="Start the sweep in the background and return at once.")
@click.option("--quiet", "-q", is_flag=True, help="Show only the progress and the result.")
@workspace_option
def command(sweep_file: str, overrides: tuple[str, ...], detach: bool, quiet: bool,
            workspace_path: str | None) -> int:
    """Run the sweep in SWEEP_FILE and follow it; Ctrl-C cancels it."""
    sweep = load_sweep_file(sweep_file, overrides)
    for notice in sweep.notices:
        error_console.print(f"notice: {notice}", markup=False)

    workspace = open_workspace(workspace_path)
    run_id = record_sweep(workspace, sweep.experiment_name, sweep.config)

    if detach:
        pid = spawn_controller(workspace, run_id)
        console.print(f"sweep {run_id} started in the background (controller pid {pid})")
        console.print(f"follow it with: hypersweep logs {run_id} --follow")
        return 0

    console.print(f"sweep {run_id} (experiment {sweep.experiment_name!r}, workspace "
                  f"{workspace.path})", markup=False)
    return run_in_foreground(workspace, run_id, sweep.config.max_total_runs, quiet)


