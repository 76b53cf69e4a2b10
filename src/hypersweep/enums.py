"""Enumerations shared by the whole package: run statuses and metric goals."""

from __future__ import annotations

import enum

__all__ = ["PrimaryMetricGoal", "RunStatus"]


class PrimaryMetricGoal(str, enum.Enum):
    """Whether the primary metric should be maximized or minimized."""

    MAXIMIZE = "MAXIMIZE"
    MINIMIZE = "MINIMIZE"

    @classmethod
    def parse(cls, value: object, *, field: str = "primary_metric_goal") -> PrimaryMetricGoal:
        """Convert a goal or its name (any case) to a :class:`PrimaryMetricGoal`."""
        from hypersweep.errors import InvalidConfigError

        if isinstance(value, PrimaryMetricGoal):
            return value

        if isinstance(value, str) and value.strip().upper() in cls.__members__:
            return cls[value.strip().upper()]

        raise InvalidConfigError(
            f"{field}={value!r} is invalid; use PrimaryMetricGoal.MAXIMIZE or "
            "PrimaryMetricGoal.MINIMIZE ('maximize' or 'minimize' in YAML)"
        )

    def is_better(self, candidate: float, reference: float) -> bool:
        """Return whether ``candidate`` is strictly better than ``reference`` for this goal."""
        if self is PrimaryMetricGoal.MAXIMIZE:
            return candidate > reference
        return candidate < reference


class RunStatus(str, enum.Enum):
    """The life-cycle states of parent and child runs."""

    QUEUED = "Queued"
    RUNNING = "Running"
    COMPLETED = "Completed"
    FAILED = "Failed"
    CANCELED = "Canceled"

    @property
    def is_terminal(self) -> bool:
        """Whether a run in this state has ended."""
        return self in (RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CANCELED)
