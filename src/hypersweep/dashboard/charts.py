"""Plotly figures of a sweep, as plain ``{"data": [...], "layout": {...}}`` dictionaries.

The same dictionaries feed the web dashboard (drawn by plotly.js in the browser), the HTML
report and the Jupyter view, so the charts look alike everywhere. Every stored string that a
figure shows passes through :func:`~hypersweep.dashboard.escaping.plotly_text`, because Plotly
reads HTML tags in its texts. Hover templates contain no stored string at all, because Plotly
also reads ``%{...}`` placeholders in them.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

from hypersweep.dashboard.downsample import downsample_curve, stride_indices
from hypersweep.dashboard.escaping import plotly_text, scene_text
from hypersweep.dashboard.importance import Importance
from hypersweep.dashboard.reader import ScoredRun
from hypersweep.dashboard.space import ParamAxis, display_value
from hypersweep.enums import PrimaryMetricGoal, RunStatus

__all__ = [
    "MAX_CURVES",
    "MAX_CURVE_POINTS",
    "MAX_PARALLEL_LINES",
    "MAX_POINTS",
    "SweepPoints",
    "axis_layouts",
    "best_so_far_figure",
    "build_points",
    "curves_figure",
    "importance_figure",
    "metric_figure",
    "parallel_coordinates_figure",
    "scatter_figure",
    "select_curve_runs",
]

MAX_CURVES = 60
"""Maximum number of runs whose primary metric curve the sweep page draws.

Above it, the page draws up to ``MAX_RUNNING_CURVES`` running runs and fills the rest with the
best ones."""

MAX_RUNNING_CURVES = 20

MAX_CURVE_POINTS = 500
"""Maximum number of points per curve; longer curves are reduced with
Largest-Triangle-Three-Buckets."""

MAX_PARALLEL_LINES = 3_000
"""Maximum number of lines in the parallel coordinates chart.

More lines are unreadable, and slow to draw without a GPU: 10,000 lines took 4 to 6 s in
Chromium's software WebGL on 2 cores, 3,000 about 3 s."""

MAX_POINTS = 20_000
"""Maximum number of runs in the chart data; above it every k-th run (and the best) is kept."""

# Above this many points, scatter charts use WebGL (scattergl), which stays fast with 10,000+.
_WEBGL_POINTS = 2_000
_COLORSCALE = "Viridis"
_MUTED = "#9aa5b1"
_BEST = "#d9480f"
_HEIGHT = 380


@dataclasses.dataclass(frozen=True)
class SweepPoints:
    """The child runs of a sweep as chart points: one entry per run, in start order.

    ``positions[i][j]`` is where run ``j`` sits on ``axes[i]``, and ``scores`` contains the
    best finite primary metric value of each run or None. ``total`` counts every child run, also
    those left out when there were more than :data:`MAX_POINTS`.
    """

    run_ids: list[str]
    numbers: list[int]
    statuses: list[str]
    scores: list[float | None]
    axes: list[ParamAxis]
    positions: list[list[float | None]]
    total: int
    metric: str
    goal: PrimaryMetricGoal

    @property
    def scored_count(self) -> int:
        """How many of the runs have a finite score."""
        return sum(score is not None for score in self.scores)


def build_points(runs: Sequence[ScoredRun], axes: Sequence[ParamAxis], metric: str,
                 goal: PrimaryMetricGoal, *, limit: int = MAX_POINTS) -> SweepPoints:
    """Return the runs as chart points, every k-th run (and the best) when there are more than
    ``limit``."""
    selected = list(runs)
    if len(selected) > limit:
        kept = set(stride_indices(len(selected), limit - 1))
        best = _best_index([run.score for run in selected], goal)
        if best is not None:
            kept.add(best)
        selected = [selected[index] for index in sorted(kept)]

    return SweepPoints(
        run_ids=[run.run_id for run in selected],
        numbers=[run.number for run in selected],
        statuses=[run.status.value for run in selected],
        scores=[run.score for run in selected],
        axes=list(axes),
        positions=[[axis.position(run.hyperparameters.get(axis.name)) for run in selected]
                   for axis in axes],
        total=len(runs),
        metric=metric,
        goal=goal,
    )


def axis_layouts(points: SweepPoints) -> dict[str, dict[str, Any]]:
    """Return, per hyperparameter, the Plotly axis settings and the positions of the points.

    The positions follow the points of :func:`scatter_figure`, so the browser code of the
    scatter charts can swap axes without a new request. ``label`` is the raw name, for the
    page's own text. ``axis`` (2-D) and ``scene_axis`` (3-D) are already escaped for Plotly.
    """
    rows = _complete_rows(points)
    return {
        axis.name: {"label": axis.name, "axis": _axis_layout(axis),
                    "scene_axis": _axis_layout(axis, scene=True),
                    "values": [column[index] for index in rows]}
        for axis, column in zip(points.axes, points.positions, strict=True)
    }


