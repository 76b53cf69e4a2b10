"""The live progress display of ``hypersweep run``."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from hypersweep.cli._common import format_score
from hypersweep.controller import SweepProgress

__all__ = ["ProgressDisplay"]


class ProgressDisplay:
    """Shows runs done/total, running runs and the best value so far."""

    def __init__(self, console: Console, total: int) -> None:
        self._progress = Progress(
            TextColumn("[bold]runs"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[status]}"), TimeElapsedColumn(),
            console=console, transient=False,
        )
        self._task = self._progress.add_task("runs", total=total, status="starting")

    def __enter__(self) -> ProgressDisplay:
        self._progress.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self._progress.stop()

    def update(self, progress: SweepProgress) -> None:
        """Show a new snapshot of the sweep."""
        best = "none yet" if progress.best_score is None else \
            f"{format_score(progress.best_score)} ({progress.best_child_id})"
        status = (f"running {progress.running} | failed {progress.failed} | canceled "
                  f"{progress.canceled} | best {progress.primary_metric_name}: {best}")
        if progress.stopping:
            status += " | stopping"
        self._progress.update(self._task, completed=progress.done, status=status)
