"""The content of each view as JSON-ready mappings, shared by the web pages, the API, the HTML
report and the Jupyter view.

Stored strings stay raw here; each output escapes them for where they go (Jinja2 autoescaping,
``textContent`` in the browser, :func:`~hypersweep.dashboard.escaping.plotly_text` in charts).
"""

from __future__ import annotations

import collections
import hashlib
import json
import math
import threading
import time
from collections.abc import Callable, Hashable, Sequence
from typing import Any, TypeVar

from hypersweep.api.workspace import Workspace
from hypersweep.dashboard import charts
from hypersweep.dashboard.importance import compute_importance
from hypersweep.dashboard.reader import Snapshot
from hypersweep.dashboard.run_files import list_outputs, read_log_tail
from hypersweep.dashboard.space import display_value, param_axes, search_space
from hypersweep.dashboard.table import format_duration, format_score
from hypersweep.enums import RunStatus
from hypersweep.store import ChildRunRecord, ParentRunRecord

__all__ = [
    "ViewCache",
    "default_axes",
    "experiments_overview",
    "format_time",
    "param_names",
    "run_view",
    "sweep_charts",
    "sweep_importance",
    "sweep_settings",
    "sweep_summary",
    "version_token",
]

_Value = TypeVar("_Value")

# Beyond this many metrics a run page draws the first ones only and lists the rest in a table.
_MAX_RUN_CHARTS = 24


class ViewCache:
    """A small thread-safe least-recently-used cache of computed views.

    Keys should include the sweep's version (:meth:`Snapshot.sweep_version`), so that an entry
    is reused only while the sweep has not changed, and a finished sweep is computed once.
    """

    def __init__(self, size: int = 16) -> None:
        self._size = size
        self._entries: collections.OrderedDict[Hashable, Any] = collections.OrderedDict()
        self._lock = threading.Lock()

    def get_or_compute(self, key: Hashable, compute: Callable[[], _Value]) -> _Value:
        """Return the cached value for ``key``, computing and storing it when missing."""
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                cached: _Value = self._entries[key]
                return cached

        # Two threads may compute the same entry at once; both results are equal, and computing
        # outside the lock keeps other sweeps' requests from waiting.
        value = compute()
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return value


def format_time(timestamp: float | None) -> str:
    """Format a Unix timestamp in the local time of the server; ``-`` when there is none."""
    if timestamp is None:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(timestamp))


def param_names(snapshot: Snapshot, parent: ParentRunRecord) -> list[str]:
    """Return the sweep's hyperparameter names in search-space order."""
    names = list(search_space(parent))
    if names:
        return names
    return list(snapshot.first_hyperparameters(parent.run_id))


# Experiments

def experiments_overview(snapshot: Snapshot, *, now: float | None = None) -> list[dict[str, Any]]:
    """Return every experiment with its sweeps, newest sweep first in each."""
    now = time.time() if now is None else now
    counts = snapshot.status_counts()
    sweeps: dict[str, list[dict[str, Any]]] = {}
    for parent in snapshot.parent_runs():
        sweeps.setdefault(parent.experiment_name, []).append(
            _sweep_line(parent, counts.get(parent.run_id, {}), now))

    experiments = snapshot.experiments()
    # The newest activity first: experiments whose latest sweep is most recent lead.
    experiments.sort(key=lambda experiment: max(
        (sweep["created_at"] for sweep in sweeps.get(experiment.name, [])),
        default=experiment.created_at), reverse=True)
    return [
        {"name": experiment.name, "created": format_time(experiment.created_at),
         "sweeps": sweeps.get(experiment.name, [])}
        for experiment in experiments
    ]


# One sweep

def sweep_summary(snapshot: Snapshot, parent: ParentRunRecord, *,
                  now: float | None = None) -> dict[str, Any]:
    """Return the header of a sweep's page: status, progress, best run, times and warnings."""
    now = time.time() if now is None else now
    counts = snapshot.status_counts(parent.run_id).get(parent.run_id, {})
    line = _sweep_line(parent, counts, now)
    version = snapshot.sweep_version(parent)
    warnings = list(parent.warnings)
    if _controller_stopped(parent):
        warnings.insert(0, f"The controller of this sweep is not running, so the sweep makes no "
                           f"progress. Continue it with `hypersweep resume {parent.run_id}`.")
    line.update({
        "experiment": parent.experiment_name,
        "goal": parent.goal.value.lower(),
        "counts": {status.value: counts.get(status, 0) for status in RunStatus},
        "ended": format_time(parent.ended_at),
        "end_reason": parent.end_reason or "",
        "warnings": warnings,
        "version": version_token(version),
        "updated": format_time(now),
    })
    return line


