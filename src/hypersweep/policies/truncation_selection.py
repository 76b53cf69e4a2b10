"""Truncation selection policy: cancel runs that rank in the worst percentage of their cohort."""

from __future__ import annotations

from typing import Any

from hypersweep.policies._metrics import count_strictly_better, format_number, kth_best
from hypersweep.policies.base import (
    EarlyTerminationPolicy,
    Evaluation,
    RunHistory,
    TerminationDecision,
    check_bool,
    check_int,
)

__all__ = ["TruncationSelectionPolicy"]


class TruncationSelectionPolicy(EarlyTerminationPolicy):
    """Cancel a run that ranks among the worst ``truncation_percentage`` percent of its cohort.

    With ``k = floor(cohort size * p / 100)``, a run is cancelled when at least
    ``cohort size - k`` runs of the cohort have a strictly better b(n). Ties never cancel, so a
    cohort with equal values may lose fewer than ``k`` runs. The reference of a decision is the
    value at rank ``cohort size - k``, the worst value that is kept.

    ``exclude_finished_runs=True`` (YAML ``exclude_finished_jobs``) leaves finished runs out of
    the cohort; the candidate itself always stays in it.
    """

    type_name = "truncation_selection"

    def __init__(
        self,
        truncation_percentage: int,
        evaluation_interval: int = 1,
        delay_evaluation: int = 0,
        exclude_finished_runs: bool = False,
    ) -> None:
        super().__init__(evaluation_interval=evaluation_interval, delay_evaluation=delay_evaluation)
        self.truncation_percentage = check_int(
            "truncation_percentage", truncation_percentage, minimum=1, maximum=99
        )
        self.exclude_finished_runs = check_bool("exclude_finished_runs", exclude_finished_runs)

    def _parameters(self) -> dict[str, Any]:
        return {
            "truncation_percentage": self.truncation_percentage,
            "evaluation_interval": self.evaluation_interval,
            "delay_evaluation": self.delay_evaluation,
            "exclude_finished_runs": self.exclude_finished_runs,
        }

    def _in_cohort(self, run_id: str, history: RunHistory, candidate: str, interval: int) -> bool:
        if self.exclude_finished_runs and history.finished and run_id != candidate:
            return False

        return super()._in_cohort(run_id, history, candidate, interval)

    def _judge(self, evaluation: Evaluation) -> TerminationDecision | None:
        bests = evaluation.best_values()
        if all(best is None for best in bests.values()):
            return None

        size = len(bests)
        truncated_runs = size * self.truncation_percentage // 100
        kept_runs = size - truncated_runs
        value = bests[evaluation.candidate]
        better = count_strictly_better(value, bests.values(), evaluation.goal)
        details = {
            "truncation_percentage": self.truncation_percentage,
            "truncated_runs": truncated_runs,
            "kept_runs": kept_runs,
            "rank": better + 1,
        }

        if truncated_runs == 0:
            message = (
                f"{evaluation.opening(False)}: truncating {self.truncation_percentage}% of "
                f"{size} runs rounds down to 0 runs, so none is cancelled"
            )
            return self._decision(
                evaluation,
                cancel=False,
                value=value,
                reference=None,
                message=message,
                details=details,
            )

        boundary = kth_best(bests.values(), kept_runs, evaluation.goal)
        cancel = better >= kept_runs

        relation = evaluation.worse_word() if cancel else f"not {evaluation.worse_word()}"
        bottom = "run" if truncated_runs == 1 else "runs"
        message = (
            f"{evaluation.opening(cancel)}: {evaluation.describe_best(value)} ranks {better + 1} "
            f"of {size} runs and is {relation} {format_number(boundary)}, the worst value kept "
            f"when truncating {self.truncation_percentage}% (the bottom {truncated_runs} {bottom})"
        )
        return self._decision(
            evaluation,
            cancel=cancel,
            value=value,
            reference=boundary,
            message=message,
            details=details,
        )
