"""Pure parts of the dashboard: escaping, downsampling, filters, axes, importance, hosts."""

from __future__ import annotations

import json
import math
import random

import pytest

from hypersweep.dashboard.charts import (
    MAX_PARALLEL_LINES,
    build_points,
    parallel_coordinates_figure,
    select_curve_runs,
)
from hypersweep.dashboard.downsample import (
    downsample_curve,
    lttb_indices,
    stride_indices,
)
from hypersweep.dashboard.escaping import json_for_script, json_safe, plotly_text, scene_text
from hypersweep.dashboard.importance import (
    RANDOM_FOREST,
    RANK_CORRELATION,
    compute_importance,
)
from hypersweep.dashboard.reader import ScoredRun
from hypersweep.dashboard.server import (
    allowed_hosts_for,
    exposure_warning,
    is_loopback,
)
from hypersweep.dashboard.space import ParamAxis, display_value
from hypersweep.dashboard.table import Condition, TableQuery, parse_condition
from hypersweep.enums import PrimaryMetricGoal, RunStatus

# Escaping


def test_json_for_script_escapes_markup() -> None:
    text = json_for_script({"name": "</script><!-- & \u2028\u2029 naïve"})

    assert "<" not in text
    assert ">" not in text
    assert "&" not in text
    assert "\u2028" not in text
    assert "\u2029" not in text
    assert json.loads(text) == {"name": "</script><!-- & \u2028\u2029 naïve"}


def test_json_safe_replaces_non_finite() -> None:
    value = json_safe({"a": [1.0, math.nan, math.inf, -math.inf], "b": (2, "x")})

    assert value == {"a": [1.0, None, None, None], "b": [2, "x"]}
    assert json.loads(json_for_script({"x": math.nan})) == {"x": None}


def test_plotly_text_uses_entities() -> None:
    assert plotly_text("<b>&</b>") == "&lt;b&gt;&amp;&lt;/b&gt;"
    assert plotly_text(3) == "3"


# Downsampling


def test_lttb_keeps_ends_peaks_and_count() -> None:
    xs = [float(index) for index in range(1000)]
    ys = [math.sin(index / 50) for index in range(1000)]
    ys[500] = 10.0

    kept = lttb_indices(xs, ys, 100)

    assert len(kept) == 100
    assert kept[0] == 0
    assert kept[-1] == 999
    assert kept == sorted(set(kept))
    assert 500 in kept


def test_lttb_short_series_is_whole() -> None:
    assert lttb_indices([0.0, 1.0, 2.0], [1.0, 2.0, 3.0], 10) == [0, 1, 2]


@pytest.mark.parametrize("threshold", [0, 2])
def test_lttb_rejects_small_threshold(threshold: int) -> None:
    with pytest.raises(ValueError, match="threshold"):
        lttb_indices([0.0, 1.0, 2.0, 3.0], [0.0, 1.0, 2.0, 3.0], threshold)


def test_stride_indices_bounds() -> None:
    assert stride_indices(5, 10) == [0, 1, 2, 3, 4]
    indices = stride_indices(10_000, 500)
    assert len(indices) == 500
    assert indices[0] == 0
    assert indices[-1] == 9_999


def test_downsample_curve_gaps_and_limit() -> None:
    intervals, values = downsample_curve([1.0, math.nan, 3.0], 10)
    assert intervals == [1, 2, 3]
    assert values == [1.0, None, 3.0]

    long = [float(index % 17) for index in range(5000)]
    intervals, values = downsample_curve(long, 300)
    assert len(intervals) == len(values) == 300
    assert intervals[0] == 1
    assert intervals[-1] == 5000


# Filters and table queries


@pytest.mark.parametrize(("text", "expected"), [
    ("0.1..0.5", Condition("range", 0.1, 0.5)),
    ("5..1", Condition("range", 1.0, 5.0)),
    (">=3", Condition(">=", 3.0)),
    ("< -2e-3", Condition("<", -0.002)),
    ("=32", Condition("=", 32.0)),
    ("32", Condition("=", 32.0)),
    ("adam", Condition("text", "adam")),
    ("=naïve ✓ 日本", Condition("text", "naïve ✓ 日本")),
    ("True", Condition("literal", "true")),
    ("none", Condition("literal", "null")),
])
def test_parse_condition(text: str, expected: Condition) -> None:
    assert parse_condition(text) == expected


def test_parse_condition_rejects_empty() -> None:
    with pytest.raises(ValueError, match="empty"):
        parse_condition("  ")


def test_table_query_defaults_and_values() -> None:
    assert TableQuery.from_params({}, ["x"]) == TableQuery()

    query = TableQuery.from_params(
        {"page": "3", "page_size": "50", "sort": "param:x", "order": "desc",
         "status": "Canceled", "param": "x", "value": "1..2", "score": ">0.5"}, ["x"])

    assert query.page == 3
    assert query.page_size == 50
    assert query.sort == "param:x"
    assert query.order == "desc"
    assert query.status is RunStatus.CANCELED
    assert query.param_filter == Condition("range", 1.0, 2.0)
    assert query.score_filter == Condition(">", 0.5)


@pytest.mark.parametrize(("params", "message"), [
    ({"page": "0"}, "page=0"),
    ({"page": "two"}, "page='two'"),
    ({"page_size": "1000"}, "page_size=1000"),
    ({"sort": "bogus"}, "sort='bogus'"),
    ({"sort": "param:nope"}, "sort='param:nope'"),
    ({"order": "sideways"}, "order='sideways'"),
    ({"status": "Done"}, "status='Done'"),
    ({"param": "nope", "value": "1"}, "param='nope'"),
    ({"score": "high"}, "score='high'"),
])
def test_table_query_rejects_bad_params(params: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("[", r"\[")):
        TableQuery.from_params(params, ["x"])


