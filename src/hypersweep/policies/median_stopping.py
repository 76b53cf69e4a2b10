"""Median stopping policy: cancel runs whose best is worse than the median of running averages."""

from __future__ import annotations

import statistics
from typing import Any

from hypersweep.policies._metrics import format_number, is_strictly_better, running_average
from hypersweep.policies.base import EarlyTerminationPolicy, Evaluation, TerminationDecision

__all__ = ["MedianStoppingPolicy"]


class MedianStoppingPolicy(EarlyTerminationPolicy):
    """Cancel a run whose best value is worse than the median running average of the others.

    At interval ``n`` the running average of a run is the mean of the finite values among its
    first ``n`` values. The median is taken over the other runs of the cohort, without the
    candidate. A run without a finite value is left out of it. With an even count the median is
    the mean of the two middle averages. The candidate is cancelled when its b(n) is strictly
    worse than that median (lower for MAXIMIZE, higher for MINIMIZE); equal to it continues. A
    candidate with no finite value is worse than any median.
    """

    type_name = "median_stopping"

    def __init__(self, evaluation_interval: int = 1, delay_evaluation: int = 0) -> None:
        super().__init__(evaluation_interval=evaluation_interval, delay_evaluation=delay_evaluation)

    def _parameters(self) -> dict[str, Any]:
        return {
            "evaluation_interval": self.evaluation_interval,
            "delay_evaluation": self.delay_evaluation,
        }

    def _judge(self, evaluation: Evaluation) -> TerminationDecision | None:
        averages: list[float] = []
        for run_id, history in evaluation.cohort.items():
            if run_id == evaluation.candidate:
                continue
            average = running_average(history.values, evaluation.interval)
            if average is not None:
                averages.append(average)

        if not averages:
            return None

        median = statistics.median(averages)
        value = evaluation.best(evaluation.candidate)
        cancel = is_strictly_better(median, value, evaluation.goal)

        relation = evaluation.worse_word() if cancel else f"not {evaluation.worse_word()}"
        runs = "run" if len(averages) == 1 else "runs"
        message = (
            f"{evaluation.opening(cancel)}: {evaluation.describe_best(value)} is {relation} "
            f"{format_number(median)}, the median of the running averages of "
            f"{len(averages)} other {runs}"
        )
        return self._decision(
            evaluation,
            cancel=cancel,
            value=value,
            reference=median,
            message=message,
            details={"median": median, "averaged_runs": len(averages)},
        )
