"""``HyperDriveConfig``: the whole description of a sweep, validated at construction."""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from typing import Any

from hypersweep.api.script_run_config import ScriptRunConfig
from hypersweep.enums import PrimaryMetricGoal
from hypersweep.errors import InvalidConfigError
from hypersweep.policies import EarlyTerminationPolicy, NoTerminationPolicy, policy_from_dict
from hypersweep.sampling import ParameterSampling, sampling_from_dict
from hypersweep.sampling.base import SamplingLimitWarning

__all__ = ["HyperDriveConfig"]

DEFAULT_MAX_DURATION_MINUTES = 10080
DEFAULT_CANCEL_GRACE_SECONDS = 10.0
MAX_RESUME_FROM = 5


class HyperDriveConfig:
    """A sweep: the script to run, how to sample, what to optimize and the limits.

    ``estimator=`` is accepted as an alias of ``run_config=``. ``max_run_duration_minutes``
    cancels a single run that takes longer. ``cancel_grace_seconds`` is how long a cancelled
    run may take to exit after the polite signal before it is killed.
    """

    def __init__(
        self,
        run_config: ScriptRunConfig | None = None,
        hyperparameter_sampling: ParameterSampling | None = None,
        primary_metric_name: str | None = None,
        primary_metric_goal: PrimaryMetricGoal | str | None = None,
        max_total_runs: int | None = None,
        max_concurrent_runs: int | None = None,
        max_duration_minutes: float = DEFAULT_MAX_DURATION_MINUTES,
        policy: EarlyTerminationPolicy | None = None,
        resume_from: object = None,
        resume_child_runs: object = None,
        *,
        estimator: ScriptRunConfig | None = None,
        max_run_duration_minutes: float | None = None,
        cancel_grace_seconds: float = DEFAULT_CANCEL_GRACE_SECONDS,
        **azure_arguments: object,
    ) -> None:
        for key in azure_arguments:
            warnings.warn(f"HyperDriveConfig: the Azure argument {key!r} is ignored",
                          stacklevel=2)

        self.run_config = _check_run_config(run_config, estimator)
        self.hyperparameter_sampling = _check_sampling(hyperparameter_sampling)
        self.primary_metric_name = _check_metric_name(primary_metric_name)
        self.primary_metric_goal = _check_goal(primary_metric_goal)
        self.max_total_runs = _check_max_total_runs(max_total_runs)
        self.max_concurrent_runs = _check_max_concurrent_runs(max_concurrent_runs,
                                                              self.max_total_runs)
        self.max_duration_minutes = _check_positive_number("max_duration_minutes",
                                                           max_duration_minutes)
        self.max_run_duration_minutes = (
            None if max_run_duration_minutes is None
            else _check_positive_number("max_run_duration_minutes", max_run_duration_minutes)
        )
        self.cancel_grace_seconds = _check_non_negative_number("cancel_grace_seconds",
                                                               cancel_grace_seconds)
        self.policy = _check_policy(policy)
        self.resume_from = _check_run_ids("resume_from", resume_from,
                                          max_count=MAX_RESUME_FROM, child=False)
        self.resume_child_runs = _check_run_ids("resume_child_runs", resume_child_runs,
                                                max_count=None, child=True)
        _check_placeholders(self.run_config, self.hyperparameter_sampling)

        for sentence in self.hyperparameter_sampling.check_limits(self.max_total_runs,
                                                                  self.max_concurrent_runs):
            warnings.warn(sentence, SamplingLimitWarning, stacklevel=2)

    @property
    def estimator(self) -> ScriptRunConfig:
        """Azure's name for :attr:`run_config`."""
        return self.run_config

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable form, as recorded in the run store."""
        return {
            "run_config": self.run_config.to_dict(),
            "hyperparameter_sampling": self.hyperparameter_sampling.to_dict(),
            "primary_metric_name": self.primary_metric_name,
            "primary_metric_goal": self.primary_metric_goal.value,
            "max_total_runs": self.max_total_runs,
            "max_concurrent_runs": self.max_concurrent_runs,
            "max_duration_minutes": self.max_duration_minutes,
            "max_run_duration_minutes": self.max_run_duration_minutes,
            "cancel_grace_seconds": self.cancel_grace_seconds,
            "policy": self.policy.to_dict() if self.policy is not None else None,
            "resume_from": list(self.resume_from),
            "resume_child_runs": list(self.resume_child_runs),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> HyperDriveConfig:
        """Rebuild a configuration from :meth:`to_dict`."""
        policy_data = data.get("policy")
        with warnings.catch_warnings():
            # The limit warnings were shown when the configuration was first built.
            warnings.simplefilter("ignore", SamplingLimitWarning)
            return cls._from_dict(data, policy_data)

    @classmethod
    def _from_dict(cls, data: Mapping[str, Any], policy_data: Any) -> HyperDriveConfig:
        return cls(
            run_config=ScriptRunConfig.from_dict(data["run_config"]),
            hyperparameter_sampling=sampling_from_dict(data["hyperparameter_sampling"]),
            primary_metric_name=data["primary_metric_name"],
            primary_metric_goal=data["primary_metric_goal"],
            max_total_runs=data["max_total_runs"],
            max_concurrent_runs=data.get("max_concurrent_runs"),
            max_duration_minutes=data.get("max_duration_minutes", DEFAULT_MAX_DURATION_MINUTES),
            max_run_duration_minutes=data.get("max_run_duration_minutes"),
            cancel_grace_seconds=data.get("cancel_grace_seconds", DEFAULT_CANCEL_GRACE_SECONDS),
            policy=policy_from_dict(policy_data) if policy_data else None,
            resume_from=data.get("resume_from") or None,
            resume_child_runs=data.get("resume_child_runs") or None,
        )

    def __repr__(self) -> str:
        return (f"HyperDriveConfig(primary_metric_name={self.primary_metric_name!r}, "
                f"primary_metric_goal={self.primary_metric_goal.name}, "
                f"max_total_runs={self.max_total_runs}, "
                f"max_concurrent_runs={self.max_concurrent_runs})")


def _check_run_config(run_config: object, estimator: object) -> ScriptRunConfig:
    if run_config is not None and estimator is not None:
        raise InvalidConfigError("HyperDriveConfig: give run_config= or estimator=, not both")

    chosen = run_config if run_config is not None else estimator
    if chosen is None:
        raise InvalidConfigError("HyperDriveConfig: run_config is missing; give "
                                 "run_config=ScriptRunConfig(script='train.py', ...)")

    if not isinstance(chosen, ScriptRunConfig):
        raise InvalidConfigError(
            f"run_config={chosen!r} is invalid; give a hypersweep.ScriptRunConfig"
        )

    return chosen


def _check_sampling(sampling: object) -> ParameterSampling:
    if sampling is None:
        raise InvalidConfigError(
            "HyperDriveConfig: hyperparameter_sampling is missing; give "
            "RandomParameterSampling(...), GridParameterSampling(...) or "
            "BayesianParameterSampling(...)"
        )

    if not isinstance(sampling, ParameterSampling):
        raise InvalidConfigError(
            f"hyperparameter_sampling={sampling!r} is invalid; give RandomParameterSampling, "
            "GridParameterSampling or BayesianParameterSampling"
        )

    return sampling


def _check_metric_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidConfigError(
            f"primary_metric_name={name!r} is invalid; give the metric name that the training "
            "script logs, such as 'accuracy'"
        )

    return name


def _check_goal(goal: object) -> PrimaryMetricGoal:
    if goal is None:
        raise InvalidConfigError("primary_metric_goal is missing; give "
                                 "PrimaryMetricGoal.MAXIMIZE or PrimaryMetricGoal.MINIMIZE")

    return PrimaryMetricGoal.parse(goal)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_max_total_runs(value: object) -> int:
    if value is None:
        raise InvalidConfigError("max_total_runs is missing; give an int >= 1")

    if not _is_int(value):
        raise InvalidConfigError(f"max_total_runs={value!r} is invalid; give an int >= 1")

    assert isinstance(value, int)
    if value < 1:
        raise InvalidConfigError(f"max_total_runs={value!r} is invalid; give an int >= 1")

    return value


def _check_max_concurrent_runs(value: object, max_total_runs: int) -> int:
    if value is None:
        return max_total_runs

    if not _is_int(value):
        raise InvalidConfigError(f"max_concurrent_runs={value!r} is invalid; give an int >= 1")

    assert isinstance(value, int)
    if value < 1:
        raise InvalidConfigError(f"max_concurrent_runs={value!r} is invalid; give an int >= 1")

    return value


def _check_positive_number(field: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidConfigError(f"{field}={value!r} is invalid; give a number > 0")

    if not math.isfinite(value) or value <= 0:
        raise InvalidConfigError(f"{field}={value!r} is invalid; give a finite number > 0")

    return value


def _check_non_negative_number(field: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidConfigError(f"{field}={value!r} is invalid; give a number >= 0")

    if not math.isfinite(value) or value < 0:
        raise InvalidConfigError(f"{field}={value!r} is invalid; give a finite number >= 0")

    return float(value)


def _check_policy(policy: object) -> EarlyTerminationPolicy | None:
    if policy is None or isinstance(policy, NoTerminationPolicy):
        return None if policy is None else policy

    if not isinstance(policy, EarlyTerminationPolicy):
        raise InvalidConfigError(
            f"policy={policy!r} is invalid; give BanditPolicy, MedianStoppingPolicy, "
            "TruncationSelectionPolicy, NoTerminationPolicy or None"
        )

    return policy


def _check_run_ids(field: str, value: object, *, max_count: int | None,
                   child: bool) -> list[str]:
    """Accept one run or a list of runs (objects with an ``id`` or id strings)."""
    if value is None:
        return []

    items = list(value) if isinstance(value, (list, tuple)) else [value]
    kind = "child run" if child else "sweep"
    example = "HD_<uuid>_3" if child else "HD_<uuid>"
    ids: list[str] = []
    for item in items:
        run_id = getattr(item, "id", item)
        if not isinstance(run_id, str) or not run_id.startswith("HD_"):
            raise InvalidConfigError(
                f"{field}: {item!r} is not a {kind}; give {kind} objects or ids such as "
                f"{example!r}"
            )
        if child and not run_id.rsplit("_", 1)[-1].isdigit():
            raise InvalidConfigError(f"{field}: {run_id!r} is a sweep id; give child run ids "
                                     "such as 'HD_<uuid>_3'")
        if run_id in ids:
            raise InvalidConfigError(f"{field}: {run_id!r} is listed twice; list it once")
        ids.append(run_id)

    if max_count is not None and len(ids) > max_count:
        raise InvalidConfigError(f"{field} lists {len(ids)} sweeps; give at most {max_count}")

    return ids


def _check_placeholders(run_config: ScriptRunConfig, sampling: ParameterSampling) -> None:
    names = set(sampling.space.names)
    for name in run_config.placeholders():
        if name not in names:
            raise InvalidConfigError(
                f"command: placeholder ${{{{search_space.{name}}}}} names no hyperparameter; "
                f"the search space has {sorted(names)}"
            )