# Axes and charts


def test_param_axis_positions() -> None:
    categorical = ParamAxis("opt", "categorical", ("adam", 1, True, None))
    assert categorical.position("adam") == 0.0
    assert categorical.position(1) == 1.0
    assert categorical.position(True) == 2.0
    assert categorical.position(None) == 3.0
    assert categorical.position("sgd") is None

    log = ParamAxis("lr", "log")
    assert log.position(0.01) == 0.01
    assert log.position(0.0) is None
    assert log.position("x") is None


def test_display_value_formats() -> None:
    assert display_value("<b>") == "<b>"
    assert display_value(0.123456789) == "0.123457"
    assert display_value(32) == "32"
    assert display_value(True) == "True"
    assert display_value(None) == "None"


def _runs(count: int, seed: int = 3) -> list[ScoredRun]:
    generator = random.Random(seed)
    runs = []
    for number in range(count):
        x = generator.uniform(0, 1)
        noise = generator.uniform(0, 1)
        status = RunStatus.RUNNING if number >= count - 3 else RunStatus.COMPLETED
        runs.append(ScoredRun(f"HD_t_{number}", number, status, 1 - (x - 0.3) ** 2,
                              {"x": x, "noise": noise}, None, None))
    return runs


def test_select_curve_runs_takes_best_and_running() -> None:
    runs = _runs(200)
    axes = [ParamAxis("x", "linear"), ParamAxis("noise", "linear")]
    points = build_points(runs, axes, "accuracy", PrimaryMetricGoal.MAXIMIZE)

    chosen, note = select_curve_runs(points, limit=20)

    assert len(chosen) == 20
    running = {run.run_id for run in runs[-3:]}
    assert running <= set(chosen)
    best = max(runs, key=lambda run: run.score or 0.0)
    assert best.run_id in chosen
    assert "of 200 runs" in note


def test_parallel_coordinates_samples_lines() -> None:
    runs = _runs(MAX_PARALLEL_LINES + 500)
    axes = [ParamAxis("x", "linear"), ParamAxis("noise", "linear")]
    points = build_points(runs, axes, "accuracy", PrimaryMetricGoal.MAXIMIZE)

    figure = parallel_coordinates_figure(points)
    dimensions = figure["data"][0]["dimensions"]

    assert [dimension["label"] for dimension in dimensions] == ["x", "noise", "accuracy"]
    assert len(dimensions[0]["values"]) == MAX_PARALLEL_LINES
    best = max(run.score or 0.0 for run in runs)
    assert best in dimensions[2]["values"]


# Importance


def _importance_data(count: int = 300) -> tuple[list[ParamAxis], list[list[float | None]],
                                                 list[float | None]]:
    generator = random.Random(1)
    xs = [generator.uniform(0, 1) for _ in range(count)]
    noise = [generator.uniform(0, 1) for _ in range(count)]
    colours = [float(generator.randrange(3)) for _ in range(count)]
    scores: list[float | None] = [3 * x + colour + generator.gauss(0, 0.05)
                                  for x, colour in zip(xs, colours, strict=True)]
    axes = [ParamAxis("x", "linear"), ParamAxis("noise", "linear"),
            ParamAxis("colour", "categorical", ("red", "green", "blue"))]
    return axes, [list(xs), list(noise), list(colours)], scores


@pytest.mark.parametrize("use_forest", [True, False])
def test_importance_finds_relevant_parameters(use_forest: bool) -> None:
    if use_forest:
        pytest.importorskip("sklearn")
    axes, positions, scores = _importance_data()

    result = compute_importance(axes, positions, scores, use_forest=use_forest)

    assert result is not None
    assert result.method == (RANDOM_FOREST if use_forest else RANK_CORRELATION)
    assert result.runs == 300
    assert result.values["x"] > result.values["noise"]
    assert result.values["colour"] > result.values["noise"]


def test_importance_needs_enough_runs() -> None:
    axes, positions, scores = _importance_data(5)
    assert compute_importance(axes, positions, scores, use_forest=False) is None


# Hosts


def test_loopback_detection() -> None:
    assert is_loopback("127.0.0.1")
    assert is_loopback("127.0.0.2")
    assert is_loopback("::1")
    assert is_loopback("localhost")
    assert not is_loopback("0.0.0.0")
    assert not is_loopback("192.168.1.10")


def test_exposure_warning_only_off_loopback() -> None:
    assert exposure_warning("127.0.0.1") is None
    warning = exposure_warning("0.0.0.0")
    assert warning is not None
    assert "other machines" in warning
    assert "--host 127.0.0.1" in warning


def test_allowed_hosts() -> None:
    assert allowed_hosts_for("127.0.0.1", 8765) == {
        "127.0.0.1:8765", "localhost:8765", "[::1]:8765"}
    assert allowed_hosts_for("192.168.1.10", 80, ["Box.lan"]) == {
        "192.168.1.10:80", "box.lan:80"}
    assert "localhost:1" in allowed_hosts_for("0.0.0.0", 1)


def test_scene_text_keeps_style_tags_literal() -> None:
    assert scene_text("<b>bold</b> <script>x</script>") == \
        "<\u2060b>bold<\u2060/b> <script>x</script>"
    assert scene_text("a <SUP>2</SUP> < b") == "a <\u2060SUP>2<\u2060/SUP> < b"
    assert scene_text(1.5) == "1.5"
