"""The sweep controller: sample, launch, collect metrics, apply the policy, finish.

One controller serves one sweep and is the only writer of the run store while the sweep runs.
The loop polls: each turn it handles cancel requests and limits, ingests the metric lines that
running children appended, and applies the early termination policy to each new primary metric
value. Then it reaps ended runs and starts new ones while there is room.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from hypersweep.api.hyperdrive_config import HyperDriveConfig
from hypersweep.api.workspace import Workspace
from hypersweep.controller.leftovers import kill_run_processes
from hypersweep.controller.ranking import best_value
from hypersweep.controller.requests import pending_requests, remove_request
from hypersweep.controller.sweep_log import SweepLog
from hypersweep.enums import PrimaryMetricGoal, RunStatus
from hypersweep.errors import HyperSweepError
from hypersweep.launchers import (
    ComputeTargetLostError,
    Launcher,
    LaunchSpec,
    RunExit,
    RunHandle,
    create_launcher,
    read_log_tail,
)
from hypersweep.policies import RunHistory
from hypersweep.run.protocol import (
    ENV_METRICS_FILE,
    ENV_OUTPUTS_DIR,
    ENV_PARENT_RUN_ID,
    ENV_RUN_ID,
    MetricsFileReader,
    ProtocolError,
    parse_line,
)
from hypersweep.sampling import Sampler
from hypersweep.sampling.base import Observation
from hypersweep.store import ChildRunRecord, ParentRunRecord, Store

__all__ = ["SweepController", "SweepProgress"]

# The loop's sleep between turns. A run's end waits up to this long to be noticed, so a shorter
# sleep lets short runs follow each other sooner, at the cost of more idle turns.
POLL_INTERVAL_SECONDS = 0.01
# Tag of a child run that continues an earlier run from its checkpoint: the earlier run's id.
RESUMED_FROM_TAG = "resumed_from"


@dataclass(frozen=True)
class SweepProgress:
    """A snapshot of a sweep for progress displays."""

    run_id: str
    max_total_runs: int
    started: int
    running: int
    completed: int
    failed: int
    canceled: int
    best_child_id: str | None
    best_score: float | None
    primary_metric_name: str
    stopping: bool

    @property
    def done(self) -> int:
        """Child runs that have ended, whatever their status."""
        return self.completed + self.failed + self.canceled


@dataclass
class _ActiveRun:
    record: ChildRunRecord
    handle: RunHandle
    reader: MetricsFileReader
    started_at: float
    cancel_reason: str | None = None
    termination: dict[str, object] | None = None
    metric_names: list[str] = field(default_factory=list)


class SweepController:
    """Runs one sweep to its end. Call :meth:`run` once; :meth:`request_cancel` from any thread."""

    def __init__(self, workspace: Workspace, run_id: str, *, launcher: Launcher | None = None,
                 on_progress: Callable[[SweepProgress], None] | None = None,
                 resume: bool = False) -> None:
        self.workspace = workspace
        self.run_id = run_id
        self.store: Store = workspace.open_store()
        parent = self.store.get_parent_run(run_id)
        self.config = HyperDriveConfig.from_dict(parent.config)
        self.goal: PrimaryMetricGoal = self.config.primary_metric_goal
        self.metric = self.config.primary_metric_name
        self.sweep_dir = workspace.sweep_dir(run_id)
        self.log = SweepLog(self.sweep_dir / "controller.log")
        self.launcher: Launcher = launcher or create_launcher(
            self.config.run_config.compute_target, grace_period=self.config.cancel_grace_seconds,
            resources=self.config.run_config.resources)
        self.concurrency = min(self.config.max_concurrent_runs, self.launcher.capacity)
        self.on_progress = on_progress

        self._active: dict[str, _ActiveRun] = {}
        self._values: dict[str, list[float]] = {}
        self._finished: set[str] = set()
        self._statuses: dict[str, RunStatus] = {}
        self._best: tuple[str, float] | None = None
        self._next_number = parent.next_child_number
        self._sampler: Sampler | None = None
        self._exhausted = False
        self._started_at = time.time()
        self._stop_reason: str | None = None
        self._end_status: RunStatus | None = None
        self._cancel_lock = threading.Lock()
        self._cancel_request: str | None = None
        self._force_kill = False
        self._warnings: list[str] = list(parent.warnings)
        self._last_progress: SweepProgress | None = None
        self._resume = resume
        self._relaunch: list[ChildRunRecord] = []
        self._pending_resumes: list[str] = []
        self._warm_start: dict[str, RunHistory] = {}

    # -- public ------------------------------------------------------------------------------

    def request_cancel(self, reason: str, *, force: bool = False) -> None:
        """Ask the loop to cancel the sweep; ``force`` kills runs without a grace period."""
        with self._cancel_lock:
            if self._cancel_request is None:
                self._cancel_request = reason
            self._force_kill = self._force_kill or force

    def run(self) -> RunStatus:
        """Run the sweep to its end and return the parent's final status."""
        parent = self.store.get_parent_run(self.run_id)
        if parent.status.is_terminal:
            return parent.status

        if parent.status is RunStatus.RUNNING and not self._resume:
            raise HyperSweepError(
                f"sweep {self.run_id} has already started; continue it with "
                f"`hypersweep resume {self.run_id}`"
            )

        self._start(parent)
        try:
            while not self._turn():
                time.sleep(POLL_INTERVAL_SECONDS)
        except ComputeTargetLostError as exc:
            # Nothing is marked ended: `hypersweep resume` starts the interrupted runs again.
            self.log.error(f"sweep {self.run_id} stopped: {exc}; continue it with "
                           f"`hypersweep resume {self.run_id}` once the target is back")
            raise
        except BaseException as exc:
            self._abort(exc)
            raise
        finally:
            self.launcher.shutdown()

        return self._finish()

    # -- life cycle --------------------------------------------------------------------------

    def _start(self, parent: ParentRunRecord) -> None:
        me = psutil.Process()
        children = self.store.list_child_runs(self.run_id)
        values = self.store.get_parent_metric_values(self.run_id, self.metric)
        self._started_at = _resumed_start_time(parent, children) if self._resume else time.time()

        self.store.update_parent_run(
            self.run_id, status=RunStatus.RUNNING, started_at=parent.started_at or time.time(),
            controller_pid=me.pid, controller_started_at=me.create_time(),
        )
        verb = "resumed" if self._resume else "started"
        self.log.info(
            f"sweep {self.run_id} {verb} (pid {me.pid}): up to {self.config.max_total_runs} "
            f"runs, {self.concurrency} at a time, {self.goal.name.lower()} {self.metric!r}"
        )
        if self.concurrency < self.config.max_concurrent_runs:
            self.log.info(f"max_concurrent_runs={self.config.max_concurrent_runs} is bounded "
                          f"by the {self.launcher.name} target's capacity of "
                          f"{self.launcher.capacity} runs")

        self._load_warm_start()
        self._sampler = self._create_sampler(parent, children, values)
        for child in children:
            self._values[child.run_id] = list(values.get(child.run_id, []))
            if child.status.is_terminal:
                self._finished.add(child.run_id)
                self._statuses[child.run_id] = child.status
                if child.best_score is not None:
                    self._update_best(child.run_id, child.best_score, record=False)
            else:
                self._recover_interrupted(child)

        launched_resumes = {self.store.get_tags(child.run_id).get(RESUMED_FROM_TAG)
                            for child in children}
        self._pending_resumes = [run_id for run_id in self.config.resume_child_runs
                                 if run_id not in launched_resumes]

    def _load_warm_start(self) -> None:
        """Load the runs of the warm-start parents: policy cohorts and the sampler see them."""
        for parent_id in self.config.resume_from:
            values = self.store.get_parent_metric_values(parent_id, self.metric)
            for child in self.store.list_child_runs(parent_id):
                self._warm_start[child.run_id] = RunHistory(
                    run_id=child.run_id, values=tuple(values.get(child.run_id, [])),
                    finished=True, from_parent=True)
            self.log.info(f"warm start from sweep {parent_id}: {len(values)} runs with "
                          f"{self.metric!r} values")

    def _create_sampler(self, parent: ParentRunRecord, children: list[ChildRunRecord],
                        values: dict[str, list[float]]) -> Sampler:
        sampling = self.config.hyperparameter_sampling
        names = list(sampling.space.names)
        skip: list[tuple[object, ...]] = []
        observations: list[Observation] = []

        for parent_id in self.config.resume_from:
            for child in self.store.list_child_runs(parent_id):
                if all(name in child.hyperparameters for name in names):
                    if child.status is RunStatus.COMPLETED:
                        skip.append(tuple(child.hyperparameters[name] for name in names))
                    observations.append(_observation(child, self._warm_start[child.run_id].values,
                                                     self.goal, from_parent=True))

        sampler = sampling.create_sampler(skip=skip, goal=self.goal)
        for observation in observations:
            sampler.observe(observation)

        if sampling.replays_sequence:
            # The i-th configuration depends only on the seed and i, so drawing the ones that
            # were already proposed puts the sampler back where it stopped.
            for _ in range(parent.sampler_count):
                if sampler.next_configuration() is None:
                    break

        for child in children:
            if child.status.is_terminal:
                sampler.observe(_observation(child, values.get(child.run_id, []), self.goal))
        return sampler

    def _recover_interrupted(self, child: ChildRunRecord) -> None:
        """Deal with a run that was not finished when the previous controller stopped."""
        killed = kill_run_processes(child.run_id)
        if killed:
            self.log.info(f"run {child.run_id}: ended {killed} process(es) left by the "
                          "previous controller")

        if child.reason is not None:
            # A cancellation was decided and recorded before the controller stopped, so the
            # decision is kept.
            self.store.update_child_run(child.run_id, status=RunStatus.CANCELED,
                                        ended_at=time.time())
            self._finished.add(child.run_id)
            self._statuses[child.run_id] = RunStatus.CANCELED
            self.log.info(f"run {child.run_id} canceled: {child.reason}")
            return

        discarded = self.store.discard_metrics(
            child.run_id, status=RunStatus.QUEUED, started_at=None, pid=None, best_score=None,
            last_interval=0, metrics_offset=0,
        )
        self._values[child.run_id] = []
        if child.run_dir:
            _set_aside(Path(child.run_dir) / "metrics.jsonl")
            _mark_restart(Path(child.run_dir) / "std_log.txt")
        self._relaunch.append(child)
        self.log.info(f"run {child.run_id} was interrupted when the previous controller stopped; "
                      f"it starts again from the beginning ({discarded} logged values of the "
                      "interrupted attempt discarded)")

    def _turn(self) -> bool:
        """Do one pass of the loop; return True when the sweep has ended."""
        self._handle_requests()
        self._check_duration()

        for active in list(self._active.values()):
            self._ingest(active)
            self._check_run_timeout(active)

        for active in list(self._active.values()):
            run_exit = active.handle.poll()
            if run_exit is not None:
                self._reap(active, run_exit)

        self._launch_while_room()
        self._report_progress()

        return not self._active and not self._can_launch()

    def _finish(self) -> RunStatus:
        statuses = list(self._statuses.values())
        if self._end_status is not None:
            status = self._end_status
        elif statuses and all(status is RunStatus.FAILED for status in statuses):
            status = RunStatus.FAILED
            self._stop_reason = f"every child run failed ({len(statuses)} of {len(statuses)})"
        else:
            status = RunStatus.COMPLETED

        reason = self._stop_reason or self._natural_end_reason()
        self._record_missing_metric_warning()
        self.store.update_parent_run(self.run_id, status=status, ended_at=time.time(),
                                     end_reason=reason, warnings=self._warnings)

        if self._best is not None:
            best_id, best_score = self._best
            self.log.info(f"best run: {best_id} with {self.metric} = {best_score!r}")
        self.log.info(f"sweep {self.run_id} ended: {status.value} ({reason})")
        self._report_progress(force=True)
        return status

    def _natural_end_reason(self) -> str:
        started = self._next_number
        if self._exhausted:
            return f"the search space was exhausted after {started} runs"
        return f"max_total_runs={self.config.max_total_runs} reached"

    def _abort(self, exc: BaseException) -> None:
        self.log.error(f"sweep {self.run_id} failed: the controller stopped on "
                       f"{type(exc).__name__}: {exc}")
        for active in list(self._active.values()):
            active.cancel_reason = "the sweep's controller failed"
            active.handle.kill()

        for active in list(self._active.values()):
            try:
                run_exit = active.handle.wait(timeout=30)
            except TimeoutError:
                continue
            self._reap(active, run_exit)

        self.store.update_parent_run(self.run_id, status=RunStatus.FAILED, ended_at=time.time(),
                                     end_reason=f"controller error: {type(exc).__name__}: {exc}")

    # -- limits and requests -----------------------------------------------------------------

    def _handle_requests(self) -> None:
        for child_id, reason, path in pending_requests(self.sweep_dir):
            if child_id is None:
                self.request_cancel(reason or "canceled on request")
            elif child_id in self._active:
                self._cancel_run(self._active[child_id], reason or "canceled on request")
            remove_request(path)

        with self._cancel_lock:
            cancel_reason, force = self._cancel_request, self._force_kill

        if cancel_reason is not None and self._end_status is None:
            self._stop(RunStatus.CANCELED, cancel_reason)

        if force:
            for active in self._active.values():
                active.handle.kill()

    def _check_duration(self) -> None:
        limit_seconds = self.config.max_duration_minutes * 60
        if self._end_status is not None or time.time() - self._started_at < limit_seconds:
            return

        self._stop(RunStatus.COMPLETED,
                   f"the sweep reached its time limit of {limit_seconds:g} s "
                   f"(max_duration_minutes={self.config.max_duration_minutes:g})")

    def _check_run_timeout(self, active: _ActiveRun) -> None:
        limit_minutes = self.config.max_run_duration_minutes
        if limit_minutes is None or active.cancel_reason is not None:
            return

        elapsed = time.time() - active.started_at
        if elapsed >= limit_minutes * 60:
            self._cancel_run(active, f"exceeded the time limit of {limit_minutes * 60:g} s per "
                                     f"run (max_run_duration_minutes={limit_minutes:g}) after "
                                     f"{elapsed:.1f} s")

    def _stop(self, status: RunStatus, reason: str) -> None:
        """End the sweep: start no more runs and cancel the running ones."""
        self._end_status = status
        self._stop_reason = reason
        self.log.info(f"stopping the sweep: {reason}")
        for active in self._active.values():
            self._cancel_run(active, f"the sweep stopped: {reason}")

    def _cancel_run(self, active: _ActiveRun, reason: str,
                    termination: dict[str, object] | None = None) -> None:
        if active.cancel_reason is not None:
            return

        active.cancel_reason = reason
        active.termination = termination
        # Recorded before the run has ended, so that a controller that restarts keeps the
        # decision instead of running the run again.
        self.store.update_child_run(active.record.run_id, reason=reason, termination=termination)
        active.handle.terminate()
        self.log.info(f"run {active.record.run_id} canceled: {reason}")

    # -- launching ---------------------------------------------------------------------------

    def _can_launch(self) -> bool:
        if self._end_status is not None:
            return False

        if self._relaunch:
            return True

        room = self._next_number < self.config.max_total_runs
        return room and (bool(self._pending_resumes) or not self._exhausted)

    def _launch_while_room(self) -> None:
        while self._can_launch() and len(self._active) < self.concurrency:
            self._launch_one()

    def _launch_one(self) -> None:
        if self._relaunch:
            record = self._relaunch.pop(0)
            resumed_from = self.store.get_tags(record.run_id).get(RESUMED_FROM_TAG)
            self._start_child(record, resumed_from)
            return

        if self._pending_resumes:
            earlier = self.store.get_child_run(self._pending_resumes.pop(0))
            record = self._create_child(dict(earlier.hyperparameters), resumed_from=earlier)
            self._start_child(record, earlier.run_id)
            return

        assert self._sampler is not None
        hyperparameters = self._sampler.next_configuration()
        if hyperparameters is None:
            self._exhausted = True
            self.log.info(f"the search space is exhausted after {self._next_number} runs")
            return

        record = self._create_child(hyperparameters)
        self._start_child(record, None)

    def _create_child(self, hyperparameters: dict[str, Any],
                      resumed_from: ChildRunRecord | None = None) -> ChildRunRecord:
        """Record a new child run (Queued) together with the sampler's position."""
        assert self._sampler is not None
        number = self._next_number
        child_id = f"{self.run_id}_{number}"
        child_dir = self.workspace.child_dir(self.run_id, child_id)
        child_dir.mkdir(parents=True, exist_ok=True)
        _, arguments = self._build_argv(child_id, hyperparameters, resumed_from)

        record = ChildRunRecord(
            run_id=child_id, parent_id=self.run_id, number=number,
            hyperparameters=dict(hyperparameters), arguments=arguments,
            status=RunStatus.QUEUED, created_at=time.time(), started_at=None, ended_at=None,
            exit_code=None, reason=None, log_tail=None, termination=None, best_score=None,
            last_interval=0, metrics_offset=0, pid=None, run_dir=str(child_dir),
        )
        self._next_number = number + 1
        with self.store.transaction():
            self.store.create_child_run(record)
            if resumed_from is not None:
                self.store.set_tag(child_id, RESUMED_FROM_TAG, resumed_from.run_id)
            self.store.update_parent_run(self.run_id, next_child_number=self._next_number,
                                         sampler_count=self._sampler.count)
        return record

    def _build_argv(self, child_id: str, hyperparameters: dict[str, Any],
                    resumed_from: ChildRunRecord | None) -> tuple[list[str], list[str]]:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            argv, arguments = self.config.run_config.build_argv(hyperparameters)
        for warning in caught:
            self.log.warning(f"run {child_id}: {warning.message}")

        if resumed_from is not None:
            # The script receives the folder where the earlier run's outputs are copied.
            outputs = os.path.join(self.workspace.child_dir(self.run_id, child_id), "wd",
                                   "outputs")
            argv = [*argv, "--resume-from", outputs]
            arguments = [*arguments, "--resume-from", outputs]
        return argv, arguments

    def _start_child(self, record: ChildRunRecord, resumed_from: str | None) -> None:
        child_id = record.run_id
        child_dir = Path(record.run_dir or self.workspace.child_dir(self.run_id, child_id))
        earlier = self.store.get_child_run(resumed_from) if resumed_from else None
        argv, _ = self._build_argv(child_id, dict(record.hyperparameters), earlier)
        initial_outputs = None
        if earlier is not None and earlier.run_dir:
            initial_outputs = Path(earlier.run_dir) / "outputs"
            if not initial_outputs.is_dir():
                self.log.warning(f"run {child_id}: run {earlier.run_id} kept no outputs/ "
                                 "folder, so there is no checkpoint to continue from")
                initial_outputs = None

        metrics_path = child_dir / "metrics.jsonl"
        spec = LaunchSpec(
            run_id=child_id, argv=argv, snapshot_dir=self.sweep_dir / "snapshot",
            run_dir=child_dir, env=self._child_environment(child_id, child_dir, metrics_path),
            log_path=child_dir / "std_log.txt", resources=self.config.run_config.resources,
            initial_outputs=initial_outputs,
        )
        handle = self.launcher.start(spec)
        started = time.time()
        record = self.store.update_child_run(child_id, status=RunStatus.RUNNING,
                                             started_at=started, pid=handle.pid)
        self._active[child_id] = _ActiveRun(record=record, handle=handle,
                                            reader=MetricsFileReader(metrics_path),
                                            started_at=started)
        self._values[child_id] = []
        self._statuses[child_id] = RunStatus.RUNNING
        origin = f" (continuing run {resumed_from})" if resumed_from else ""
        if handle.pid is None and handle.poll() is not None:
            self.log.warning(f"run {child_id} could not start; `hypersweep logs {child_id}` "
                             "shows why")
            return
        self.log.info(f"run {child_id} started with {_describe(record.hyperparameters)}{origin}")

    def _child_environment(self, child_id: str, child_dir: os.PathLike[str],
                           metrics_path: os.PathLike[str]) -> dict[str, str]:
        env = dict(self.config.run_config.environment_variables)
        env.update({
            ENV_RUN_ID: child_id,
            ENV_PARENT_RUN_ID: self.run_id,
            ENV_METRICS_FILE: os.fspath(metrics_path),
            ENV_OUTPUTS_DIR: os.path.join(os.fspath(child_dir), "wd", "outputs"),
        })
        return env

    # -- metrics and policy ------------------------------------------------------------------

    def _ingest(self, active: _ActiveRun) -> None:
        child_id = active.record.run_id
        batch: list[tuple[str, float, float]] = []
        tags: list[tuple[str, str | None]] = []
        end_offset: int | None = None

        for line_end, line in active.reader.read():
            end_offset = line_end
            try:
                record = parse_line(line)
            except ProtocolError as exc:
                self.log.warning(f"run {child_id}: ignored a metrics line ({exc}): {line[:200]}")
                continue

            if record.type == "metric":
                assert isinstance(record.value, float)
                batch.append((record.name, record.value, record.time))
            else:
                tags.append((record.name, None if record.value is None else str(record.value)))

        if end_offset is None:
            return

        values = self._values[child_id]
        first_new_interval = len(values) + 1
        values.extend(value for name, value, _ in batch if name == self.metric)
        for name, _, _ in batch:
            if name not in active.metric_names:
                active.metric_names.append(name)

        best = best_value(values, self.goal)
        with self.store.transaction():
            self.store.add_metrics(child_id, batch, metrics_offset=end_offset,
                                   child_updates={"best_score": best,
                                                  "last_interval": len(values)})
            for key, text in tags:
                self.store.set_tag(child_id, key, text)

        if best is not None:
            self._update_best(child_id, best)

        for interval in range(first_new_interval, len(values) + 1):
            self._apply_policy(active, interval)

    def _apply_policy(self, active: _ActiveRun, interval: int) -> None:
        policy = self.config.policy
        if policy is None or active.cancel_reason is not None:
            return

        if not policy.should_evaluate(interval):
            return

        histories = dict(self._warm_start)
        histories.update({
            run_id: RunHistory(run_id=run_id, values=tuple(values),
                               finished=run_id in self._finished)
            for run_id, values in self._values.items()
        })
        decision = policy.decide(active.record.run_id, interval, histories, goal=self.goal,
                                 metric_name=self.metric)
        if decision is None or not decision.cancel:
            return

        self._cancel_run(active, f"early termination by {decision.policy}: {decision.message}",
                         termination=decision.to_dict())

    def _update_best(self, child_id: str, score: float, *, record: bool = True) -> None:
        number = int(child_id.rsplit("_", 1)[1])
        if self._best is not None:
            best_id, best_score = self._best
            best_number = int(best_id.rsplit("_", 1)[1])
            candidate = (0, -score if self.goal is PrimaryMetricGoal.MAXIMIZE else score, number)
            current = (0, -best_score if self.goal is PrimaryMetricGoal.MAXIMIZE else best_score,
                       best_number)
            if candidate >= current:
                return

        self._best = (child_id, score)
        if record:
            self.store.update_parent_run(self.run_id, best_child_id=child_id, best_score=score)

    # -- reaping -----------------------------------------------------------------------------

    def _reap(self, active: _ActiveRun, run_exit: RunExit) -> None:
        child_id = active.record.run_id
        self._ingest(active)
        if active.reader.complete_last_line():
            self.log.warning(f"run {child_id}: the last line of its metrics file had no "
                             "newline; it was read anyway")
            self._ingest(active)
        log_path = active.record.run_dir and os.path.join(active.record.run_dir, "std_log.txt")

        reason: str | None
        if active.cancel_reason is not None:
            status, reason = RunStatus.CANCELED, active.cancel_reason
        elif run_exit.exit_code == 0:
            status, reason = RunStatus.COMPLETED, None
        else:
            status, reason = RunStatus.FAILED, _describe_exit(run_exit)

        log_tail = None
        if status is not RunStatus.COMPLETED and log_path:
            log_tail = read_log_tail(log_path)
        if not run_exit.started and log_tail:
            # The launcher wrote why the command could not start as the log's last line.
            reason = f"could not start: {log_tail.strip().splitlines()[-1]}"

        active.handle.finalize()
        self.store.update_child_run(child_id, status=status,
                                    ended_at=max(run_exit.ended_at, active.started_at),
                                    exit_code=run_exit.exit_code, reason=reason,
                                    log_tail=log_tail, termination=active.termination)
        del self._active[child_id]
        self._finished.add(child_id)
        self._statuses[child_id] = status
        if self._sampler is not None:
            self._sampler.observe(Observation(
                configuration=dict(active.record.hyperparameters),
                value=best_value(self._values[child_id], self.goal), status=status,
                intervals=len(self._values[child_id])))

        duration = max(0.0, run_exit.ended_at - active.started_at)
        score = best_value(self._values[child_id], self.goal)
        summary = f"best {self.metric} = {score!r}" if score is not None else \
            f"no finite {self.metric} value"
        message = f"run {child_id} {status.value.lower()} after {duration:.1f} s ({summary})"
        if reason and status is RunStatus.FAILED:
            message += f": {reason}"
        self.log.info(message)

        if run_exit.leftover_processes_killed:
            self.log.warning(f"run {child_id} left {run_exit.leftover_processes_killed} "
                             "process(es) running after it ended; they were killed")

        if status is RunStatus.COMPLETED and not self._values[child_id]:
            logged = ", ".join(repr(name) for name in active.metric_names) or "no metric at all"
            self.log.warning(f"run {child_id} completed without logging the primary metric "
                             f"{self.metric!r}; it logged {logged}")

    def _record_missing_metric_warning(self) -> None:
        missing = [run_id for run_id, status in self._statuses.items()
                   if status is RunStatus.COMPLETED and not self._values.get(run_id)]
        if not missing:
            return

        logged: set[str] = set()
        for run_id in missing:
            logged.update(self.store.metric_names(run_id))
        names = ", ".join(sorted(repr(name) for name in logged)) or "no metric at all"
        message = (f"{len(missing)} completed run(s) never logged the primary metric "
                   f"{self.metric!r} ({', '.join(missing[:10])}"
                   f"{', ...' if len(missing) > 10 else ''}); they logged {names}. Check that "
                   "primary_metric_name matches the name the script passes to run.log().")
        self.log.warning(message)
        self._warnings.append(message)

    # -- progress ----------------------------------------------------------------------------

    def _report_progress(self, *, force: bool = False) -> None:
        if self.on_progress is None:
            return

        counts = {status: 0 for status in RunStatus}
        for status in self._statuses.values():
            counts[status] += 1
        best_id, best_score = self._best if self._best is not None else (None, None)
        progress = SweepProgress(
            run_id=self.run_id, max_total_runs=self.config.max_total_runs,
            started=self._next_number, running=len(self._active),
            completed=counts[RunStatus.COMPLETED], failed=counts[RunStatus.FAILED],
            canceled=counts[RunStatus.CANCELED], best_child_id=best_id, best_score=best_score,
            primary_metric_name=self.metric, stopping=self._end_status is not None,
        )
        if force or progress != self._last_progress:
            self._last_progress = progress
            self.on_progress(progress)


