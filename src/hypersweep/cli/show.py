"""``hypersweep show``: a sweep with its child runs, or one child run."""

from __future__ import annotations

import json

import click
from rich.table import Table
from rich.text import Text

from hypersweep.api.runs import HyperDriveRun, Run, find_run
from hypersweep.cli._common import (
    console,
    format_duration,
    format_score,
    format_time,
    open_workspace,
    workspace_option,
)
from hypersweep.cli.list_sweeps import _styled_status
from hypersweep.controller import controller_alive
from hypersweep.controller.ranking import sort_by_primary_metric
from hypersweep.enums import RunStatus
from hypersweep.store import ChildRunRecord

__all__ = ["command"]


@click.command("show")
@click.argument("run_id")
@click.option("--top", type=click.IntRange(min=0), default=0,
              help="Show only the best N child runs (0 shows all).")
@workspace_option
def command(run_id: str, top: int, workspace_path: str | None) -> int:
    """Show sweep RUN_ID with its child runs best first, or one child run."""
    workspace = open_workspace(workspace_path)
    run = find_run(workspace, run_id)
    if isinstance(run, HyperDriveRun):
        _show_sweep(run, top)
    else:
        _show_child(run)
    return 0


def _show_sweep(sweep: HyperDriveRun, top: int) -> None:
    with sweep.workspace.open_store() as store:
        parent = store.get_parent_run(sweep.id)
        children: list[ChildRunRecord] = list(store.list_child_runs(sweep.id))

    config = parent.config
    end = parent.ended_at if parent.status.is_terminal else None
    lines = [
        f"sweep       {parent.run_id}",
        f"experiment  {parent.experiment_name}",
        f"status      {parent.status.value}" + (f" ({parent.end_reason})"
                                                 if parent.end_reason else ""),
        f"objective   {parent.goal.value.lower()} {parent.primary_metric_name}",
        f"limits      {config.get('max_total_runs')} runs, "
        f"{config.get('max_concurrent_runs')} at a time",
        f"started     {format_time(parent.started_at)} "
        f"(duration {format_duration(parent.started_at, end)})",
    ]
    if parent.best_child_id is not None:
        lines.append(f"best        {parent.best_child_id}: {parent.primary_metric_name} = "
                     f"{format_score(parent.best_score)}")
    for line in lines:
        console.print(line, markup=False)

    if parent.status in (RunStatus.RUNNING, RunStatus.QUEUED) and parent.controller_pid \
            and not controller_alive(parent):
        console.print(f"warning: the controller of this sweep is not running; continue it "
                      f"with `hypersweep resume {parent.run_id}`", style="yellow", markup=False)
    for warning in parent.warnings:
        console.print(f"warning: {warning}", style="yellow", markup=False)

    ranked = list(sort_by_primary_metric(children, parent.goal))
    if top:
        ranked = ranked[:top]
    names = list(config.get("hyperparameter_sampling", {}).get("space", {}))

    console.print(f"{len(children)} child runs, best first", markup=False)
    table = Table()
    for column in ("#", "status", parent.primary_metric_name, "duration", *names):
        table.add_column(Text(column))
    reasons: list[str] = []
    for child in ranked:
        child_end = child.ended_at if child.status.is_terminal else None
        table.add_row(
            str(child.number), _styled_status(child.status), format_score(child.best_score),
            format_duration(child.started_at, child_end),
            *(Text(json.dumps(child.hyperparameters.get(name))) for name in names),
        )
        reason = _end_reason(child)
        if reason:
            reasons.append(f"  #{child.number} {child.status.value.lower()}: {reason}")
    console.print(table)

    if reasons:
        console.print("why runs ended early:", markup=False)
        for line in sorted(reasons, key=lambda text: int(text.split()[0][1:])):
            console.print(line, markup=False)


def _end_reason(child: ChildRunRecord) -> str:
    if child.termination and child.termination.get("message"):
        return str(child.termination["message"])
    return child.reason or ""


def _show_child(run: Run) -> None:
    details = run.get_details()
    lines = [
        f"run         {details['runId']} (sweep {details['parentRunId']})",
        f"status      {details['status']}" + (f" ({details['reason']})"
                                              if details["reason"] else ""),
        f"started     {details['startTimeUtc']}",
        f"ended       {details['endTimeUtc']}",
        f"exit code   {details['exitCode']}",
        f"arguments   {' '.join(details['runDefinition']['arguments'])}",
    ]
    for line in lines:
        console.print(line, markup=False)

    termination = details.get("termination")
    if termination:
        console.print(f"termination {termination.get('message')}", markup=False)

    metrics = run.get_metrics()
    for name, value in metrics.items():
        values = value if isinstance(value, list) else [value]
        shown = ", ".join(format_score(item) for item in values[-10:])
        more = f" ({len(values)} values, last 10 shown)" if len(values) > 10 else ""
        console.print(f"metric      {name}: {shown}{more}", markup=False)

    tags = run.get_tags()
    for key, tag_value in tags.items():
        console.print(f"tag         {key} = {tag_value}", markup=False)

    files = run.get_file_names()
    if files:
        console.print(f"files       {', '.join(files)}", markup=False)

    if details.get("logTail") and details["status"] != "Completed":
        console.print("log tail:", markup=False)
        console.print(details["logTail"], markup=False)