def sweep_settings(parent: ParentRunRecord) -> dict[str, Any]:
    """Return the sweep's configuration: the search space, the limits, the policy and the rest.

    ``config_json`` is the whole recorded configuration, indented.
    """
    config = parent.config
    sampling = config.get("hyperparameter_sampling") or {}
    policy = config.get("policy")
    space = [
        {"name": name,
         "expression": str(expression[0]) if expression else "",
         "arguments": json.dumps(expression[1] if len(expression) > 1 else [],
                                 ensure_ascii=False)}
        for name, expression in search_space(parent).items()
    ]
    run_config = config.get("run_config") or {}
    return {
        "space": space,
        "sampling": {key: value for key, value in sampling.items() if key != "space"},
        "policy": policy,
        "objective": f"{parent.goal.value.lower()} {parent.primary_metric_name}",
        "max_total_runs": config.get("max_total_runs"),
        "max_concurrent_runs": config.get("max_concurrent_runs"),
        "max_duration_minutes": config.get("max_duration_minutes"),
        "command": run_config.get("command") or " ".join(
            str(part) for part in [run_config.get("script") or "",
                                   *(run_config.get("arguments") or [])] if part),
        "config_json": json.dumps(config, indent=2, ensure_ascii=False, sort_keys=False,
                                  default=str),
    }


def default_axes(names: Sequence[str]) -> dict[str, str | None]:
    """Return the hyperparameters that the scatter charts show first (x, y and z)."""
    first = list(names) + [None, None, None]
    x = first[0]
    y = first[1] if len(names) > 1 else x
    z = first[2] if len(names) > 2 else None
    return {"x": x, "y": y, "z": z}


def sweep_charts(snapshot: Snapshot, parent: ParentRunRecord) -> dict[str, Any]:
    """Return the figures of a sweep and the data that the scatter charts' axis menus need.

    Figures: ``curves`` (primary metric per interval), ``best`` (best so far), ``parallel``
    (parallel coordinates), ``scatter2d`` (with one or more hyperparameters) and ``scatter3d``
    (with three or more).
    """
    points = _points(snapshot, parent)
    curve_runs, note = charts.select_curve_runs(points)
    curves = snapshot.metric_values(curve_runs, parent.primary_metric_name)
    axes = default_axes([axis.name for axis in points.axes])

    figures: dict[str, Any] = {
        "curves": charts.curves_figure(points, curves, note),
        "best": charts.best_so_far_figure(points),
        "parallel": charts.parallel_coordinates_figure(points),
    }
    if axes["x"] is not None and axes["y"] is not None:
        figures["scatter2d"] = charts.scatter_figure(points, axes["x"], axes["y"])
        if axes["z"] is not None:
            figures["scatter3d"] = charts.scatter_figure(points, axes["x"], axes["y"],
                                                         axes["z"])

    return {
        "version": version_token(snapshot.sweep_version(parent)),
        "figures": figures,
        "axes": charts.axis_layouts(points),
        "default_axes": axes,
        "points": len(points.run_ids),
        "total": points.total,
        "scored": points.scored_count,
    }


def sweep_importance(snapshot: Snapshot, parent: ParentRunRecord) -> dict[str, Any]:
    """Return the hyperparameter importance figure of a sweep (see
    :mod:`hypersweep.dashboard.importance`)."""
    points = _points(snapshot, parent)
    importance = compute_importance(points.axes, points.positions, points.scores)
    return {
        "version": version_token(snapshot.sweep_version(parent)),
        "figure": charts.importance_figure(importance, parent.primary_metric_name),
        "method": importance.method if importance else None,
        "values": importance.values if importance else {},
    }


def _points(snapshot: Snapshot, parent: ParentRunRecord) -> charts.SweepPoints:
    runs = snapshot.scored_runs(parent.run_id)
    axes = param_axes(parent, (run.hyperparameters for run in runs))
    return charts.build_points(runs, axes, parent.primary_metric_name, parent.goal)


# One child run

