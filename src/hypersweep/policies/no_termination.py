"""The policy that never cancels a run, which is the default."""

from __future__ import annotations

from typing import Any

from hypersweep.policies.base import (
    EarlyTerminationPolicy,
    Evaluation,
    TerminationDecision,
    check_interval,
)

__all__ = ["NoTerminationPolicy"]


class NoTerminationPolicy(EarlyTerminationPolicy):
    """Let every run finish: :meth:`decide` always returns ``None``."""

    type_name = "no_termination"

    def __init__(self) -> None:
        super().__init__()

    def _parameters(self) -> dict[str, Any]:
        return {}

    def should_evaluate(self, interval: int) -> bool:
        """Return ``False``: this policy is never applied."""
        check_interval(interval)
        return False

    def _judge(self, evaluation: Evaluation) -> TerminationDecision | None:
        return None
