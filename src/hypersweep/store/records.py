"""The records that the run store reads and writes: plain frozen dataclasses, never pickled.

Structured fields (``config``, ``hyperparameters``, ``arguments``, ``termination``,
``warnings``) must be JSON-serialisable: the store keeps them as JSON text. JSON has no tuples
and only string keys, so a tuple comes back as a list and a non-string key as a string.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from hypersweep.enums import PrimaryMetricGoal, RunStatus

__all__ = ["ChildRunRecord", "ExperimentRecord", "MetricRecord", "ParentRunRecord"]


@dataclasses.dataclass(frozen=True)
class ExperimentRecord:
    """A named group of sweeps in one workspace."""

    name: str
    created_at: float


@dataclasses.dataclass(frozen=True)
class ParentRunRecord:
    """One sweep (HyperDrive parent run) and the controller state needed to resume it.

    ``sampler_count`` is how many configurations the sampler has proposed so far, and
    ``warnings`` contains user-facing sentences that the controller recorded (for example that no
    run logged the primary metric).
    """

    run_id: str
    experiment_name: str
    config: dict[str, Any]
    primary_metric_name: str
    goal: PrimaryMetricGoal
    status: RunStatus
    created_at: float
    started_at: float | None = None
    ended_at: float | None = None
    end_reason: str | None = None
    best_child_id: str | None = None
    best_score: float | None = None
    controller_pid: int | None = None
    controller_started_at: float | None = None
    next_child_number: int = 0
    sampler_count: int = 0
    warnings: list[str] = dataclasses.field(default_factory=list)

    def __post_init__(self) -> None:
        # Accept the enum names as strings too ("Running", "maximize"), as the YAML layer has them.
        object.__setattr__(self, "status", RunStatus(self.status))
        object.__setattr__(self, "goal", PrimaryMetricGoal.parse(self.goal, field="goal"))


@dataclasses.dataclass(frozen=True)
class ChildRunRecord:
    """One training run of one configuration.

    ``reason`` explains why the run was cancelled or failed, ``termination`` is the early
    termination decision (``policy``, ``interval``, ``value``, ``reference``, ``message``),
    ``best_score`` the best finite primary metric value so far, ``last_interval`` the number of
    primary metric values logged, and ``metrics_offset`` the byte offset up to which the run's
    metrics file has been ingested (so that ingestion is exactly-once across controller restarts).
    """

    run_id: str
    parent_id: str
    number: int
    hyperparameters: dict[str, Any]
    arguments: list[str]
    status: RunStatus
    created_at: float
    started_at: float | None = None
    ended_at: float | None = None
    exit_code: int | None = None
    reason: str | None = None
    log_tail: str | None = None
    termination: dict[str, Any] | None = None
    best_score: float | None = None
    last_interval: int = 0
    metrics_offset: int = 0
    pid: int | None = None
    run_dir: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", RunStatus(self.status))


@dataclasses.dataclass(frozen=True)
class MetricRecord:
    """One logged metric value; ``index`` counts from 0 per (run, name) in logged order."""

    run_id: str
    name: str
    index: int
    value: float
    time: float
