"""Running a sweep's controller in the foreground, as ``run`` and ``resume`` do."""

from __future__ import annotations

import logging
import signal
from types import FrameType

from rich.logging import RichHandler

from hypersweep.api.workspace import Workspace
from hypersweep.cli._common import console, error_console
from hypersweep.cli.best import print_best
from hypersweep.cli.progress import ProgressDisplay
from hypersweep.controller import SweepController
from hypersweep.enums import RunStatus

__all__ = ["run_in_foreground"]


def run_in_foreground(workspace: Workspace, run_id: str, total: int, quiet: bool, *,
                      resume: bool = False) -> int:
    """Run a recorded sweep's controller in this process with a live progress display.

    The first Ctrl-C cancels the sweep (runs get the polite signal, then the forced one after
    the grace period); a second one kills the runs at once. Returns the CLI exit code.
    """
    handler = RichHandler(console=console, show_path=False, show_level=False,
                          log_time_format="%H:%M:%S")
    package_logger = logging.getLogger("hypersweep")
    previous_level = package_logger.level
    if not quiet:
        package_logger.addHandler(handler)
        package_logger.setLevel(logging.INFO)

    interrupts = 0

    with ProgressDisplay(console, total) as display:
        controller = SweepController(workspace, run_id, on_progress=display.update,
                                     resume=resume)

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
