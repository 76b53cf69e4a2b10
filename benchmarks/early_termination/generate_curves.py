"""Train real models on scikit-learn's digits data set and store their learning curves.

Two tasks, each a few hundred configurations drawn with hypersweep's RandomParameterSampling:

- ``sgd``: a linear model trained with ``SGDClassifier.partial_fit``, one pass per epoch;
- ``mlp``: a one-hidden-layer network trained with ``MLPClassifier.partial_fit``, one epoch per
  call.

Every configuration is trained on the same stratified split (75% train, 25% validation, features
standardised on the training part). After each epoch the validation accuracy and the wall-clock
seconds of the epoch (training pass plus scoring) are recorded. The curves are written once, as
gzipped JSON, and replay.py reads them.

    python benchmarks/early_termination/generate_curves.py            # about 5 minutes on 2 cores
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import platform
import sys
import time
import warnings
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from hypersweep import RandomParameterSampling, choice, loguniform

HERE = Path(__file__).resolve().parent
DEFAULT_OUTPUT = HERE / "curves.json.gz"
FORMAT_VERSION = 1

SPLIT_SEED = 0
VALIDATION_FRACTION = 0.25

# Each task's sampling seed; the replay compares schedulers on exactly these configurations.
SAMPLING_SEEDS = {"sgd": 20240501, "mlp": 20240502}

# Filled once per worker process by _load_split, so a task ships only its configuration.
_SPLIT: dict[str, np.ndarray] = {}


def sgd_space() -> dict[str, Any]:
    """Return the search space of the SGD task (log-scale bounds are natural-log exponents)."""
    return {
        "loss": choice("hinge", "log_loss", "modified_huber", "squared_hinge", "perceptron"),
        "alpha": loguniform(math.log(1e-6), math.log(1e-1)),
        "penalty": choice("l2", "l1", "elasticnet"),
        "learning_rate": choice("optimal", "constant", "invscaling", "adaptive"),
        "eta0": loguniform(math.log(1e-4), math.log(1.0)),
    }


def mlp_space() -> dict[str, Any]:
    """Return the search space of the MLP task (log-scale bounds are natural-log exponents)."""
    return {
        "learning_rate_init": loguniform(math.log(1e-4), math.log(1e-1)),
        "alpha": loguniform(math.log(1e-6), math.log(1e-1)),
        "hidden_units": choice(8, 16, 32, 64, 128, 256),
        "batch_size": choice(16, 32, 64, 128, 256),
        "activation": choice("relu", "tanh", "logistic"),
    }


def _load_split() -> None:
    # One BLAS thread per process: the pool already uses every core it is given.
    threadpool_limits(1)

    features, labels = load_digits(return_X_y=True)
    x_train, x_valid, y_train, y_valid = train_test_split(
        features,
        labels,
        test_size=VALIDATION_FRACTION,
        random_state=SPLIT_SEED,
        stratify=labels,
    )
    scaler = StandardScaler().fit(x_train)
    _SPLIT.update(
        x_train=scaler.transform(x_train),
        x_valid=scaler.transform(x_valid),
        y_train=y_train,
        y_valid=y_valid,
        classes=np.unique(labels),
    )


def _make_sgd(config: dict[str, Any], seed: int) -> SGDClassifier:
    return SGDClassifier(
        loss=config["loss"],
        alpha=config["alpha"],
        penalty=config["penalty"],
        learning_rate=config["learning_rate"],
        eta0=config["eta0"],
        random_state=seed,
    )


def _make_mlp(config: dict[str, Any], seed: int) -> MLPClassifier:
    return MLPClassifier(
        hidden_layer_sizes=(config["hidden_units"],),
        activation=config["activation"],
        alpha=config["alpha"],
        batch_size=config["batch_size"],
        learning_rate_init=config["learning_rate_init"],
        random_state=seed,
    )


MODEL_FACTORIES: dict[str, Callable[[dict[str, Any], int], Any]] = {
    "sgd": _make_sgd,
    "mlp": _make_mlp,
}


def train_curve(task: str, index: int, config: dict[str, Any], epochs: int) -> dict[str, Any]:
    """Train one configuration for ``epochs`` epochs and return its curve.

    A run whose weights overflow (SGDClassifier raises ValueError) ends there, as a failed
    training script would, so its curve is shorter than ``epochs``.
    """
    model = MODEL_FACTORIES[task](config, index)
    accuracy: list[float] = []
    seconds: list[float] = []
    error = None

    for _ in range(epochs):
        started = time.perf_counter()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.partial_fit(_SPLIT["x_train"], _SPLIT["y_train"], classes=_SPLIT["classes"])
        except ValueError as exc:
            error = str(exc)
            break
        score = float(model.score(_SPLIT["x_valid"], _SPLIT["y_valid"]))
        seconds.append(round(time.perf_counter() - started, 6))
        accuracy.append(round(score, 6))

    return {
        "index": index,
        "config": config,
        "accuracy": accuracy,
        "seconds": seconds,
        "error": error,
    }


def sample_configurations(task: str, count: int) -> list[dict[str, Any]]:
    """Return the first ``count`` configurations of the task's seeded random sampling."""
    space = sgd_space() if task == "sgd" else mlp_space()
    sampling = RandomParameterSampling(space, seed=SAMPLING_SEEDS[task])
    return sampling.preview(count)


