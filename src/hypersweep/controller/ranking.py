"""Ranking of child runs by their primary metric value (the best value each one logged)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Protocol, TypeVar

from hypersweep.enums import PrimaryMetricGoal

__all__ = ["best_value", "rank_key", "sort_by_primary_metric"]


class _Ranked(Protocol):
    @property
    def number(self) -> int: ...

    @property
    def best_score(self) -> float | None: ...

    @property
    def created_at(self) -> float: ...


def best_value(values: Iterable[float], goal: PrimaryMetricGoal) -> float | None:
    """Return the best finite value (max or min by goal), or None when there is none."""
    finite = [value for value in values if math.isfinite(value)]
    if not finite:
        return None

    return max(finite) if goal is PrimaryMetricGoal.MAXIMIZE else min(finite)


def rank_key(run: _Ranked, goal: PrimaryMetricGoal) -> tuple[int, float, float, int]:
    """Sort key that puts the best run first; runs with no finite value go last.

    Ties go to the earlier run: the one created first, then the lower child number.
    """
    score = run.best_score
    if score is None or not math.isfinite(score):
        return (1, 0.0, run.created_at, run.number)

    signed = -score if goal is PrimaryMetricGoal.MAXIMIZE else score
    return (0, signed, run.created_at, run.number)


RankedT = TypeVar("RankedT", bound=_Ranked)


def sort_by_primary_metric(runs: Iterable[RankedT], goal: PrimaryMetricGoal,
                           ) -> Sequence[RankedT]:
    """Return the runs best first."""
    return sorted(runs, key=lambda run: rank_key(run, goal))