def run_view(snapshot: Snapshot, workspace: Workspace, run_id: str, *,
             now: float | None = None) -> dict[str, Any]:
    """Return a child run's page: status, times, arguments, hyperparameters, metrics with their
    figures, tags, log tail and output files."""
    now = time.time() if now is None else now
    record = snapshot.child_run(run_id)
    parent = snapshot.parent_run(record.parent_id)
    metrics = snapshot.metrics(run_id)
    outputs, outputs_cut = list_outputs(workspace, record)

    metric_rows: list[dict[str, Any]] = []
    figures: list[dict[str, Any]] = []
    for name, entries in metrics.items():
        values = [value for value, _ in entries]
        finite = [value for value in values if math.isfinite(value)]
        metric_rows.append({
            "name": name,
            "count": len(values),
            "last": format_score(values[-1]),
            "min": format_score(min(finite)) if finite else "-",
            "max": format_score(max(finite)) if finite else "-",
            "primary": name == parent.primary_metric_name,
        })
        if len(figures) < _MAX_RUN_CHARTS:
            figures.append(charts.metric_figure(name, values))

    end = record.ended_at if record.status.is_terminal else now
    duration = None if record.started_at is None or end is None else end - record.started_at
    termination = record.termination or {}
    return {
        "run_id": record.run_id,
        "number": record.number,
        "parent_id": record.parent_id,
        "experiment": parent.experiment_name,
        "metric": parent.primary_metric_name,
        "status": record.status.value,
        "is_terminal": record.status.is_terminal,
        "score_text": format_score(record.best_score),
        "started": format_time(record.started_at),
        "ended": format_time(record.ended_at),
        "duration_text": format_duration(duration),
        "exit_code": "-" if record.exit_code is None else str(record.exit_code),
        "reason": record.reason or "",
        "termination": _termination_lines(termination),
        "arguments": list(record.arguments),
        "hyperparameters": [{"name": name, "value": display_value(value)}
                            for name, value in record.hyperparameters.items()],
        "metrics": metric_rows,
        "figures": figures,
        "figures_cut": len(metrics) > len(figures),
        "tags": [{"key": key, "value": "" if value is None else value}
                 for key, value in snapshot.tags(run_id).items()],
        "log_tail": read_log_tail(workspace, record),
        "outputs": [{"name": output.name, "size": output.size} for output in outputs],
        "outputs_cut": outputs_cut,
        "version": version_token(_run_version(record)),
    }


def _termination_lines(termination: dict[str, Any]) -> list[dict[str, str]]:
    """Return the early termination decision as label/value lines, or no lines."""
    if not termination:
        return []

    lines = [{"label": "policy", "value": str(termination.get("policy", ""))}]
    for key in ("interval", "value", "reference"):
        value = termination.get(key)
        if value is not None:
            text = format_score(value) if isinstance(value, float) else str(value)
            lines.append({"label": key, "value": text})
    if termination.get("message"):
        lines.append({"label": "decision", "value": str(termination["message"])})
    return lines


def _run_version(record: ChildRunRecord) -> tuple[Any, ...]:
    return (record.run_id, record.status.value, record.last_interval, record.ended_at,
            record.best_score)


# Helpers

def _sweep_line(parent: ParentRunRecord, counts: dict[RunStatus, int],
                now: float) -> dict[str, Any]:
    done = sum(counts.get(status, 0) for status in RunStatus if status.is_terminal)
    total = parent.config.get("max_total_runs")
    end = parent.ended_at if parent.status.is_terminal else now
    duration = None if parent.started_at is None or end is None else end - parent.started_at
    return {
        "run_id": parent.run_id,
        "experiment": parent.experiment_name,
        "status": parent.status.value,
        "is_terminal": parent.status.is_terminal,
        "done": done,
        "running": counts.get(RunStatus.RUNNING, 0),
        "max_total_runs": total,
        "progress": min(1.0, done / total) if isinstance(total, int) and total > 0 else None,
        "metric": parent.primary_metric_name,
        "best_child_id": parent.best_child_id or "",
        "best_score_text": format_score(parent.best_score),
        "created_at": parent.created_at,
        "started": format_time(parent.started_at or parent.created_at),
        "duration_text": format_duration(duration),
    }


def _controller_stopped(parent: ParentRunRecord) -> bool:
    """Return whether a sweep that has not ended lost its controller process."""
    if parent.status.is_terminal or parent.controller_pid is None:
        return False

    from hypersweep.controller.process import controller_alive

    return not controller_alive(parent)


def version_token(version: tuple[Any, ...]) -> str:
    """Return a short text that identifies a version of a sweep or run, for change checks."""
    return hashlib.sha1(repr(version).encode("utf-8")).hexdigest()[:16]