def run_task(
    pool: ProcessPoolExecutor, task: str, count: int, epochs: int
) -> tuple[list[dict[str, Any]], float]:
    """Train every configuration of one task in the pool; return the curves in sampling order."""
    configurations = sample_configurations(task, count)
    started = time.perf_counter()
    futures = [
        pool.submit(train_curve, task, index, config, epochs)
        for index, config in enumerate(configurations)
    ]

    curves: list[dict[str, Any]] = []
    for done, future in enumerate(as_completed(futures), start=1):
        curves.append(future.result())
        if done % 25 == 0 or done == len(futures):
            elapsed = time.perf_counter() - started
            print(f"  {task}: {done}/{len(futures)} configurations trained, {elapsed:.0f} s")

    curves.sort(key=lambda curve: curve["index"])
    return curves, time.perf_counter() - started


def describe_machine() -> dict[str, Any]:
    """Return the facts about this machine that explain the recorded seconds."""
    cpu_model = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass

    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu_model,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scikit_learn": sklearn.__version__,
    }


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--configs", type=int, default=300, help="configurations per task (default 300)"
    )
    parser.add_argument(
        "--sgd-epochs", type=int, default=30, help="epochs per SGD configuration (default 30)"
    )
    parser.add_argument(
        "--mlp-epochs", type=int, default=30, help="epochs per MLP configuration (default 30)"
    )
    parser.add_argument("--workers", type=int, default=2, help="training processes (default 2)")
    parser.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        help=f"output file (default {DEFAULT_OUTPUT})",
    )
    arguments = parser.parse_args(argv)

    for name in ("configs", "sgd_epochs", "mlp_epochs", "workers"):
        value = getattr(arguments, name)
        if value < 1:
            parser.error(f"--{name.replace('_', '-')}={value} is invalid; use an int >= 1")
    return arguments


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    epochs = {"sgd": arguments.sgd_epochs, "mlp": arguments.mlp_epochs}

    print(
        f"Training {arguments.configs} configurations per task with {arguments.workers} processes"
    )
    tasks: dict[str, Any] = {}
    with ProcessPoolExecutor(max_workers=arguments.workers, initializer=_load_split) as pool:
        for task in ("sgd", "mlp"):
            curves, elapsed = run_task(pool, task, arguments.configs, epochs[task])
            space = sgd_space() if task == "sgd" else mlp_space()
            tasks[task] = {
                "epochs": epochs[task],
                "sampling": RandomParameterSampling(space, seed=SAMPLING_SEEDS[task]).to_dict(),
                "training_seconds": round(elapsed, 1),
                "runs": curves,
            }
            failed = sum(1 for curve in curves if curve["error"] is not None)
            best = max(max(curve["accuracy"], default=0.0) for curve in curves)
            print(
                f"  {task}: done in {elapsed:.0f} s; best accuracy {best:.4f}; "
                f"{failed} runs stopped by a training error"
            )

    data = {
        "format": FORMAT_VERSION,
        "dataset": "sklearn.datasets.load_digits",
        "split": {
            "test_size": VALIDATION_FRACTION,
            "random_state": SPLIT_SEED,
            "stratify": True,
            "scaler": "StandardScaler fitted on the training part",
        },
        "metric": "validation accuracy after each epoch",
        "seconds": "wall-clock seconds of each epoch: one partial_fit pass plus scoring",
        "machine": describe_machine(),
        "workers": arguments.workers,
        "tasks": tasks,
    }
    arguments.output.parent.mkdir(parents=True, exist_ok=True)
    # mtime=0 keeps the gzip header free of the write time, so equal curves give equal bytes.
    with gzip.GzipFile(arguments.output, "wb", mtime=0) as stream:
        stream.write(json.dumps(data, separators=(",", ":")).encode("utf-8"))
    size = arguments.output.stat().st_size
    print(f"Wrote {arguments.output} ({size / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
