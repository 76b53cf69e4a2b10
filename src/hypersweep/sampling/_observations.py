"""The outcomes of ended runs, turned into the training targets of the Bayesian sampler.

Targets are oriented so that lower is better: the metric value for MINIMIZE, its negation for
MAXIMIZE. Each ended run gets one target:

- a completed run with a finite value: that value;
- a cancelled run with a finite value (stopped early, usually by the early termination policy):
  its best logged value, but no worse than the worst completed run. A run's best value can only
  improve with more intervals, so the logged value is a pessimistic estimate of the value the
  run would have reached. The cap keeps one run stopped at its first interval from stretching the
  model's scale, while its region still counts among the worst seen;
- a failed run, or any run without a finite value: the worst target of the runs above, so that
  the sampler moves away from regions that crash or log nothing.

Cancelled runs never become the incumbent of expected improvement while a completed run exists,
because their value is that of a shorter run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from hypersweep.enums import PrimaryMetricGoal, RunStatus

__all__ = ["ObservationTable", "TrainingData", "warp_targets"]


@dataclass(frozen=True)
class TrainingData:
    """Features and lower-is-better targets of the observed runs, in observation order."""

    x: np.ndarray
    y: np.ndarray
    completed: np.ndarray
    """Whether each row is a completed run with a finite value."""


@dataclass(frozen=True)
class _Record:
    features: np.ndarray
    target: float | None
    status: RunStatus


class ObservationTable:
    """The ended runs whose configurations could be encoded as features."""

    def __init__(self, goal: PrimaryMetricGoal) -> None:
        self._sign = 1.0 if goal is PrimaryMetricGoal.MINIMIZE else -1.0
        self._records: list[_Record] = []

    def __len__(self) -> int:
        return len(self._records)

    @property
    def finite_count(self) -> int:
        """The number of runs with a finite value that the model can use as a target."""
        return sum(
            record.target is not None and record.status is not RunStatus.FAILED
            for record in self._records
        )

    def add(self, features: np.ndarray, value: float | None, status: RunStatus) -> None:
        """Record one ended run; ``value`` is its best primary metric value, or None."""
        target = None
        if value is not None and math.isfinite(value):
            target = self._sign * float(value)
        self._records.append(_Record(features, target, status))

    def training_data(self) -> TrainingData | None:
        """Return the features and imputed targets, or None before any finite value."""
        completed = [
            record.target
            for record in self._records
            if record.status is RunStatus.COMPLETED and record.target is not None
        ]
        worst_completed = max(completed) if completed else math.inf

        targets: list[float | None] = []
        for record in self._records:
            if record.target is None or record.status is RunStatus.FAILED:
                targets.append(None)
            elif record.status is RunStatus.CANCELED:
                targets.append(min(record.target, worst_completed))
            else:
                targets.append(record.target)

        known = [target for target in targets if target is not None]
        if not known:
            return None

        worst = max(known)
        y = np.array([worst if target is None else target for target in targets])
        x = np.array([record.features for record in self._records])
        is_completed = np.array(
            [
                record.status is RunStatus.COMPLETED and record.target is not None
                for record in self._records
            ],
            dtype=bool,
        )
        return TrainingData(x=x, y=y, completed=is_completed)


def warp_targets(y: np.ndarray) -> np.ndarray:
    """Return targets standardised, and Gaussianised by a fitted Yeo-Johnson transform.

    Tuning objectives are often skewed: a few diverged runs with huge losses next to many good
    ones. The transform, with its exponent fitted by maximum likelihood, pulls in the long tail so
    that the Gaussian process spends its flexibility where the good values are. It is monotonic,
    so the order of the targets, and so the incumbent, is kept.
    """
    standardised = _standardise(_cap_outliers(y))
    if len(y) < 3 or not np.any(standardised):
        return standardised

    # The fit tries extreme exponents on the way, which may overflow; those are discarded.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        warped = np.asarray(stats.yeojohnson(standardised)[0], dtype=float)
    if not np.all(np.isfinite(warped)):
        return standardised
    return _standardise(warped)


def _cap_outliers(y: np.ndarray) -> np.ndarray:
    """Cap targets far worse than the median, such as the loss of a run that diverged.

    One loss of 1e6 among losses near 1 would otherwise leave the good values indistinguishable
    after standardising, however the transform bends them. The cap is the median plus ten
    scaled median absolute deviations, which leaves the targets of a normal sample untouched.
    """
    if len(y) < 5:
        return y

    median = float(np.median(y))
    spread = 1.4826 * float(np.median(np.abs(y - median)))
    if spread <= 0.0 or not math.isfinite(spread):
        return y
    return np.minimum(y, median + 10.0 * spread)


def _standardise(y: np.ndarray) -> np.ndarray:
    # Dividing by the largest magnitude first keeps the variance of values near the float
    # maximum from overflowing; standardising is unchanged by the scale.
    magnitude = float(np.max(np.abs(y))) if len(y) else 0.0
    if magnitude > 0.0:
        y = y / magnitude
    spread = float(np.std(y))
    if not math.isfinite(spread) or spread <= 0.0:
        return y - float(np.mean(y))
    return (y - float(np.mean(y))) / spread
