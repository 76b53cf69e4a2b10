"""Bandit policy: cancel runs that fall more than a slack behind the best run."""

from __future__ import annotations

from typing import Any

from hypersweep.enums import PrimaryMetricGoal
from hypersweep.errors import InvalidConfigError
from hypersweep.policies._metrics import format_number, is_strictly_better
from hypersweep.policies.base import (
    EarlyTerminationPolicy,
    Evaluation,
    TerminationDecision,
    check_positive_number,
)

__all__ = ["BanditPolicy"]


class BanditPolicy(EarlyTerminationPolicy):
    """Cancel a run whose best value falls outside a slack of the best run of its cohort.

    With ``best`` the best b_r(n) of the cohort (the candidate included), a run ``c`` is cancelled
    at interval ``n`` when, for MAXIMIZE:

    - ``slack_amount=a``: ``b_c(n) < best - a``;
    - ``slack_factor=s``: ``b_c(n) < best / (1 + s)`` when ``best >= 0``, else
      ``b_c(n) < best * (1 + s)``.

    MINIMIZE mirrors it: ``b_c(n) > best + a``, and ``b_c(n) > best * (1 + s)`` when
    ``best >= 0``, else ``b_c(n) > best / (1 + s)``. A candidate with no finite value is cancelled
    as soon as the cohort has a finite best.

    Exactly one of ``slack_factor`` and ``slack_amount`` is given, and it must be > 0. A slack of
    0 is rejected: Azure ML's v2 SDK writes 0 to mean "not set", and taken literally it would
    cancel every run that is not the leader at each evaluation.
    """

    type_name = "bandit"

    def __init__(
        self,
        slack_factor: float | None = None,
        slack_amount: float | None = None,
        evaluation_interval: int = 1,
        delay_evaluation: int = 0,
    ) -> None:
        super().__init__(evaluation_interval=evaluation_interval, delay_evaluation=delay_evaluation)

        if slack_factor is None and slack_amount is None:
            raise InvalidConfigError(
                "BanditPolicy needs a slack: set slack_factor (a ratio, such as 0.1) or "
                "slack_amount (in metric units), a number > 0"
            )

        if slack_factor is not None and slack_amount is not None:
            raise InvalidConfigError(
                f"slack_factor={slack_factor!r} and slack_amount={slack_amount!r} are both set; "
                "set exactly one of them"
            )

        self.slack_factor = (
            check_positive_number("slack_factor", slack_factor)
            if slack_factor is not None
            else None
        )
        self.slack_amount = (
            check_positive_number("slack_amount", slack_amount)
            if slack_amount is not None
            else None
        )

    def _parameters(self) -> dict[str, Any]:
        return {
            "slack_factor": self.slack_factor,
            "slack_amount": self.slack_amount,
            "evaluation_interval": self.evaluation_interval,
            "delay_evaluation": self.delay_evaluation,
        }

    def threshold(self, best: float, goal: PrimaryMetricGoal) -> tuple[float, str]:
        """Return the threshold for ``best`` and the formula that gives it, as text."""
        maximize = goal is PrimaryMetricGoal.MAXIMIZE
        if self.slack_amount is not None:
            slack = format_number(self.slack_amount)
            if maximize:
                limit, formula = best - self.slack_amount, f"{format_number(best)} - {slack}"
            else:
                limit, formula = best + self.slack_amount, f"{format_number(best)} + {slack}"
            return limit, f"{format_number(limit)} = {formula}"

        assert self.slack_factor is not None  # the constructor requires one of the two slacks
        growth = 1 + self.slack_factor
        slack = f"(1 + {format_number(self.slack_factor)})"

        # Dividing moves a positive best towards zero and multiplying moves a negative best away
        # from it, so for MAXIMIZE both put the threshold below best. MINIMIZE needs the reverse.
        if maximize == (best >= 0):
            limit, formula = best / growth, f"{format_number(best)} / {slack}"
        else:
            limit, formula = best * growth, f"{format_number(best)} * {slack}"
        return limit, f"{format_number(limit)} = {formula}"

    def _judge(self, evaluation: Evaluation) -> TerminationDecision | None:
        goal = evaluation.goal
        bests = evaluation.best_values()
        value = bests[evaluation.candidate]

        finite = [(run_id, best) for run_id, best in bests.items() if best is not None]
        if not finite:
            return None

        best_run, best = finite[0]
        for run_id, other in finite[1:]:
            if goal.is_better(other, best):
                best_run, best = run_id, other

        limit, formula = self.threshold(best, goal)
        cancel = is_strictly_better(limit, value, goal)

        relation = evaluation.worse_word() if cancel else f"not {evaluation.worse_word()}"
        message = (
            f"{evaluation.opening(cancel)}: {evaluation.describe_best(value)} is {relation} "
            f"{formula}"
        )
        slack = (
            {"slack_amount": self.slack_amount}
            if self.slack_amount is not None
            else {"slack_factor": self.slack_factor}
        )
        return self._decision(
            evaluation,
            cancel=cancel,
            value=value,
            reference=limit,
            message=message,
            details={"best": best, "best_run": best_run, **slack, "threshold": limit},
        )
