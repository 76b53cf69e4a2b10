"""The test problems of the sampling benchmark: four synthetic functions and two real models.

Every problem is minimised. A problem declares its parameters once, as :class:`Parameter`
objects, and each method's search space is built from them, so that all methods search the same
space on the same scales.

Synthetic functions, with their known minima (Surjanovic and Bingham, "Virtual Library of
Simulation Experiments", Simon Fraser University):

- ``branin``: 2 dimensions, minimum 0.397887;
- ``hartmann6``: 6 dimensions on the unit cube, minimum -3.32237;
- ``ackley5``: 5 dimensions on [-32.768, 32.768], minimum 0 at the origin;
- ``levy6``: 6 dimensions on [-10, 10], minimum 0 at (1, ..., 1).

Real tasks, on data sets that ship with scikit-learn; the value is the mean 3-fold
cross-validated log-loss (fixed folds, so the same configuration always gives the same value):

- ``svc_breast_cancer``: an RBF or sigmoid SVC with Platt-scaled probabilities: C, gamma,
  kernel and class weights (4 parameters, 2 of them categorical);
- ``mlp_wine``: a one-hidden-layer MLP: hidden units (an integer on a log scale), L2 penalty,
  initial learning rate and activation (4 parameters).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["PROBLEMS", "Parameter", "Problem"]


@dataclass(frozen=True)
class Parameter:
    """One hyperparameter: a float or int range (linear or log scale) or a categorical list."""

    name: str
    kind: str  # "float", "int" or "categorical"
    low: float = 0.0
    high: float = 1.0
    log: bool = False
    choices: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Problem:
    """A function to minimise over ``parameters``; ``optimum`` is None for the real tasks."""

    name: str
    parameters: tuple[Parameter, ...]
    objective: Callable[[Mapping[str, Any]], float]
    optimum: float | None


def _vector(configuration: Mapping[str, Any], dimensions: int) -> np.ndarray:
    return np.array([float(configuration[f"x{i}"]) for i in range(dimensions)])


def _branin(configuration: Mapping[str, Any]) -> float:
    x1, x2 = _vector(configuration, 2)
    b = 5.1 / (4.0 * math.pi**2)
    c = 5.0 / math.pi
    t = 1.0 / (8.0 * math.pi)
    return float((x2 - b * x1**2 + c * x1 - 6.0) ** 2 + 10.0 * (1.0 - t) * math.cos(x1) + 10.0)


_HARTMANN_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])
_HARTMANN_A = np.array(
    [
        [10, 3, 17, 3.5, 1.7, 8],
        [0.05, 10, 17, 0.1, 8, 14],
        [3, 3.5, 1.7, 10, 17, 8],
        [17, 8, 0.05, 10, 0.1, 14],
    ]
)
_HARTMANN_P = 1e-4 * np.array(
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
)


def _hartmann6(configuration: Mapping[str, Any]) -> float:
    x = _vector(configuration, 6)
    inner = np.sum(_HARTMANN_A * (x - _HARTMANN_P) ** 2, axis=1)
    return float(-np.sum(_HARTMANN_ALPHA * np.exp(-inner)))


def _ackley5(configuration: Mapping[str, Any]) -> float:
    x = _vector(configuration, 5)
    d = len(x)
    first = -20.0 * math.exp(-0.2 * math.sqrt(float(np.sum(x * x)) / d))
    second = -math.exp(float(np.sum(np.cos(2.0 * math.pi * x))) / d)
    return float(first + second + 20.0 + math.e)


def _levy6(configuration: Mapping[str, Any]) -> float:
    x = _vector(configuration, 6)
    w = 1.0 + (x - 1.0) / 4.0
    head = math.sin(math.pi * w[0]) ** 2
    middle = np.sum((w[:-1] - 1.0) ** 2 * (1.0 + 10.0 * np.sin(math.pi * w[:-1] + 1.0) ** 2))
    tail = (w[-1] - 1.0) ** 2 * (1.0 + math.sin(2.0 * math.pi * w[-1]) ** 2)
    return float(head + middle + tail)


def _box(dimensions: int, low: float, high: float) -> tuple[Parameter, ...]:
    return tuple(Parameter(f"x{i}", "float", low, high) for i in range(dimensions))


class _CrossValidatedLogLoss:
    """The 3-fold cross-validated log-loss of a model built from a configuration."""

    def __init__(self, dataset: str, build: Callable[[Mapping[str, Any]], Any]) -> None:
        self._dataset = dataset
        self._build = build
        self._data: tuple[np.ndarray, np.ndarray] | None = None

    def __call__(self, configuration: Mapping[str, Any]) -> float:
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.model_selection import StratifiedKFold, cross_val_score

        if self._data is None:
            from sklearn import datasets

            loader = getattr(datasets, f"load_{self._dataset}")
            self._data = loader(return_X_y=True)
        x, y = self._data

        folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=ConvergenceWarning)
            scores = cross_val_score(
                self._build(configuration), x, y, cv=folds, scoring="neg_log_loss"
            )
        return float(-np.mean(scores))


def _svc(configuration: Mapping[str, Any]) -> Any:
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    class_weight = None if configuration["class_weight"] == "none" else "balanced"
    model = SVC(
        C=float(configuration["C"]),
        gamma=float(configuration["gamma"]),
        kernel=str(configuration["kernel"]),
        class_weight=class_weight,
        random_state=0,
    )
    # Platt scaling fitted by an inner cross-validation gives the probabilities of log-loss.
    return make_pipeline(StandardScaler(), CalibratedClassifierCV(model, ensemble=False))


def _mlp(configuration: Mapping[str, Any]) -> Any:
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = MLPClassifier(
        hidden_layer_sizes=(int(configuration["hidden_units"]),),
        alpha=float(configuration["alpha"]),
        learning_rate_init=float(configuration["learning_rate_init"]),
        activation=str(configuration["activation"]),
        max_iter=100,
        random_state=0,
    )
    return make_pipeline(StandardScaler(), model)


PROBLEMS: dict[str, Problem] = {
    "branin": Problem(
        "branin",
        (Parameter("x0", "float", -5.0, 10.0), Parameter("x1", "float", 0.0, 15.0)),
        _branin,
        0.397887357729738,
    ),
    "hartmann6": Problem("hartmann6", _box(6, 0.0, 1.0), _hartmann6, -3.32236801141551),
    "ackley5": Problem("ackley5", _box(5, -32.768, 32.768), _ackley5, 0.0),
    "levy6": Problem("levy6", _box(6, -10.0, 10.0), _levy6, 0.0),
    "svc_breast_cancer": Problem(
        "svc_breast_cancer",
        (
            Parameter("C", "float", 1e-2, 1e3, log=True),
            Parameter("gamma", "float", 1e-4, 1.0, log=True),
            Parameter("kernel", "categorical", choices=("rbf", "sigmoid")),
            Parameter("class_weight", "categorical", choices=("none", "balanced")),
        ),
        _CrossValidatedLogLoss("breast_cancer", _svc),
        None,
    ),
    "mlp_wine": Problem(
        "mlp_wine",
        (
            Parameter("hidden_units", "int", 4, 100, log=True),
            Parameter("alpha", "float", 1e-5, 1.0, log=True),
            Parameter("learning_rate_init", "float", 1e-4, 1e-1, log=True),
            Parameter("activation", "categorical", choices=("relu", "tanh")),
        ),
        _CrossValidatedLogLoss("wine", _mlp),
        None,
    ),
}
