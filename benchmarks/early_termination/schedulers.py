"""The schedulers that the replay compares, behind one small interface.

Each adapter drives one library's early termination rule the way that library's own sweep loop
does: hypersweep policies through ``policy.decide``, Optuna pruners through ask and tell, and Ray
Tune schedulers through their callbacks. ``SCHEDULERS`` lists them with their settings.

Optuna and Ray are imported only when one of their schedulers is built.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from hypersweep.enums import PrimaryMetricGoal
from hypersweep.policies import (
    AshaPolicy,
    BanditPolicy,
    EarlyTerminationPolicy,
    MedianStoppingPolicy,
    RunHistory,
    TruncationSelectionPolicy,
)

METRIC = "accuracy"


class Scheduler(Protocol):
    """The calls that the replay makes on the scheduler under test, in simulated time order."""

    def start(self, run_id: str) -> None:
        """Register a run that a worker has just started."""

    def report(self, run_id: str, epoch: int, value: float, elapsed: float) -> bool:
        """Record epoch ``epoch`` of a run and return True when the run should stop now."""

    def end(self, run_id: str, *, stopped: bool, failed: bool) -> None:
        """Register that a run has ended: stopped by the scheduler, failed, or completed."""


class NoStopScheduler:
    """Let every run finish: the baseline that the savings are measured against."""

    def start(self, run_id: str) -> None:
        pass

    def report(self, run_id: str, epoch: int, value: float, elapsed: float) -> bool:
        return False

    def end(self, run_id: str, *, stopped: bool, failed: bool) -> None:
        pass


class HypersweepScheduler:
    """Drive a hypersweep policy the way its sweep controller applies it.

    The histories of every started run are kept in one dict. A report replaces only the reporting
    run's RunHistory, because the policy reads the histories of all runs at each decision.
    """

    def __init__(self, policy: EarlyTerminationPolicy) -> None:
        self.policy = policy
        self.histories: dict[str, RunHistory] = {}
        self.values: dict[str, list[float]] = {}

    def start(self, run_id: str) -> None:
        self.values[run_id] = []
        self.histories[run_id] = RunHistory(run_id, (), finished=False)

    def report(self, run_id: str, epoch: int, value: float, elapsed: float) -> bool:
        values = self.values[run_id]
        values.append(value)
        self.histories[run_id] = RunHistory(run_id, values, finished=False)
        decision = self.policy.decide(
            run_id, epoch, self.histories, goal=PrimaryMetricGoal.MAXIMIZE, metric_name=METRIC
        )
        return decision is not None and decision.cancel

    def end(self, run_id: str, *, stopped: bool, failed: bool) -> None:
        self.histories[run_id] = RunHistory(run_id, self.values[run_id], finished=True)


class OptunaScheduler:
    """Drive an Optuna pruner through ask, report, should_prune and tell, in in-memory storage.

    Steps are epochs counted from 1, so ``n_warmup_steps=5`` first prunes at epoch 5, as
    ``delay_evaluation=5`` does. ``tell`` receives a completed trial's best value, which is what
    hypersweep reports for a run. The pruners read only the intermediate values.
    """

    def __init__(self, pruner: Any) -> None:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self._state = optuna.trial.TrialState
        # ask() without suggest calls samples nothing, so the sampler never runs.
        self.study = optuna.create_study(
            direction="maximize", pruner=pruner, sampler=optuna.samplers.RandomSampler(seed=0)
        )
        self.trials: dict[str, Any] = {}
        self.best: dict[str, float] = {}

    def start(self, run_id: str) -> None:
        self.trials[run_id] = self.study.ask()

    def report(self, run_id: str, epoch: int, value: float, elapsed: float) -> bool:
        trial = self.trials[run_id]
        trial.report(value, step=epoch)
        if math.isfinite(value) and value > self.best.get(run_id, -math.inf):
            self.best[run_id] = value
        return bool(trial.should_prune())

    def end(self, run_id: str, *, stopped: bool, failed: bool) -> None:
        trial = self.trials.pop(run_id)
        if stopped:
            self.study.tell(trial, state=self._state.PRUNED)
        elif failed or run_id not in self.best:
            self.study.tell(trial, state=self._state.FAIL)
        else:
            self.study.tell(trial, self.best[run_id])


class _RayTrial:
    """Stand-in for ``ray.tune.experiment.Trial``.

    In Ray 2.60, MedianStoppingRule and ASHAScheduler read only ``trial_id`` and use the trial
    object as a dict key, which this class hashes by identity. ``status`` is read only from the
    controller's live trials, and a stand-in trial is always running.
    """

    RUNNING = "RUNNING"

    def __init__(self, trial_id: str) -> None:
        self.trial_id = trial_id
        self.status = self.RUNNING

    def __repr__(self) -> str:
        return f"_RayTrial({self.trial_id!r})"


class _RayController:
    """Stand-in for ``ray.tune.execution.tune_controller.TuneController``.

    Of the controller, the two schedulers read only ``get_live_trials()``: MedianStoppingRule
    pauses a trial that lacks comparison samples when a live trial is pending or paused. The
    replay has no pause, so this stand-in reports no pending or paused trial, and the rule
    continues the trial instead.
    """

    def get_live_trials(self) -> list[_RayTrial]:
        return []


class RayScheduler:
    """Drive a Ray Tune trial scheduler through its callbacks, as TuneController calls them.

    ``on_trial_add`` runs when a run starts and ``on_trial_result`` for every epoch, with a result
    dict of ``training_iteration``, ``time_total_s`` and the metric. ``on_trial_complete`` gets
    the last result when the run ends, whether it completed or the scheduler stopped it, and a
    failed run gets ``on_trial_error`` instead. Ray itself is not started.

    Two Ray 2.60 details follow from this. MedianStoppingRule appends the last result again in
    ``on_trial_complete``, as it does under Ray's controller, so a run's running mean at the
    epoch where it ended counts that epoch twice. ASHAScheduler picks a bracket with NumPy's
    global random state in ``on_trial_add``, which with ``brackets=1`` always picks the only one.
    """

    def __init__(self, scheduler: Any) -> None:
        from ray.tune.schedulers import TrialScheduler

        self.scheduler = scheduler
        self._stop = TrialScheduler.STOP
        self.controller = _RayController()
        self.trials: dict[str, _RayTrial] = {}
        self.last_results: dict[str, dict[str, float]] = {}

    def start(self, run_id: str) -> None:
        trial = _RayTrial(run_id)
        self.trials[run_id] = trial
        self.scheduler.on_trial_add(self.controller, trial)

    def report(self, run_id: str, epoch: int, value: float, elapsed: float) -> bool:
        result = {"training_iteration": epoch, "time_total_s": elapsed, METRIC: value}
        self.last_results[run_id] = result
        decision = self.scheduler.on_trial_result(self.controller, self.trials[run_id], result)
        return bool(decision == self._stop)

    def end(self, run_id: str, *, stopped: bool, failed: bool) -> None:
        trial = self.trials.pop(run_id)
        result = self.last_results.pop(run_id)
        if failed:
            self.scheduler.on_trial_error(self.controller, trial)
        else:
            self.scheduler.on_trial_complete(self.controller, trial, dict(result))


class _MaxEpochs:
    """Placeholder for a setting that takes the task's maximum number of epochs."""

    def __repr__(self) -> str:
        return "max epochs"


