"""The command line tested as a program: exit codes, output, and bad input."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import write_script

TRAIN = """
    import argparse
    from hypersweep import Run
    parser = argparse.ArgumentParser()
    parser.add_argument("--x", type=float)
    args = parser.parse_args()
    print(f"training with x={args.x}")
    Run.get_context().log("score", -(args.x - 0.5) ** 2)
"""

SWEEP = """
type: sweep
experiment_name: cli
trial:
  code: {code}
  command: python train.py --x ${{{{search_space.x}}}}
sampling_algorithm: grid
search_space:
  x: {{type: choice, values: [0.0, 0.5, 1.0]}}
objective: {{goal: maximize, primary_metric: score}}
limits: {{max_total_trials: 3, max_concurrent_trials: 2}}
"""


def hypersweep(*arguments: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hypersweep", *arguments], capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture
def sweep_file(tmp_path: Path, source_dir: Path) -> Path:
    write_script(source_dir, "train.py", TRAIN)
    path = tmp_path / "sweep.yml"
    path.write_text(SWEEP.format(code=source_dir))
    return path


def test_help_lists_verbs() -> None:
    result = hypersweep("--help")
    assert result.returncode == 0
    for verb in ("run", "preview", "list", "show", "best", "cancel", "logs"):
        assert verb in result.stdout


def test_run_then_inspect(sweep_file: Path, tmp_path: Path) -> None:
    workspace = str(tmp_path / "ws")
    result = hypersweep("run", str(sweep_file), "--workspace", workspace)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Completed" in result.stdout
    assert "best run: HD_" in result.stdout
    assert "--x 0.5" in result.stdout

    listing = hypersweep("list", "--workspace", workspace)
    assert listing.returncode == 0
    assert "cli" in listing.stdout and "Completed" in listing.stdout and "3/3" in listing.stdout

    best = hypersweep("best", "--json", "--workspace", workspace, *[])
    assert best.returncode == 2  # the run id is required
    sweep_id = next(word for word in result.stdout.split() if word.startswith("HD_"))
    best = hypersweep("best", sweep_id, "--json", "--workspace", workspace)
    assert best.returncode == 0, best.stderr
    data = json.loads(best.stdout)
    assert data["run_id"] == f"{sweep_id}_1"
    assert data["value"] == 0.0
    assert data["hyperparameters"] == {"x": 0.5}
    assert data["arguments"] == ["--x", "0.5"]

    shown = hypersweep("show", sweep_id, "--workspace", workspace)
    assert shown.returncode == 0
    assert f"best        {sweep_id}_1" in shown.stdout
    assert "3 child runs, best first" in shown.stdout

    child = hypersweep("show", f"{sweep_id}_2", "--workspace", workspace)
    assert child.returncode == 0
    assert "arguments   --x 1.0" in child.stdout
    assert "metric      score: -0.25" in child.stdout

    prefix = hypersweep("show", sweep_id[:10], "--workspace", workspace)
    assert prefix.returncode == 0

    logs = hypersweep("logs", sweep_id, "--workspace", workspace)
    assert f"sweep {sweep_id} ended: Completed" in logs.stdout
    child_log = hypersweep("logs", f"{sweep_id}_0", "--workspace", workspace)
    assert "training with x=0.0" in child_log.stdout

    cancel = hypersweep("cancel", sweep_id, "--workspace", workspace)
    assert cancel.returncode == 0
    assert "already ended: Completed" in cancel.stdout


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("max_total_trials: 3", "max_total_trials: 0"),
         "limits.max_total_trials=0 is invalid; give an int >= 1"),
        (("values: [0.0, 0.5, 1.0]", "values: []"), "x"),
        (("sampling_algorithm: grid", "sampling_algorithm: grd"), "sampling_algorithm='grd'"),
        (("goal: maximize", "goal: sideways"), "objective.goal='sideways'"),
        (("limits:", "limitz:"), "unknown key 'limitz'"),
    ],
)
def test_bad_input_prints_one_line_and_starts_nothing(sweep_file: Path, tmp_path: Path,
                                                      edit: tuple[str, str],
                                                      message: str) -> None:
    sweep_file.write_text(sweep_file.read_text().replace(*edit))
    workspace = tmp_path / "ws"
    result = hypersweep("run", str(sweep_file), "--workspace", str(workspace))

    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert message in lines[0]
    assert "Traceback" not in result.stderr
    assert not (workspace / "runs").exists()


@pytest.mark.parametrize(
    "arguments",
    [
        ["run", "/no/such/sweep.yml"],
        ["show", "HD_does-not-exist"],
        ["best", "HD_does-not-exist"],
        ["logs", "HD_does-not-exist"],
        ["cancel", "HD_does-not-exist"],
        ["run", "{sweep}", "--set", "limits.max_total_trials"],
        ["preview", "{sweep}", "-n", "0"],
    ],
)
def test_invalid_arguments_exit_2(sweep_file: Path, tmp_path: Path,
                                  arguments: list[str]) -> None:
    arguments = [arg.replace("{sweep}", str(sweep_file)) for arg in arguments]
    if arguments[0] != "preview":
        arguments += ["--workspace", str(tmp_path / "ws")]
    result = hypersweep(*arguments)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")


def test_failed_sweep_exits_1(sweep_file: Path, source_dir: Path, tmp_path: Path) -> None:
    write_script(source_dir, "train.py", "raise SystemExit(4)\n")
    result = hypersweep("run", str(sweep_file), "--workspace", str(tmp_path / "ws"))
    assert result.returncode == 1
    assert "Failed (every child run failed (3 of 3))" in result.stdout


def test_preview_prints_configurations(sweep_file: Path) -> None:
    result = hypersweep("preview", str(sweep_file), "-n", "2")
    assert result.returncode == 0
    assert "first 2 configurations" in result.stdout
    assert "0.5" in result.stdout
    assert "distinct configurations: 3" in result.stdout


def test_detach_returns_and_sweep_finishes(sweep_file: Path, tmp_path: Path) -> None:
    workspace = str(tmp_path / "ws")
    started = time.monotonic()
    result = hypersweep("run", str(sweep_file), "--detach", "--workspace", workspace)
    assert result.returncode == 0
    assert time.monotonic() - started < 10
    sweep_id = next(word for word in result.stdout.split() if word.startswith("HD_"))

    followed = hypersweep("logs", sweep_id, "--follow", "--workspace", workspace, timeout=120)
    assert followed.returncode == 0
    assert f"sweep {sweep_id} ended: Completed" in followed.stdout
