"""``hypersweep list``: the sweeps of a workspace."""

from __future__ import annotations

import click
from rich.table import Table
from rich.text import Text

from hypersweep.cli._common import (
    console,
    format_duration,
    format_score,
    format_time,
    open_workspace,
    workspace_option,
)
from hypersweep.enums import RunStatus

__all__ = ["command"]


@click.command("list")
@click.option("--experiment", "-e", default=None, help="Show only this experiment's sweeps.")
@workspace_option
def command(experiment: str | None, workspace_path: str | None) -> int:
    """List the sweeps of the workspace, newest first."""
    workspace = open_workspace(workspace_path)
    if not workspace.store_path.exists():
        console.print(f"no sweeps yet in {workspace.path}", markup=False)
        return 0

    with workspace.open_store() as store:
        parents = store.list_parent_runs(experiment)
        counts = {parent.run_id: store.count_child_runs(parent.run_id) for parent in parents}

    if not parents:
        console.print("no sweeps found", markup=False)
        return 0

    table = Table()
    for column in ("sweep", "experiment", "status", "runs done", "best", "started", "duration"):
        table.add_column(column)

    for parent in parents:
        done = sum(count for status, count in counts[parent.run_id].items()
                   if status.is_terminal)
        total = parent.config.get("max_total_runs", "?")
        best = f"{parent.primary_metric_name} {format_score(parent.best_score)}"
        end = parent.ended_at if parent.status.is_terminal else None
        table.add_row(Text(parent.run_id), Text(parent.experiment_name),
                      _styled_status(parent.status), f"{done}/{total}", Text(best),
                      format_time(parent.started_at or parent.created_at),
                      format_duration(parent.started_at, end))
    console.print(table)
    return 0


def _styled_status(status: RunStatus) -> Text:
    colours = {RunStatus.COMPLETED: "green", RunStatus.FAILED: "red",
               RunStatus.CANCELED: "yellow", RunStatus.RUNNING: "cyan"}
    return Text(status.value, style=colours.get(status, ""))