# Figures of a sweep

def select_curve_runs(points: SweepPoints, *, limit: int = MAX_CURVES) -> tuple[list[str], str]:
    """Return the runs whose metric curves to draw, and a note that names the choice.

    These are all runs when there are at most ``limit``, otherwise the best and the running ones.
    """
    if len(points.run_ids) <= limit:
        return list(points.run_ids), ""

    running = [run_id for run_id, status in zip(points.run_ids, points.statuses, strict=True)
               if status == RunStatus.RUNNING.value][-MAX_RUNNING_CURVES:]
    sign = -1.0 if points.goal is PrimaryMetricGoal.MAXIMIZE else 1.0
    scored = [(sign * score, run_id) for run_id, score in zip(points.run_ids, points.scores,
                                                              strict=True) if score is not None]
    best = [run_id for _, run_id in sorted(scored, key=lambda item: item[0])
            if run_id not in running][:limit - len(running)]
    chosen = set(best) | set(running)
    ordered = [run_id for run_id in points.run_ids if run_id in chosen]
    note = (f"{len(ordered)} of {points.total:,} runs: the {len(best)} best"
            + (f" and {len(running)} running" if running else ""))
    return ordered, note


def curves_figure(points: SweepPoints, curves: dict[str, list[float]], note: str = "",
                  *, max_points: int = MAX_CURVE_POINTS) -> dict[str, Any]:
    """Return the primary metric of each run over its intervals, one line per run."""
    if not curves:
        return _empty_figure(f"No run has logged {points.metric} yet.")

    best_run = _best_run_id(points)
    numbers = dict(zip(points.run_ids, points.numbers, strict=True))
    traces = []
    for run_id, values in curves.items():
        intervals, shown = downsample_curve(values, max_points)
        number = numbers.get(run_id, -1)
        is_best = run_id == best_run
        traces.append({
            "type": "scatter",
            "mode": "lines+markers" if len(intervals) <= 30 else "lines",
            "x": intervals,
            "y": shown,
            "name": f"#{number}",
            "line": {"width": 3 if is_best else 1.2, **({"color": _BEST} if is_best else {})},
            "marker": {"size": 4},
            "opacity": 1.0 if is_best else 0.75,
            "hovertemplate": f"run #{number}<br>interval %{{x}}<br>value %{{y}}<extra></extra>",
        })

    title = f"{plotly_text(points.metric)} per interval" + (f" ({note})" if note else "")
    return {
        "data": traces,
        "layout": _layout(title, x_title="interval", y_title=plotly_text(points.metric),
                          showlegend=len(traces) <= 12),
    }


def best_so_far_figure(points: SweepPoints) -> dict[str, Any]:
    """Return each run's best value by run number, and the best value reached so far."""
    numbers = [number for number, score in zip(points.numbers, points.scores, strict=True)
               if score is not None]
    scores = [score for score in points.scores if score is not None]
    if not scores:
        return _empty_figure(f"No run has logged a finite value of {points.metric} yet.")

    # The line keeps only the runs that improved on all earlier ones, drawn as steps.
    step_x: list[int] = []
    step_y: list[float] = []
    for number, score in zip(numbers, scores, strict=True):
        if not step_y or points.goal.is_better(score, step_y[-1]):
            step_x.append(number)
            step_y.append(score)
    step_x.append(numbers[-1])
    step_y.append(step_y[-1])

    runs = {
        "type": "scattergl" if len(scores) > _WEBGL_POINTS else "scatter",
        "mode": "markers",
        "x": numbers,
        "y": scores,
        "name": "each run",
        "marker": {"size": 5, "color": _MUTED},
        "hovertemplate": "run #%{x}<br>best value %{y}<extra></extra>",
    }
    best = {
        "type": "scatter",
        "mode": "lines",
        "x": step_x,
        "y": step_y,
        "name": "best so far",
        "line": {"shape": "hv", "width": 2.5, "color": _BEST},
        "hovertemplate": "after run #%{x}<br>best so far %{y}<extra></extra>",
    }
    title = f"Best {plotly_text(points.metric)} so far ({points.goal.value.lower()})"
    return {"data": [runs, best],
            "layout": _layout(title, x_title="run number", y_title=plotly_text(points.metric))}


