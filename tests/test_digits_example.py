"""The digits example, run as the README runs it: a real model on a real data set."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("sklearn")

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "digits"


def test_train_script_runs_offline(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, str(EXAMPLE / "train.py"), "--epochs", "3"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "[hypersweep offline run] accuracy = " in result.stderr
    assert (tmp_path / "outputs" / "checkpoint.npz").is_file()
    settings = json.loads((tmp_path / "outputs" / "settings.json").read_text())
    assert settings["epochs"] == 3


def train(folder: Path, *arguments: str) -> list[str]:
    """Run the example offline with its outputs in ``folder``; return its accuracy lines."""
    result = subprocess.run(
        [sys.executable, str(EXAMPLE / "train.py"), "--learning_rate", "0.003", *arguments],
        cwd=folder.parent, capture_output=True, text=True, timeout=120,
        env={**os.environ, "HYPERSWEEP_OUTPUTS_DIR": str(folder)},
    )
    assert result.returncode == 0, result.stderr
    return [line for line in result.stdout.splitlines() if line.startswith("epoch")]


def test_resume_matches_uninterrupted_training(tmp_path: Path) -> None:
    straight = train(tmp_path / "straight", "--epochs", "6")
    first_half = train(tmp_path / "first", "--epochs", "3")
    second_half = train(tmp_path / "second", "--epochs", "6",
                        "--resume-from", str(tmp_path / "first"))

    # The resumed run starts at epoch 4, and every epoch equals the uninterrupted one.
    assert second_half[0].startswith("epoch   4:")
    assert first_half + second_half == straight
    expected = np.load(tmp_path / "straight" / "checkpoint.npz")
    resumed = np.load(tmp_path / "second" / "checkpoint.npz")
    assert sorted(resumed.files) == sorted(expected.files)
    for name in expected.files:
        assert np.array_equal(resumed[name], expected[name]), name


def test_digits_sweep_finds_accurate_model(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    result = subprocess.run(
        [sys.executable, "-m", "hypersweep", "run", str(EXAMPLE / "sweep.yml"), "--quiet",
         "--workspace", str(workspace)],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    sweep_id = next(word for word in result.stdout.split() if word.startswith("HD_"))

    best = subprocess.run([sys.executable, "-m", "hypersweep", "best", sweep_id, "--json",
                           "--workspace", str(workspace)], capture_output=True, text=True,
                          check=True)
    data = json.loads(best.stdout)
    assert data["value"] >= 0.95
    assert data["arguments"][:2] == ["--epochs", "25"]
    assert set(data["hyperparameters"]) == {"learning_rate", "alpha", "hidden_units",
                                            "batch_size", "activation"}

    listing = subprocess.run([sys.executable, "-m", "hypersweep", "list", "--workspace",
                              str(workspace)], capture_output=True, text=True, check=True)
    assert "20/20" in listing.stdout

    run_dir = workspace / "runs" / sweep_id / "children" / data["run_id"]
    assert (run_dir / "outputs" / "checkpoint.npz").is_file()


def test_tune_script_prints_best_run(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, str(EXAMPLE / "tune.py")], cwd=tmp_path,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    best_line = next(line for line in lines if line.startswith("best run: HD_"))
    accuracy_line = next(line for line in lines if line.startswith("validation accuracy: "))
    assert float(accuracy_line.split(": ")[1]) >= 0.95
    assert best_line.split(": ")[1].rsplit("_", 1)[1].isdigit()
    assert any(line.startswith("arguments: ['--epochs', '25', '--learning_rate'")
               for line in lines)
    assert (tmp_path / ".hypersweep" / "store.db").is_file()