MAX_EPOCHS: Any = _MaxEpochs()


@dataclass(frozen=True)
class SchedulerSpec:
    """One scheduler of the comparison: a class of a library, and its keyword arguments.

    ``family`` groups the rules that do the same job (median, percentile, halving, bandit), so
    that a peer is compared with every hypersweep variant of its family. ``peer_of`` names the
    hypersweep scheduler with matched settings, the reference of the ratios. A ``MAX_EPOCHS``
    argument is replaced by the task's maximum number of epochs when the scheduler is built.
    """

    name: str
    library: str
    family: str
    peer_of: str | None
    class_name: str
    arguments: Mapping[str, Any] = field(default_factory=dict)

    @property
    def settings(self) -> str:
        """The constructor call, as text."""
        listed = ", ".join(f"{key}={value!r}" for key, value in self.arguments.items())
        return f"{self.class_name}({listed})"

    def build(self, max_epochs: int) -> Scheduler:
        """Return a new scheduler for a task whose runs have at most ``max_epochs`` epochs."""
        arguments = {
            key: max_epochs if value is MAX_EPOCHS else value
            for key, value in self.arguments.items()
        }
        if self.library == "hypersweep":
            return HypersweepScheduler(_POLICIES[self.class_name](**arguments))

        if self.library == "optuna":
            import optuna

            return OptunaScheduler(getattr(optuna.pruners, self.class_name)(**arguments))

        if self.library == "ray":
            from ray.tune import schedulers

            scheduler_class = getattr(schedulers, self.class_name)
            return RayScheduler(scheduler_class(metric=METRIC, mode="max", **arguments))

        if self.library == "none":
            return NoStopScheduler()

        raise ValueError(
            f"library={self.library!r} is invalid; use hypersweep, optuna, ray or none"
        )