def _describe(hyperparameters: dict[str, object]) -> str:
    return ", ".join(f"{name}={value!r}" for name, value in hyperparameters.items())


def _describe_exit(run_exit: RunExit) -> str:
    if run_exit.reason is not None:
        return run_exit.reason

    if run_exit.signal is not None:
        try:
            name = signal.Signals(run_exit.signal).name
        except ValueError:
            name = str(run_exit.signal)
        return f"killed by signal {name}"

    return f"exit code {run_exit.exit_code}"




def _observation(child: ChildRunRecord, values: Sequence[float], goal: PrimaryMetricGoal, *,
                 from_parent: bool = False) -> Observation:
    return Observation(configuration=dict(child.hyperparameters),
                       value=best_value(values, goal), status=child.status,
                       intervals=len(values), from_parent=from_parent)


def _resumed_start_time(parent: ParentRunRecord, children: list[ChildRunRecord]) -> float:
    """Return the start time that makes the duration limit count only time spent running.

    The sweep was last seen alive at its latest recorded event, so the time between then and
    now (a crash, a machine restart) does not count toward max_duration_minutes.
    """
    started = parent.started_at or parent.created_at
    events = [started]
    for child in children:
        events.extend(time for time in (child.created_at, child.started_at, child.ended_at)
                      if time is not None)
    return time.time() - (max(events) - started)


def _mark_restart(log_path: Path) -> None:
    """Append a line to an interrupted run's log that marks where its next attempt begins."""
    if not log_path.exists():
        return

    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    with open(log_path, "ab") as log:
        log.write(f"\nhypersweep: {stamp}: the controller stopped during this run; the output "
                  "above is from the interrupted attempt, and the run starts again from the "
                  "beginning below\n".encode())


def _set_aside(path: Path) -> None:
    """Rename an interrupted attempt's metrics file so that the new attempt starts empty."""
    if not path.exists():
        return

    attempt = 1
    while path.with_name(f"metrics.interrupted-{attempt}.jsonl").exists():
        attempt += 1
    path.rename(path.with_name(f"metrics.interrupted-{attempt}.jsonl"))
