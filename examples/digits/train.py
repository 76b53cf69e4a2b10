"""Train a small neural network on scikit-learn's digits data set, one epoch at a time.

After every epoch the script logs the validation accuracy with ``run.log("accuracy", ...)`` and
saves a checkpoint to ``outputs/``; ``--resume-from FOLDER`` continues from the checkpoint in
FOLDER. Run it on its own to try one configuration (``python train.py --learning_rate 0.01``)
or let hypersweep tune it.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

from hypersweep import Run

CHECKPOINT = "checkpoint.npz"


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--learning_rate", type=float, default=1e-3,
                        help="initial learning rate of Adam")
    parser.add_argument("--alpha", type=float, default=1e-4, help="L2 penalty")
    parser.add_argument("--hidden_units", type=int, default=64, help="width of the hidden layer")
    parser.add_argument("--batch_size", type=int, default=64, help="mini-batch size")
    parser.add_argument("--activation", default="relu", choices=["relu", "tanh", "logistic"])
    parser.add_argument("--epochs", type=int, default=30, help="passes over the training data")
    parser.add_argument("--seed", type=int, default=0, help="seed of the split and the weights")
    parser.add_argument("--resume-from", dest="resume_from", default=None,
                        help="folder with a checkpoint.npz to continue from")
    return parser.parse_args()


def main() -> None:
    arguments = parse_arguments()
    run = Run.get_context()
    outputs = Path(os.environ.get("HYPERSWEEP_OUTPUTS_DIR", "outputs"))
    outputs.mkdir(parents=True, exist_ok=True)

    features, labels = load_digits(return_X_y=True)
    x_train, x_valid, y_train, y_valid = train_test_split(
        features, labels, test_size=0.25, random_state=arguments.seed, stratify=labels)
    scaler = StandardScaler().fit(x_train)
    x_train, x_valid = scaler.transform(x_train), scaler.transform(x_valid)

    model = MLPClassifier(
        hidden_layer_sizes=(arguments.hidden_units,), activation=arguments.activation,
        alpha=arguments.alpha, batch_size=arguments.batch_size,
        learning_rate_init=arguments.learning_rate, random_state=arguments.seed,
    )
    classes = np.unique(labels)

    first_epoch = 1
    if arguments.resume_from:
        first_epoch = load_checkpoint(model, Path(arguments.resume_from) / CHECKPOINT,
                                      x_train, y_train, classes) + 1
        print(f"continuing after epoch {first_epoch - 1} from {arguments.resume_from}")

    started = time.perf_counter()
    for epoch in range(first_epoch, arguments.epochs + 1):
        # partial_fit makes one pass over the data in mini-batches of batch_size.
        model.partial_fit(x_train, y_train, classes=classes)
        accuracy = float(model.score(x_valid, y_valid))
        save_checkpoint(model, epoch, outputs / CHECKPOINT)
        run.log("epoch", epoch)
        run.log("accuracy", accuracy)
        run.log("loss", float(model.loss_))
        print(f"epoch {epoch:3d}: loss {model.loss_:.4f}, validation accuracy {accuracy:.4f}")

    run.log("train_seconds", time.perf_counter() - started)
    (outputs / "settings.json").write_text(json.dumps(vars(arguments), indent=2))


def save_checkpoint(model: MLPClassifier, epoch: int, path: Path) -> None:
    """Save the weights, Adam's state and the epoch as NumPy arrays, replacing the file atomically.

    The checkpoint contains everything that the next partial_fit call reads, so a run resumed from
    it trains exactly as if it had never stopped.
    """
    optimizer = model._optimizer
    arrays = {f"coef_{i}": weights for i, weights in enumerate(model.coefs_)}
    arrays.update({f"intercept_{i}": bias for i, bias in enumerate(model.intercepts_)})
    arrays.update({f"adam_m_{i}": moment for i, moment in enumerate(optimizer.ms)})
    arrays.update({f"adam_v_{i}": moment for i, moment in enumerate(optimizer.vs)})
    temporary = path.with_name(path.stem + ".tmp.npz")
    np.savez(
        temporary, epoch=np.array(epoch), adam_t=np.array(optimizer.t),
        learning_rate=np.array(optimizer.learning_rate), samples_seen=np.array(model.t_),
        loss=np.array(model.loss_), loss_curve=np.array(model.loss_curve_),
        best_loss=np.array(model.best_loss_),
        no_improvement_count=np.array(model._no_improvement_count), **arrays,
    )
    os.replace(temporary, path)


def load_checkpoint(model: MLPClassifier, path: Path, x_train: np.ndarray, y_train: np.ndarray,
                    classes: np.ndarray) -> int:
    """Restore the state saved by save_checkpoint and return the epoch it was saved at."""
    saved = np.load(path)
    # One step on one sample builds the network and its Adam optimizer. The saved values then
    # replace the arrays in place, because the optimizer updates those very arrays.
    # NOTE: this reads private attributes of MLPClassifier and its AdamOptimizer, checked with
    # scikit-learn 1.9; another release may rename them.
    with warnings.catch_warnings():
        # One sample is fewer than batch_size, which sklearn reports; it is intended here.
        warnings.simplefilter("ignore", UserWarning)
        model.partial_fit(x_train[:1], y_train[:1], classes=classes)
    optimizer = model._optimizer
    for i, weights in enumerate(model.coefs_):
        weights[...] = saved[f"coef_{i}"]
    for i, bias in enumerate(model.intercepts_):
        bias[...] = saved[f"intercept_{i}"]
    for i, moment in enumerate(optimizer.ms):
        moment[...] = saved[f"adam_m_{i}"]
    for i, moment in enumerate(optimizer.vs):
        moment[...] = saved[f"adam_v_{i}"]
    optimizer.t = int(saved["adam_t"])
    optimizer.learning_rate = float(saved["learning_rate"])
    model.t_ = int(saved["samples_seen"])
    model.n_iter_ = int(saved["epoch"])
    model.loss_ = float(saved["loss"])
    model.loss_curve_ = [float(value) for value in saved["loss_curve"]]
    model.best_loss_ = float(saved["best_loss"])
    model._no_improvement_count = int(saved["no_improvement_count"])
    return int(saved["epoch"])


if __name__ == "__main__":
    # partial_fit runs one epoch per call on purpose, so this warning is expected here.
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    main()