_POLICIES: dict[str, type[EarlyTerminationPolicy]] = {
    policy.__name__: policy
    for policy in (AshaPolicy, BanditPolicy, MedianStoppingPolicy, TruncationSelectionPolicy)
}

# Matched settings. The median and percentile rules first judge a run at epoch 5 and need one
# other run to compare with (for Optuna, one completed trial). ASHA and successive halving use
# the rungs 1, 3, 9 and 27: a minimum of 1 epoch and a reduction factor of 3.
WARMUP = 5
ASHA_MIN = 1
REDUCTION = 3

SCHEDULERS: tuple[SchedulerSpec, ...] = (
    SchedulerSpec("no termination", "none", "baseline", None, "NoStopScheduler"),
    SchedulerSpec(
        "hs.MedianStopping",
        "hypersweep",
        "median",
        None,
        "MedianStoppingPolicy",
        {"evaluation_interval": 1, "delay_evaluation": WARMUP},
    ),
    # A more aggressive variant, to compare losses at the savings of the other median rules.
    SchedulerSpec(
        "hs.MedianStopping/delay1",
        "hypersweep",
        "median",
        None,
        "MedianStoppingPolicy",
        {"evaluation_interval": 1, "delay_evaluation": 1},
    ),
    SchedulerSpec(
        "hs.Bandit/factor",
        "hypersweep",
        "bandit",
        None,
        "BanditPolicy",
        {"slack_factor": 0.1, "evaluation_interval": 1, "delay_evaluation": WARMUP},
    ),
    SchedulerSpec(
        "hs.Bandit/amount",
        "hypersweep",
        "bandit",
        None,
        "BanditPolicy",
        {"slack_amount": 0.02, "evaluation_interval": 1, "delay_evaluation": WARMUP},
    ),
    SchedulerSpec(
        "hs.Truncation",
        "hypersweep",
        "percentile",
        None,
        "TruncationSelectionPolicy",
        {"truncation_percentage": 20, "evaluation_interval": 1, "delay_evaluation": WARMUP},
    ),
    # A more aggressive variant, to compare losses at the savings of Optuna's PercentilePruner.
    SchedulerSpec(
        "hs.Truncation/60%",
        "hypersweep",
        "percentile",
        None,
        "TruncationSelectionPolicy",
        {"truncation_percentage": 60, "evaluation_interval": 1, "delay_evaluation": WARMUP},
    ),
    SchedulerSpec(
        "hs.Asha",
        "hypersweep",
        "halving",
        None,
        "AshaPolicy",
        {"min_interval": ASHA_MIN, "reduction_factor": REDUCTION, "max_interval": MAX_EPOCHS},
    ),
    SchedulerSpec(
        "optuna.Median",
        "optuna",
        "median",
        "hs.MedianStopping",
        "MedianPruner",
        {"n_startup_trials": 1, "n_warmup_steps": WARMUP, "interval_steps": 1},
    ),
    # percentile=80 keeps the top 80% at each step, the match of truncating the worst 20%.
    SchedulerSpec(
        "optuna.Percentile",
        "optuna",
        "percentile",
        "hs.Truncation",
        "PercentilePruner",
        {"percentile": 80.0, "n_startup_trials": 1, "n_warmup_steps": WARMUP, "interval_steps": 1},
    ),
    SchedulerSpec(
        "optuna.SuccessiveHalving",
        "optuna",
        "halving",
        "hs.Asha",
        "SuccessiveHalvingPruner",
        {"min_resource": ASHA_MIN, "reduction_factor": REDUCTION, "min_early_stopping_rate": 0},
    ),
    SchedulerSpec(
        "ray.MedianStoppingRule",
        "ray",
        "median",
        "hs.MedianStopping",
        "MedianStoppingRule",
        {
            "time_attr": "training_iteration",
            "grace_period": WARMUP,
            "min_samples_required": 1,
            "hard_stop": True,
        },
    ),
    SchedulerSpec(
        "ray.ASHA",
        "ray",
        "halving",
        "hs.Asha",
        "ASHAScheduler",
        {
            "time_attr": "training_iteration",
            "grace_period": ASHA_MIN,
            "reduction_factor": REDUCTION,
            "max_t": MAX_EPOCHS,
            "brackets": 1,
        },
    ),
)
SCHEDULERS_BY_NAME = {spec.name: spec for spec in SCHEDULERS}
BASELINE = SCHEDULERS[0].name
