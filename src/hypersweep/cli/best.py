"""``hypersweep best``: the best child run of a sweep."""

from __future__ import annotations

import json

import click

from hypersweep.api.runs import HyperDriveRun, find_run
from hypersweep.api.workspace import Workspace
from hypersweep.cli._common import console, format_score, open_workspace, workspace_option
from hypersweep.errors import InvalidConfigError

__all__ = ["command", "print_best"]


@click.command("best")
@click.argument("run_id")
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
@workspace_option
def command(run_id: str, as_json: bool, workspace_path: str | None) -> int:
    """Print the best child run of sweep RUN_ID: id, metric value and arguments."""
    return print_best(open_workspace(workspace_path), run_id, as_json=as_json)


def print_best(workspace: Workspace, run_id: str, *, as_json: bool) -> int:
    """Print the best run of a sweep; return 0, or 1 when no run logged the metric."""
    sweep = find_run(workspace, run_id)
    if not isinstance(sweep, HyperDriveRun):
        raise InvalidConfigError(f"{run_id} is a child run; give the id of a sweep (HD_<uuid>)")

    best = sweep.get_best_run_by_primary_metric()
    details = sweep.get_details()
    metric = details["properties"]["primary_metric_config"]["name"]

    if best is None:
        if as_json:
            console.print_json(json.dumps({"sweep_id": sweep.id, "best_run": None}))
        else:
            console.print(f"no child run of {sweep.id} logged a finite {metric!r} value",
                          markup=False)
        return 1

    best_details = best.get_details()
    result = {
        "sweep_id": sweep.id,
        "run_id": best.id,
        "status": best_details["status"],
        "primary_metric": metric,
        "value": best_details["bestPrimaryMetric"],
        "hyperparameters": best_details["hyperparameters"],
        "arguments": best_details["runDefinition"]["arguments"],
    }
    if as_json:
        click.echo(json.dumps(result))
        return 0

    console.print(f"best run: {best.id} ({result['status']})", markup=False)
    console.print(f"  {metric}: {format_score(result['value'])}", markup=False)
    console.print(f"  arguments: {' '.join(result['arguments'])}", markup=False)
    return 0
