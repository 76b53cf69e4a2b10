"""The interface that every early termination policy implements, and its value objects.

A policy is a pure decision rule: from the primary metric values that the runs of a sweep have
logged so far, it decides whether one run should be cancelled at one interval. Recording the
decision and cancelling the run are the sweep controller's job.
"""

from __future__ import annotations

import math
import numbers
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar

from hypersweep.enums import PrimaryMetricGoal
from hypersweep.errors import InvalidConfigError, InvalidMetricError
from hypersweep.policies._metrics import best_of_first, format_number

__all__ = [
    "EarlyTerminationPolicy",
    "Evaluation",
    "RunHistory",
    "TerminationDecision",
    "check_bool",
    "check_int",
    "check_interval",
    "check_positive_number",
]


def check_int(name: str, value: object, *, minimum: int, maximum: int | None = None) -> int:
    """Check that ``value`` is an int in range, and return it as an ``int``."""
    accepted = (
        f"an int from {minimum} to {maximum}" if maximum is not None else f"an int >= {minimum}"
    )

    # bool is an int subclass, but True as an interval is a mistake, not a 1.
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvalidConfigError(f"{name}={value!r} is invalid; use {accepted}")

    number = int(value)
    if number < minimum:
        raise InvalidConfigError(f"{name}={value!r} is invalid; use {accepted}")

    if maximum is not None and number > maximum:
        raise InvalidConfigError(f"{name}={value!r} is invalid; use {accepted}")

    return number


def check_positive_number(name: str, value: object) -> float:
    """Check that ``value`` is a finite number > 0, and return it as a ``float``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidConfigError(f"{name}={value!r} is invalid; use a number > 0")

    if not math.isfinite(value):
        raise InvalidConfigError(f"{name}={value!r} is invalid; use a finite number > 0")

    if value <= 0:
        raise InvalidConfigError(f"{name}={value!r} is invalid; use a number > 0")

    return float(value)


def check_bool(name: str, value: object) -> bool:
    """Return ``value`` if it is a ``bool``, else raise InvalidConfigError."""
    if not isinstance(value, bool):
        raise InvalidConfigError(f"{name}={value!r} is invalid; use True or False")

    return value


def check_interval(interval: object) -> None:
    """Raise TypeError or ValueError unless ``interval`` is an int >= 1."""
    if isinstance(interval, bool) or not isinstance(interval, numbers.Integral):
        raise TypeError(f"interval={interval!r} is invalid; use an int >= 1")

    if interval < 1:
        raise ValueError(f"interval={interval!r} is invalid; intervals count from 1")


def _as_metric_value(run_id: str, position: int, value: object) -> float:
    # str has no __float__ (float("0.5") parses text instead), so this accepts Python, NumPy and
    # PyTorch scalars and rejects text, None and lists.
    if not hasattr(type(value), "__float__"):
        raise InvalidMetricError(
            f"value {position} of run {run_id!r} is {value!r}; a primary metric value must be "
            "a number"
        )

    return float(value)  # type: ignore[arg-type]


@dataclass(frozen=True)
class RunHistory:
    """The primary metric values that one run has logged, in order, and the state of the run.

    ``values`` is stored as a tuple of floats (NaN and infinities kept as logged), so a history
    cannot change after a policy has read it. ``finished`` is true once the run has ended, with any
    status. ``from_parent`` marks a run of a warm-start parent sweep; such runs join cohorts like
    any other run.
    """

    run_id: str
    values: Sequence[float]
    finished: bool
    from_parent: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.run_id, str):
            raise TypeError(f"run_id={self.run_id!r} is invalid; use a str")

        if not isinstance(self.values, Sequence) or isinstance(self.values, (str, bytes)):
            raise TypeError(
                f"values={self.values!r} of run {self.run_id!r} is invalid; use a list of numbers"
            )

        if not isinstance(self.finished, bool):
            raise TypeError(
                f"finished={self.finished!r} of run {self.run_id!r} is invalid; use a bool"
            )

        if not isinstance(self.from_parent, bool):
            raise TypeError(
                f"from_parent={self.from_parent!r} of run {self.run_id!r} is invalid; use a bool"
            )

        values = tuple(
            _as_metric_value(self.run_id, position, value)
            for position, value in enumerate(self.values, start=1)
        )
        object.__setattr__(self, "values", values)


@dataclass(frozen=True)
class TerminationDecision:
    """The outcome of applying a policy to one run at one interval, with the numbers behind it.

    ``value`` is the candidate's b(n), and ``reference`` is the number it was held against: a
    threshold, a median or the value at a rank boundary. Either is ``None`` when no finite value
    exists. ``message`` is a full sentence for people. ``details`` contains further numbers, such
    as the best value, the slack, the cohort size or the rank.
    """

    cancel: bool
    policy: str
    interval: int
    value: float | None
    reference: float | None
    message: str
    details: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # A read-only copy keeps the decision frozen even if the caller's dict changes later.
        object.__setattr__(self, "details", MappingProxyType(dict(self.details)))

    def to_dict(self) -> dict[str, Any]:
        """Return the decision as a JSON-serialisable dict, as stored with a cancelled run."""
        return {
            "policy": self.policy,
            "cancel": self.cancel,
            "interval": self.interval,
            "value": self.value,
            "reference": self.reference,
            "message": self.message,
            "details": dict(self.details),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TerminationDecision:
        """Rebuild a decision from the output of :meth:`to_dict`."""
        return cls(
            cancel=bool(data["cancel"]),
            policy=str(data["policy"]),
            interval=int(data["interval"]),
            value=data["value"],
            reference=data["reference"],
            message=str(data["message"]),
            details=dict(data.get("details", {})),
        )


@dataclass(frozen=True)
class Evaluation:
    """One application of a policy: the candidate, the interval and its cohort.

    ``cohort`` maps run ids to histories and always contains the candidate. It is sorted by run
    id, so a decision does not depend on the order of the caller's mapping.
    """

    candidate: str
    interval: int
    goal: PrimaryMetricGoal
    metric_name: str
    cohort: Mapping[str, RunHistory]

    def best(self, run_id: str) -> float | None:
        """Return b_r(n) of one cohort run: its best finite value among its first n values."""
        return best_of_first(self.cohort[run_id].values, self.interval, self.goal)

    def best_values(self) -> dict[str, float | None]:
        """Return b_r(n) for every run of the cohort, the candidate included."""
        return {run_id: self.best(run_id) for run_id in self.cohort}

    def worse_word(self) -> str:
        """Return "below" when larger values are better, else "above"."""
        return "below" if self.goal is PrimaryMetricGoal.MAXIMIZE else "above"

    def opening(self, cancel: bool) -> str:
        """Return the start of a decision message, such as "cancelled at interval 5"."""
        verb = "cancelled" if cancel else "continues"
        return f"{verb} at interval {self.interval}"

    def describe_best(self, value: float | None) -> str:
        """Return a phrase for the candidate's b(n), such as "best accuracy 0.61"."""
        if value is None:
            return f"best {self.metric_name} none (no finite value among the first {self.interval})"
        return f"best {self.metric_name} {format_number(value)}"


