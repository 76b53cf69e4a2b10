"""Metric arithmetic shared by the early termination policies.

A value of ``None`` stands for "no finite value": the best of a run that logged only NaN or
infinities so far. It ranks below every finite value, whatever the goal.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence

from hypersweep.enums import PrimaryMetricGoal

__all__ = [
    "best_of_first",
    "count_strictly_better",
    "format_number",
    "is_strictly_better",
    "kth_best",
    "running_average",
    "value_at",
]


def _finite_among_first(values: Sequence[float], n: int) -> list[float]:
    return [value for value in itertools.islice(values, n) if math.isfinite(value)]


def best_of_first(values: Sequence[float], n: int, goal: PrimaryMetricGoal) -> float | None:
    """Return b(n): the best finite value among the first ``n`` values, or ``None``."""
    finite = _finite_among_first(values, n)
    if not finite:
        return None

    if goal is PrimaryMetricGoal.MAXIMIZE:
        return max(finite)
    return min(finite)


def value_at(values: Sequence[float], n: int) -> float | None:
    """Return the ``n``-th value (1-based) if it was logged and is finite, else ``None``."""
    if len(values) < n or not math.isfinite(values[n - 1]):
        return None
    return values[n - 1]


def running_average(values: Sequence[float], n: int) -> float | None:
    """Return the mean of the finite values among the first ``n`` values, or ``None``."""
    finite = _finite_among_first(values, n)
    if not finite:
        return None

    # math.fsum keeps the mean exact to the last bit, so hand-computed test values match.
    return math.fsum(finite) / len(finite)


def is_strictly_better(a: float | None, b: float | None, goal: PrimaryMetricGoal) -> bool:
    """Return whether ``a`` is strictly better than ``b``; ``None`` is worse than any number."""
    if a is None:
        return False

    if b is None:
        return True

    return goal.is_better(a, b)


def count_strictly_better(
    value: float | None, others: Iterable[float | None], goal: PrimaryMetricGoal
) -> int:
    """Count the entries of ``others`` that are strictly better than ``value``."""
    return sum(1 for other in others if is_strictly_better(other, value, goal))


def kth_best(values: Iterable[float | None], k: int, goal: PrimaryMetricGoal) -> float | None:
    """Return the ``k``-th best entry (1-based, ties counted separately), ``None`` last.

    A value ``v`` is strictly worse than ``kth_best(values, k)`` exactly when at least ``k``
    entries are strictly better than ``v``, so this is the boundary of a "keep the top k" cut.
    """
    if k < 1:
        raise ValueError(f"k={k!r} is invalid; use an int >= 1")

    finite = sorted(value for value in values if value is not None)
    if goal is PrimaryMetricGoal.MAXIMIZE:
        finite.reverse()

    if k > len(finite):
        return None
    return finite[k - 1]


def format_number(value: float | None) -> str:
    """Format a metric value for a decision message, with six significant digits."""
    if value is None:
        return "none (no finite value)"

    return f"{value:.6g}"
