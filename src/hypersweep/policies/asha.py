"""Asynchronous successive halving (ASHA): keep the top 1/eta of the runs at each rung."""

from __future__ import annotations

import numbers
from typing import Any

from hypersweep.errors import InvalidConfigError
from hypersweep.policies._metrics import (
    count_strictly_better,
    format_number,
    kth_best,
    value_at,
)
from hypersweep.policies.base import (
    EarlyTerminationPolicy,
    Evaluation,
    TerminationDecision,
    check_int,
    check_interval,
)

__all__ = ["AshaPolicy"]


class AshaPolicy(EarlyTerminationPolicy):
    """Stop runs that are not in the top ``1 / reduction_factor`` of their rung.

    The rungs are the intervals ``min_interval * reduction_factor ** k`` for k = 0, 1, 2, ...,
    up to ``max_interval`` inclusive when it is set. A run is judged only when it logs a rung
    interval; a run that passes the last rung runs to its end. The cohort of a rung is every run
    that has logged at least that many values, whatever its status, warm-start parents included.

    At rung ``r`` each run is represented by its r-th value, the value it logged at the rung,
    and a non-finite value ranks last. That value never changes once a run has passed the rung,
    so a run judged late is compared with the same rung values as one judged on time.

    With ``m`` runs at the rung, the top ``ceil(m / reduction_factor)`` continue: the candidate
    continues when fewer than that many runs are strictly better than it (ties continue), and is
    stopped otherwise. ASHA never waits for a rung to fill. The first run at a rung continues,
    because a policy never stops the only member of its cohort, and while fewer than
    ``reduction_factor`` runs have reached the rung, only the leader continues.

    Ray Tune's and Optuna's halving rules also rank by the value at the rung and round up. On the
    replayed learning curves of ``benchmarks/early_termination``, both choices lost less at the
    same saving than ranking by the best value so far, which keeps runs whose early peak was
    luck, and than rounding down, which stopped good runs while the rungs held few runs.

    The schedule fields of the base class are set from the rungs: ``evaluation_interval`` is 1
    and ``delay_evaluation`` is ``min_interval``; :meth:`should_evaluate` also requires a rung.
    """

    type_name = "asha"

    def __init__(
        self,
        *,
        min_interval: int = 1,
        reduction_factor: int = 3,
        max_interval: int | None = None,
    ) -> None:
        self.min_interval = check_int("min_interval", min_interval, minimum=1)
        self.reduction_factor = check_int("reduction_factor", reduction_factor, minimum=2)
        self.max_interval = self._check_max_interval(max_interval)
        super().__init__(evaluation_interval=1, delay_evaluation=self.min_interval)

    def _check_max_interval(self, max_interval: object) -> int | None:
        if max_interval is None:
            return None

        accepted = f"use an int >= min_interval ({self.min_interval}), or None for no limit"
        if isinstance(max_interval, bool) or not isinstance(max_interval, numbers.Integral):
            raise InvalidConfigError(f"max_interval={max_interval!r} is invalid; {accepted}")

        if max_interval < self.min_interval:
            raise InvalidConfigError(f"max_interval={max_interval!r} is invalid; {accepted}")

        return int(max_interval)

    def _parameters(self) -> dict[str, Any]:
        return {
            "min_interval": self.min_interval,
            "reduction_factor": self.reduction_factor,
            "max_interval": self.max_interval,
        }

    def rung_index(self, interval: int) -> int | None:
        """Return k when ``interval`` is the rung ``min_interval * reduction_factor ** k``."""
        check_interval(interval)
        if interval < self.min_interval:
            return None

        if self.max_interval is not None and interval > self.max_interval:
            return None

        rung, index = self.min_interval, 0
        while rung < interval:
            rung, index = rung * self.reduction_factor, index + 1
        return index if rung == interval else None

    def rungs(self, up_to: int | None = None) -> tuple[int, ...]:
        """Return the rung intervals up to ``up_to`` (default ``max_interval``), inclusive."""
        limit = up_to if up_to is not None else self.max_interval
        if limit is None:
            raise ValueError("rungs() needs up_to when max_interval is None: the rungs never end")

        if self.max_interval is not None:
            limit = min(limit, self.max_interval)

        found = []
        rung = self.min_interval
        while rung <= limit:
            found.append(rung)
            rung *= self.reduction_factor
        return tuple(found)

    def should_evaluate(self, interval: int) -> bool:
        """Return whether ``interval`` is a rung."""
        return self.rung_index(interval) is not None

    def _judge(self, evaluation: Evaluation) -> TerminationDecision | None:
        rung_values = {
            run_id: value_at(history.values, evaluation.interval)
            for run_id, history in evaluation.cohort.items()
        }
        if all(value is None for value in rung_values.values()):
            return None

        size = len(rung_values)
        kept_runs = -(-size // self.reduction_factor)  # ceil(size / reduction_factor), >= 1
        value = rung_values[evaluation.candidate]
        better = count_strictly_better(value, rung_values.values(), evaluation.goal)
        index = self.rung_index(evaluation.interval)
        details = {
            "rung": evaluation.interval,
            "rung_index": index,
            "reduction_factor": self.reduction_factor,
            "kept_runs": kept_runs,
            "rank": better + 1,
        }
        cancel = better >= kept_runs
        opening = f"{evaluation.opening(cancel)} (ASHA rung {index})"
        boundary = kth_best(rung_values.values(), kept_runs, evaluation.goal)
        relation = evaluation.worse_word() if cancel else f"not {evaluation.worse_word()}"
        message = (
            f"{opening}: {_describe_rung_value(evaluation, value)} ranks {better + 1} of {size} "
            f"runs at this rung and is {relation} {format_number(boundary)}, the worst of the top "
            f"{kept_runs} (ceil({size} / {self.reduction_factor})) that continue"
        )
        return self._decision(
            evaluation,
            cancel=cancel,
            value=value,
            reference=boundary,
            message=message,
            details=details,
        )


def _describe_rung_value(evaluation: Evaluation, value: float | None) -> str:
    if value is None:
        return f"{evaluation.metric_name} none (not finite at interval {evaluation.interval})"
    return f"{evaluation.metric_name} {format_number(value)}"