def parallel_coordinates_figure(points: SweepPoints, *,
                                limit: int = MAX_PARALLEL_LINES) -> dict[str, Any]:
    """Return one axis per hyperparameter and one for the metric, one line per scored run.

    Above ``limit`` scored runs, the best third of ``limit`` and every k-th of the others are
    drawn.
    """
    rows = _complete_rows(points)
    if not rows:
        return _empty_figure(f"No run has logged a finite value of {points.metric} yet.")

    scored = len(rows)
    note = ""
    if scored > limit:
        sign = -1.0 if points.goal is PrimaryMetricGoal.MAXIMIZE else 1.0
        ranked = sorted(rows, key=lambda index: sign * (points.scores[index] or 0.0))
        best = ranked[:limit // 3]
        others = sorted(ranked[limit // 3:])
        sampled = [others[index] for index in stride_indices(len(others), limit - len(best))]
        rows = sorted(best + sampled)
        note = f" (the {len(best):,} best and every k-th of the other {len(others):,})"

    dimensions = []
    for axis, column in zip(points.axes, points.positions, strict=True):
        values = [column[index] for index in rows]
        dimension: dict[str, Any] = {"label": plotly_text(axis.name), "values": values}
        if axis.kind == "categorical":
            dimension["tickvals"] = list(range(len(axis.categories)))
            # Unlike the axis labels, these tick labels are plain text, so they stay unescaped.
            dimension["ticktext"] = [display_value(value) for value in axis.categories]
            dimension["range"] = [-0.25, max(len(axis.categories) - 0.75, 0.25)]
        elif axis.kind == "log":
            # Parallel coordinates have no log axes, so the axis shows the exponent.
            dimension["label"] = f"log10({plotly_text(axis.name)})"
            dimension["values"] = [None if value is None else math.log10(value)
                                   for value in values]
        dimensions.append(dimension)

    scores = [points.scores[index] for index in rows]
    dimensions.append({"label": plotly_text(points.metric), "values": scores})
    trace = {
        "type": "parcoords",
        "dimensions": dimensions,
        "line": {"color": scores, "colorscale": _COLORSCALE, "showscale": True,
                 "reversescale": points.goal is PrimaryMetricGoal.MINIMIZE,
                 "colorbar": {"title": {"text": plotly_text(points.metric)}}},
    }
    title = f"Hyperparameters and {plotly_text(points.metric)}, {len(rows):,} of " \
            f"{points.total:,} runs{note}"
    layout = _layout(title, height=420)
    layout["margin"] = {"l": 70, "r": 40, "t": 90, "b": 40}
    return {"data": [trace], "layout": layout}


def scatter_figure(points: SweepPoints, x: str, y: str, z: str | None = None) -> dict[str, Any]:
    """Return the scored runs at their hyperparameters ``x``, ``y`` (and ``z`` in 3-D), coloured
    by the metric."""
    axes = {axis.name: index for index, axis in enumerate(points.axes)}
    for name in (x, y, z):
        if name is not None and name not in axes:
            raise ValueError(f"{name!r} is not a hyperparameter of this sweep; choose one of "
                             f"{', '.join(map(repr, axes))}.")

    rows = _complete_rows(points)
    if not rows:
        return _empty_figure(f"No run has logged a finite value of {points.metric} yet.")

    def column(name: str) -> list[float | None]:
        values = points.positions[axes[name]]
        return [values[index] for index in rows]

    scores = [points.scores[index] for index in rows]
    marker = {
        "color": scores, "colorscale": _COLORSCALE, "showscale": True,
        "reversescale": points.goal is PrimaryMetricGoal.MINIMIZE, "size": 7 if z is None else 4,
        "colorbar": {"title": {"text": plotly_text(points.metric)}},
    }
    numbers = [points.numbers[index] for index in rows]
    trace: dict[str, Any] = {
        "mode": "markers", "x": column(x), "y": column(y), "marker": marker, "text": numbers,
    }
    if z is None:
        # The run id of each point lets a click open that run's page.
        trace["customdata"] = [points.run_ids[index] for index in rows]
        trace["type"] = "scattergl" if len(rows) > _WEBGL_POINTS else "scatter"
        trace["hovertemplate"] = "run #%{text}<br>x %{x}<br>y %{y}<br>value %{marker.color}" \
                                 "<extra></extra>"
        layout = _layout(f"{plotly_text(points.metric)} over two hyperparameters")
        layout["xaxis"] = _axis_layout(points.axes[axes[x]])
        layout["yaxis"] = _axis_layout(points.axes[axes[y]])
    else:
        trace["type"] = "scatter3d"
        trace["z"] = column(z)
        trace["hovertemplate"] = "run #%{text}<br>x %{x}<br>y %{y}<br>z %{z}<br>" \
                                 "value %{marker.color}<extra></extra>"
        layout = _layout(f"{plotly_text(points.metric)} over three hyperparameters", height=460)
        layout["scene"] = {"xaxis": _axis_layout(points.axes[axes[x]], scene=True),
                           "yaxis": _axis_layout(points.axes[axes[y]], scene=True),
                           "zaxis": _axis_layout(points.axes[axes[z]], scene=True)}
        layout["margin"] = {"l": 0, "r": 0, "t": 50, "b": 0}
    return {"data": [trace], "layout": layout}


def importance_figure(importance: Importance | None, metric: str) -> dict[str, Any]:
    """Return a bar per hyperparameter, the most important on top."""
    if importance is None:
        return _empty_figure("Importance needs more runs with a finite value of "
                             f"{metric}.")

    ordered = sorted(importance.values.items(), key=lambda item: item[1])
    trace = {
        "type": "bar",
        "orientation": "h",
        "x": [value for _, value in ordered],
        "y": [plotly_text(name) for name, _ in ordered],
        "marker": {"color": "#3b5bdb"},
        "hovertemplate": "%{x:.3f}<extra></extra>",
    }
    title = f"Hyperparameter importance for {plotly_text(metric)}<br>" \
            f"<sub>{importance.method}, {importance.runs:,} runs</sub>"
    layout = _layout(title, x_title="importance", height=max(260, 90 + 36 * len(ordered)))
    layout["yaxis"] = {"automargin": True, "type": "category"}
    return {"data": [trace], "layout": layout}


# Figures of a child run

def metric_figure(name: str, values: Sequence[float], *,
                  max_points: int = MAX_CURVE_POINTS) -> dict[str, Any]:
    """Return one metric of a child run over the order in which it was logged."""
    intervals, shown = downsample_curve(values, max_points)
    trace = {
        "type": "scatter",
        "mode": "lines+markers" if len(intervals) <= 50 else "lines",
        "x": intervals,
        "y": shown,
        "hovertemplate": "value %{x}: %{y}<extra></extra>",
    }
    layout = _layout(plotly_text(name), x_title="logged value number", height=300)
    return {"data": [trace], "layout": layout}


# Helpers

def _layout(title: str, *, x_title: str | None = None, y_title: str | None = None,
            height: int = _HEIGHT, showlegend: bool = False) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "title": {"text": title, "font": {"size": 15}},
        "height": height,
        "margin": {"l": 60, "r": 20, "t": 60, "b": 50},
        "showlegend": showlegend,
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "#fbfcfd",
    }
    if x_title is not None:
        layout["xaxis"] = {"title": {"text": x_title}}
    if y_title is not None:
        layout["yaxis"] = {"title": {"text": y_title}}
    return layout


def _axis_layout(axis: ParamAxis, *, scene: bool = False) -> dict[str, Any]:
    escape = scene_text if scene else plotly_text
    layout: dict[str, Any] = {"title": {"text": escape(axis.name)}}
    if axis.kind == "categorical":
        layout["type"] = "linear"
        layout["tickvals"] = list(range(len(axis.categories)))
        layout["ticktext"] = [escape(display_value(value)) for value in axis.categories]
        layout["range"] = [-0.5, len(axis.categories) - 0.5]
    else:
        layout["type"] = axis.kind
    return layout


def _empty_figure(message: str) -> dict[str, Any]:
    layout = _layout("", height=240)
    layout["xaxis"] = {"visible": False}
    layout["yaxis"] = {"visible": False}
    layout["annotations"] = [{"text": plotly_text(message), "showarrow": False,
                              "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5,
                              "font": {"size": 14, "color": "#52606d"}}]
    return {"data": [], "layout": layout}


def _complete_rows(points: SweepPoints) -> list[int]:
    """Return the indices of the runs with a score and a position on every axis."""
    return [
        index for index, score in enumerate(points.scores)
        if score is not None and all(column[index] is not None for column in points.positions)
    ]


def _best_index(scores: Sequence[float | None], goal: PrimaryMetricGoal) -> int | None:
    """Return the index of the best score; ties go to the earlier run."""
    best: int | None = None
    best_score = 0.0
    for index, score in enumerate(scores):
        if score is None:
            continue
        if best is None or goal.is_better(score, best_score):
            best = index
            best_score = score
    return best


def _best_run_id(points: SweepPoints) -> str | None:
    index = _best_index(points.scores, points.goal)
    return None if index is None else points.run_ids[index]
