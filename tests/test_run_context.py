"""The run context of training scripts and the metric protocol it writes."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from hypersweep.errors import InvalidMetricError
from hypersweep.run.context import OfflineRun, SubmittedRun, to_metric_value
from hypersweep.run.protocol import MetricsFileReader, ProtocolError, parse_line


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, 1.0),
        (0.25, 0.25),
        (np.float32(0.5), 0.5),
        (np.int64(3), 3.0),
        (np.array(0.75), 0.75),
        (np.array([0.125]), 0.125),
        (float("nan"), math.nan),
        (float("inf"), math.inf),
    ],
    ids=["int", "float", "numpy-float32", "numpy-int64", "numpy-0d", "numpy-1-element", "nan",
         "inf"],
)
def test_metric_value_accepts_numbers(value: object, expected: float) -> None:
    result = to_metric_value("accuracy", value)
    assert type(result) is float
    if math.isnan(expected):
        assert math.isnan(result)
    else:
        assert result == expected


@pytest.mark.parametrize(
    "value",
    ["0.9", None, [0.1, 0.2], {"a": 1}, True, np.array([1.0, 2.0])],
    ids=["string", "none", "list", "dict", "bool", "numpy-2-elements"],
)
def test_metric_value_rejects_non_numbers(value: object) -> None:
    with pytest.raises(TypeError, match="metric 'accuracy'"):
        to_metric_value("accuracy", value)


def test_metric_value_accepts_torch_scalar() -> None:
    torch = pytest.importorskip("torch")
    assert to_metric_value("loss", torch.tensor(0.5)) == 0.5


def test_submitted_run_appends_protocol_lines(tmp_path: Path) -> None:
    metrics_file = tmp_path / "metrics.jsonl"
    run = SubmittedRun("HD_x_0", "HD_x", metrics_file, tmp_path / "outputs")

    run.log("accuracy", 0.5)
    run.log_list("loss", [0.9, np.float64(0.7)])
    run.tag("phase", "warmup")
    run.log("accuracy", float("nan"))

    records = [parse_line(line) for line in metrics_file.read_text().splitlines()]
    assert [(r.type, r.name) for r in records] == [
        ("metric", "accuracy"), ("metric", "loss"), ("metric", "loss"), ("tag", "phase"),
        ("metric", "accuracy"),
    ]
    assert [r.value for r in records[:3]] == [0.5, 0.9, 0.7]
    assert records[3].value == "warmup"
    assert isinstance(records[4].value, float) and math.isnan(records[4].value)
    assert run.get_metrics() == {"accuracy": [0.5, pytest.approx(math.nan, nan_ok=True)],
                                 "loss": [0.9, 0.7]}


def test_log_rejects_string_without_writing(tmp_path: Path) -> None:
    metrics_file = tmp_path / "metrics.jsonl"
    run = SubmittedRun("HD_x_0", "HD_x", metrics_file, tmp_path / "outputs")

    with pytest.raises(InvalidMetricError, match="metric 'accuracy'"):
        run.log("accuracy", "high")
    with pytest.raises(InvalidMetricError, match="log_list expects a list"):
        run.log_list("accuracy", "0.1")

    assert not metrics_file.exists()


def test_offline_run_keeps_and_prints(capsys: pytest.CaptureFixture[str]) -> None:
    run = OfflineRun()
    run.log("accuracy", 0.5)
    run.log("accuracy", 0.75)

    assert run.get_metrics() == {"accuracy": [0.5, 0.75]}
    assert "accuracy = 0.75" in capsys.readouterr().err
    assert run.id.startswith("OfflineRun_")


def test_get_context_offline_outside_sweep(tmp_path: Path) -> None:
    script = "from hypersweep import Run; r = Run.get_context(); print(type(r).__name__)"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=True, env={"PATH": "/usr/bin:/bin", "PYTHONPATH":
                                             str(Path(__file__).parent.parent / "src")})
    assert result.stdout.strip() == "OfflineRun"


def test_get_context_online_inside_sweep(tmp_path: Path) -> None:
    metrics_file = tmp_path / "m.jsonl"
    script = "from hypersweep import Run; Run.get_context().log('x', 2)"
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(Path(__file__).parent.parent / "src"),
           "HYPERSWEEP_RUN_ID": "HD_a_0", "HYPERSWEEP_METRICS_FILE": str(metrics_file)}
    subprocess.run([sys.executable, "-c", script], check=True, env=env)

    line = json.loads(metrics_file.read_text())
    assert (line["type"], line["name"], line["value"]) == ("metric", "x", 2.0)


def test_importing_run_stays_light() -> None:
    script = ("import sys; from hypersweep import Run; Run.get_context(); "
              "print(' '.join(m for m in ('scipy', 'click', 'rich', 'yaml') "
              "if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=True, env={"PATH": "/usr/bin:/bin", "PYTHONPATH":
                                             str(Path(__file__).parent.parent / "src")})
    assert result.stdout.strip() == ""


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"type": "event", "name": "x", "value": 1}', "type='event'"),
        ('{"name": "", "value": 1}', "name=''"),
        ('{"name": "acc", "value": "high"}', "metric 'acc': value 'high' is not a number"),
        ('{"name": "acc", "value": null}', "metric 'acc': value None"),
        ('{"name": "acc", "value": true}', "metric 'acc': value True"),
        ('{"name": "acc", "value": 1, "time": "now"}', "time='now'"),
    ],
)
def test_parse_line_rejects(line: str, message: str) -> None:
    with pytest.raises(ProtocolError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_line(line)


def test_parse_line_accepts_non_finite_forms() -> None:
    assert math.isnan(parse_line('{"name": "a", "value": NaN}').value)  # type: ignore[arg-type]
    assert parse_line('{"name": "a", "value": "Infinity"}').value == math.inf
    assert parse_line('{"name": "a", "value": "-inf"}').value == -math.inf
    record = parse_line('{"name": "a", "value": 3}', default_time=5.0)
    assert (record.type, record.value, record.time) == ("metric", 3.0, 5.0)


def test_reader_waits_for_complete_lines(tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    reader = MetricsFileReader(path)
    assert list(reader.read()) == []

    path.write_bytes(b'{"name": "a", "value": 1}\n{"name": "a", "val')
    first = list(reader.read())
    assert [line for _, line in first] == ['{"name": "a", "value": 1}']
    assert reader.offset == first[0][0]

    with open(path, "ab") as stream:
        stream.write(b'ue": 2}\n\n')
    second = list(reader.read())
    assert [line for _, line in second] == ['{"name": "a", "val' + 'ue": 2}']
    assert reader.offset == path.stat().st_size

    restarted = MetricsFileReader(path, offset=first[0][0])
    assert [line for _, line in restarted.read()] == ['{"name": "a", "value": 2}']
