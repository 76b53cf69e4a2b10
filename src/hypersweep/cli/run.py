"""``hypersweep run``: start a sweep from a YAML file and follow it."""

from __future__ import annotations

import logging
import signal
from types import FrameType

import click
from rich.logging import RichHandler

from hypersweep.cli._common import console, error_console, open_workspace, workspace_option
from hypersweep.cli.best import print_best
from hypersweep.cli.progress import ProgressDisplay
from hypersweep.config import load_sweep_file
from hypersweep.controller import SweepController, record_sweep, spawn_controller
from hypersweep.enums import RunStatus

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
    return _run_in_foreground(workspace, run_id, sweep.config.max_total_runs, quiet)


def _run_in_foreground(workspace: object, run_id: str, total: int, quiet: bool) -> int:
    from hypersweep.api.workspace import Workspace

    assert isinstance(workspace, Workspace)
    handler = RichHandler(console=console, show_path=False, show_level=False,
                          log_time_format="%H:%M:%S")
    package_logger = logging.getLogger("hypersweep")
    previous_level = package_logger.level
    if not quiet:
        package_logger.addHandler(handler)
        package_logger.setLevel(logging.INFO)

    interrupts = 0

    with ProgressDisplay(console, total) as display:
        controller = SweepController(workspace, run_id, on_progress=display.update)

        def on_interrupt(_signum: int, _frame: FrameType | None) -> None:
            nonlocal interrupts
            interrupts += 1
            controller.request_cancel("canceled by Ctrl-C", force=interrupts > 1)

        previous_handlers = {signum: signal.signal(signum, on_interrupt)
                             for signum in (signal.SIGINT, signal.SIGTERM)}
        try:
            status = controller.run()
        finally:
            for signum, previous in previous_handlers.items():
                signal.signal(signum, previous)
            package_logger.removeHandler(handler)
            package_logger.setLevel(previous_level)

    details = controller.store.get_parent_run(run_id)
    console.print(f"sweep {run_id}: {status.value} ({details.end_reason})", markup=False)
    for warning in details.warnings:
        error_console.print(f"warning: {warning}", markup=False)
    print_best(workspace, run_id, as_json=False)
    return 0 if status is RunStatus.COMPLETED else 1
