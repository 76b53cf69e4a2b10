"""Hyperparameter importance: how much of the spread of the primary metric each one explains.

With scikit-learn installed, a random forest is fitted to predict the metric from the
hyperparameters, and each one's share of the forest's impurity decrease is its importance (the
shares add up to 1). Without scikit-learn, each hyperparameter gets the absolute Spearman rank
correlation with the metric. A categorical one gets the correlation ratio (eta) of the metric's
ranks across its categories instead. Both lie in [0, 1] and are computed with SciPy, which
hypersweep always installs. Neither measure is causal, and both need a few runs per value.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import math
from collections.abc import Sequence

import numpy as np

from hypersweep.dashboard.space import ParamAxis

__all__ = ["MIN_RUNS", "Importance", "compute_importance"]

MIN_RUNS = 8
"""Fewer runs with a finite metric value than this give no importance at all."""

# A forest of 32 trees on a sample of this many runs took about 0.2 s on one core, and a larger
# sample changes the importances little. The sample is seeded, so a result is reproducible.
_MAX_FOREST_RUNS = 2000
_FOREST_TREES = 32
_FOREST_MIN_LEAF = 3
_SEED = 0

RANDOM_FOREST = "random forest (scikit-learn), share of impurity decrease"
RANK_CORRELATION = "rank correlation: |Spearman rho|, or eta for categorical parameters"


@dataclasses.dataclass(frozen=True)
class Importance:
    """Importance per hyperparameter name, the method that computed it, and how many runs."""

    values: dict[str, float]
    method: str
    runs: int


def compute_importance(axes: Sequence[ParamAxis], positions: Sequence[Sequence[float | None]],
                       scores: Sequence[float | None], *,
                       use_forest: bool | None = None) -> Importance | None:
    """Return the importance of each axis for the scores, or None with too few runs.

    ``positions[i][j]`` is where run ``j`` sits on axis ``i`` (see :meth:`ParamAxis.position`).
    Runs without a finite score or with a missing position are left out. ``use_forest=None``
    uses the random forest when scikit-learn is installed.
    """
    if not axes:
        return None

    rows = [
        index for index, score in enumerate(scores)
        if score is not None and math.isfinite(score)
        and all(column[index] is not None for column in positions)
    ]
    if len(rows) < MIN_RUNS:
        return None

    features = np.array([[column[index] for index in rows] for column in positions],
                        dtype=float).T
    for column, axis in enumerate(axes):
        if axis.kind == "log":
            features[:, column] = np.log10(features[:, column])
    target = np.array([scores[index] for index in rows], dtype=float)

    if use_forest is None:
        use_forest = importlib.util.find_spec("sklearn") is not None

    if use_forest:
        values = _forest_importance(features, target)
        method = RANDOM_FOREST
    else:
        values = _rank_importance(axes, features, target)
        method = RANK_CORRELATION

    return Importance({axis.name: value for axis, value in zip(axes, values, strict=True)},
                      method, len(rows))


def _forest_importance(features: np.ndarray, target: np.ndarray) -> list[float]:
    # NOTE: impurity-based importances favour parameters with many distinct values (continuous
    # ones) over a choice of a few values; permutation importance would not, at several times
    # the cost.
    from sklearn.ensemble import RandomForestRegressor

    if float(np.ptp(target)) == 0.0:
        return [0.0] * features.shape[1]

    generator = np.random.default_rng(_SEED)
    if len(target) > _MAX_FOREST_RUNS:
        sample = generator.choice(len(target), size=_MAX_FOREST_RUNS, replace=False)
        features, target = features[sample], target[sample]

    forest = RandomForestRegressor(n_estimators=_FOREST_TREES, min_samples_leaf=_FOREST_MIN_LEAF,
                                   random_state=_SEED, n_jobs=1)
    forest.fit(features, target)
    return [float(value) for value in forest.feature_importances_]


def _rank_importance(axes: Sequence[ParamAxis], features: np.ndarray,
                     target: np.ndarray) -> list[float]:
    from scipy.stats import rankdata, spearmanr

    ranks = rankdata(target)
    values = []
    for column, axis in enumerate(axes):
        feature = features[:, column]
        if np.ptp(feature) == 0 or np.ptp(ranks) == 0:
            values.append(0.0)
        elif axis.kind == "categorical":
            values.append(_correlation_ratio(feature, ranks))
        else:
            correlation = spearmanr(feature, target).statistic
            values.append(abs(float(correlation)) if math.isfinite(correlation) else 0.0)
    return values


def _correlation_ratio(categories: np.ndarray, values: np.ndarray) -> float:
    """Return eta: the square root of the share of the variance of values between categories."""
    mean = values.mean()
    total = float(((values - mean) ** 2).sum())
    between = 0.0
    for category in np.unique(categories):
        members = values[categories == category]
        between += len(members) * float((members.mean() - mean) ** 2)
    return math.sqrt(between / total) if total > 0 else 0.0