class EarlyTerminationPolicy(ABC):
    """The base of every early termination policy.

    A policy is applied to a run when that run logs interval ``n`` (its n-th value of the primary
    metric) with ``n % evaluation_interval == 0`` and ``n >= delay_evaluation``. The cohort at
    ``n`` is every run, finished or not, of the sweep and of its warm-start parents, that has
    logged at least ``n`` values. A policy never cancels the only member of its cohort and makes
    no decision when every value it would compare is non-finite.
    """

    #: The ``type`` of the policy in :meth:`to_dict` and in YAML.
    type_name: ClassVar[str]

    def __init__(self, *, evaluation_interval: int = 1, delay_evaluation: int = 0) -> None:
        self.evaluation_interval = check_int("evaluation_interval", evaluation_interval, minimum=1)
        self.delay_evaluation = check_int("delay_evaluation", delay_evaluation, minimum=0)

    @property
    def name(self) -> str:
        """The class name, as recorded in decisions: "BanditPolicy"."""
        return type(self).__name__

    def should_evaluate(self, interval: int) -> bool:
        """Return whether the policy is applied to a run that has just logged ``interval``."""
        check_interval(interval)
        return interval % self.evaluation_interval == 0 and interval >= self.delay_evaluation

    def decide(
        self,
        candidate: str,
        interval: int,
        histories: Mapping[str, RunHistory],
        *,
        goal: PrimaryMetricGoal | str,
        metric_name: str = "metric",
    ) -> TerminationDecision | None:
        """Decide whether ``candidate`` should be cancelled at ``interval``.

        ``histories`` contains every run of the sweep and of its warm-start parents, and the
        cohort is computed from it. Only the first ``interval`` values of each run are read, so a
        run that has logged more is judged as it stood at ``interval``. Nothing is modified.

        Returns ``None`` when the policy is not applied at this interval, when the candidate is
        alone in its cohort, or when every value to compare is non-finite. Otherwise it returns a
        decision, whose ``cancel`` may be true or false.
        """
        goal = PrimaryMetricGoal.parse(goal, field="goal")
        check_interval(interval)

        history = histories.get(candidate)
        if history is None:
            raise ValueError(
                f"candidate run {candidate!r} is not in histories; pass its history too"
            )

        if len(history.values) < interval:
            raise ValueError(
                f"candidate run {candidate!r} has logged {len(history.values)} values, fewer than "
                f"interval {interval}; decide on a run only at an interval it has logged"
            )

        if not self.should_evaluate(interval):
            return None

        cohort = {
            run_id: histories[run_id]
            for run_id in sorted(histories)
            if self._in_cohort(run_id, histories[run_id], candidate, interval)
        }
        if len(cohort) < 2:
            return None

        evaluation = Evaluation(candidate, interval, goal, metric_name, MappingProxyType(cohort))
        return self._judge(evaluation)

    def _in_cohort(self, run_id: str, history: RunHistory, candidate: str, interval: int) -> bool:
        """Return whether a run belongs to the cohort of ``candidate`` at ``interval``."""
        return len(history.values) >= interval

    @abstractmethod
    def _judge(self, evaluation: Evaluation) -> TerminationDecision | None:
        """Apply the rule of the policy to a cohort of at least two runs."""

    def _decision(
        self,
        evaluation: Evaluation,
        *,
        cancel: bool,
        value: float | None,
        reference: float | None,
        message: str,
        details: Mapping[str, object],
    ) -> TerminationDecision:
        return TerminationDecision(
            cancel=cancel,
            policy=self.name,
            interval=evaluation.interval,
            value=value,
            reference=reference,
            message=message,
            details={"cohort_size": len(evaluation.cohort), **details},
        )

    @abstractmethod
    def _parameters(self) -> dict[str, Any]:
        """Return the constructor arguments that rebuild this policy."""

    def to_dict(self) -> dict[str, Any]:
        """Return the policy as a JSON-serialisable dict, the input of :func:`policy_from_dict`."""
        return {"type": self.type_name, **self._parameters()}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, EarlyTerminationPolicy):
            return NotImplemented
        return type(self) is type(other) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]  # policies compare by value and are mutable

    def __repr__(self) -> str:
        arguments = ", ".join(f"{key}={value!r}" for key, value in self._parameters().items())
        return f"{self.name}({arguments})"
