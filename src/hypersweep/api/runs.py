"""``Run`` (one child run) and ``HyperDriveRun`` (a sweep), read from the run store."""

from __future__ import annotations

import json
import math
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hypersweep.api._times import utc_iso
from hypersweep.api.workspace import Workspace
from hypersweep.enums import PrimaryMetricGoal, RunStatus
from hypersweep.errors import HyperSweepError, InvalidConfigError, RunNotFoundError
from hypersweep.store import ChildRunRecord, ParentRunRecord, Store

if TYPE_CHECKING:
    from hypersweep.api.experiment import Experiment
    from hypersweep.run.context import RunContext

__all__ = ["HyperDriveRun", "Run", "SweepFailedError"]

LOG_FILE_NAME = "user_logs/std_log.txt"


class SweepFailedError(HyperSweepError):
    """``wait_for_completion(raise_on_error=True)`` found that the sweep failed."""


def _experiment_of(experiment: Experiment | Workspace | None) -> Experiment:
    from hypersweep.api.experiment import Experiment

    if isinstance(experiment, Experiment):
        return experiment
    if isinstance(experiment, Workspace) or experiment is None:
        return Experiment(experiment, "default")
    raise InvalidConfigError(f"experiment={experiment!r} is invalid; give an Experiment")


class _StoreUser:
    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    @contextmanager
    def _store(self) -> Iterator[Store]:
        store = self.workspace.open_store()
        try:
            yield store
        finally:
            store.close()


class Run(_StoreUser):
    """One child run of a sweep. ``Run.get_context()`` returns the context of a training script."""

    def __init__(self, experiment: Experiment | Workspace | None, run_id: str) -> None:
        self.experiment = _experiment_of(experiment)
        super().__init__(self.experiment.workspace)
        self.id = run_id
        with self._store() as store:
            store.get_child_run(run_id)

    @staticmethod
    def get_context(allow_offline: bool = True) -> RunContext:
        """Return the run context of the current process (offline outside a sweep)."""
        from hypersweep.run.context import OfflineRun, get_context

        context = get_context()
        if not allow_offline and isinstance(context, OfflineRun):
            raise HyperSweepError("this script is not running inside a sweep and "
                                  "allow_offline=False")
        return context

    def _record(self) -> ChildRunRecord:
        with self._store() as store:
            return store.get_child_run(self.id)

    @property
    def number(self) -> int:
        """Position of the run in its sweep's start order, from 0."""
        return self._record().number

    @property
    def parent(self) -> HyperDriveRun:
        """The sweep this run belongs to."""
        return HyperDriveRun(self.experiment, self._record().parent_id)

    def get_status(self) -> str:
        """Return the status: Queued, Running, Completed, Failed or Canceled."""
        return self._record().status.value

    def get_metrics(self, name: str | None = None) -> dict[str, float | list[float]]:
        """Return each metric: a value if it was logged once, a list if it was logged more."""
        with self._store() as store:
            metrics = store.get_metrics(self.id)

        result: dict[str, float | list[float]] = {}
        for metric_name, records in metrics.items():
            if name is not None and metric_name != name:
                continue
            values = [record.value for record in records]
            result[metric_name] = values[0] if len(values) == 1 else values
        return result

    def get_tags(self) -> dict[str, str | None]:
        """Return the tags that the script set."""
        with self._store() as store:
            return store.get_tags(self.id)

    def get_details(self) -> dict[str, Any]:
        """Return the run's record: status, times, arguments, exit code, termination."""
        record = self._record()
        with self._store() as store:
            parent = store.get_parent_run(record.parent_id)

        run_config = parent.config.get("run_config", {})
        arguments = list(record.arguments)
        return {
            "runId": record.run_id,
            "parentRunId": record.parent_id,
            "number": record.number,
            "status": record.status.value,
            "createdTimeUtc": utc_iso(record.created_at),
            "startTimeUtc": utc_iso(record.started_at),
            "endTimeUtc": utc_iso(record.ended_at),
            "hyperparameters": dict(record.hyperparameters),
            "runDefinition": {
                "script": run_config.get("script"),
                "command": run_config.get("command"),
                "arguments": arguments,
                "sourceDirectory": run_config.get("source_directory"),
                "environmentVariables": run_config.get("environment_variables", {}),
            },
            "Arguments": arguments,
            "exitCode": record.exit_code,
            "reason": record.reason,
            "termination": dict(record.termination) if record.termination else None,
            "logTail": record.log_tail,
            "bestPrimaryMetric": record.best_score,
            "logFiles": {LOG_FILE_NAME: str(self._run_dir() / "std_log.txt")},
        }

    def _run_dir(self) -> Path:
        record = self._record()
        if record.run_dir:
            return Path(record.run_dir)
        return self.workspace.child_dir(record.parent_id, record.run_id)

    def _outputs_dir(self) -> Path:
        run_dir = self._run_dir()
        kept = run_dir / "outputs"
        # While the run is still running its outputs live in its working directory.
        return kept if kept.is_dir() else run_dir / "wd" / "outputs"

    def get_file_names(self) -> list[str]:
        """Return the run's files: ``outputs/...`` and its log ``user_logs/std_log.txt``."""
        names: list[str] = []
        outputs = self._outputs_dir()
        if outputs.is_dir():
            names.extend(f"outputs/{path.relative_to(outputs).as_posix()}"
                         for path in sorted(outputs.rglob("*")) if path.is_file())
        if (self._run_dir() / "std_log.txt").is_file():
            names.append(LOG_FILE_NAME)
        return names

    def download_file(self, name: str, output_file_path: str | Path | None = None) -> Path:
        """Copy one of :meth:`get_file_names` to ``output_file_path`` and return the path."""
        if name not in self.get_file_names():
            raise HyperSweepError(f"run {self.id} has no file {name!r}; "
                                  f"its files are {self.get_file_names()}")

        if name == LOG_FILE_NAME:
            source = self._run_dir() / "std_log.txt"
        else:
            source = self._outputs_dir() / name[len("outputs/"):]

        target = Path(output_file_path) if output_file_path is not None else Path(source.name)
        if target.is_dir():
            target = target / source.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        return target

    def cancel(self) -> None:
        """Ask the sweep's controller to cancel this run (it ends as ``Canceled``)."""
        from hypersweep.controller.requests import write_cancel_request

        record = self._record()
        if record.status.is_terminal:
            return
        write_cancel_request(self.workspace.sweep_dir(record.parent_id),
                             "canceled by Run.cancel()", child_id=record.run_id)

    def __repr__(self) -> str:
        return f"Run(id={self.id!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Run) and other.id == self.id and \
            other.workspace == self.workspace

    def __hash__(self) -> int:
        return hash((self.id, self.workspace))


class HyperDriveRun(_StoreUser):
    """A sweep (parent run): its status, its child runs and the best of them."""

    def __init__(self, experiment: Experiment | Workspace | None, run_id: str,
                 hyperdrive_config: object = None) -> None:
        self.experiment = _experiment_of(experiment)
        super().__init__(self.experiment.workspace)
        with self._store() as store:
            self.id = store.get_parent_run(run_id).run_id

    def _record(self) -> ParentRunRecord:
        with self._store() as store:
            return store.get_parent_run(self.id)

    @property
    def goal(self) -> PrimaryMetricGoal:
        """Whether the primary metric is maximized or minimized."""
        return self._record().goal

    def get_status(self) -> str:
        """Return the status: Queued, Running, Completed, Failed or Canceled."""
        return self._record().status.value

    def is_controller_alive(self) -> bool:
        """Return whether the sweep's controller process is running."""
        from hypersweep.controller.process import controller_alive

        return controller_alive(self._record())

    def wait_for_completion(self, show_output: bool = False, wait_post_processing: bool = False,
                            raise_on_error: bool = True, *, timeout: float | None = None,
                            poll_interval: float = 0.5) -> dict[str, Any]:
        """Block until the sweep ends and return :meth:`get_details`.

        With ``show_output`` a line is written to standard output whenever the counts change.
        Raises :class:`SweepFailedError` when the sweep failed and ``raise_on_error`` is set,
        and ``TimeoutError`` when ``timeout`` seconds pass first.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        last_line = ""

        while True:
            record = self._record()
            if show_output:
                line = self._progress_line(record)
                if line != last_line:
                    sys.stdout.write(line + "\n")
                    sys.stdout.flush()
                    last_line = line

            if record.status.is_terminal:
                break

            if record.status is RunStatus.QUEUED and time.time() - record.created_at > 60:
                raise HyperSweepError(
                    f"the controller of sweep {self.id} has not started after 60 s; its output "
                    f"is in {self.workspace.sweep_dir(self.id) / 'controller.out'}"
                )

            if record.status is not RunStatus.QUEUED and not self.is_controller_alive():
                # The controller died without recording an end (kill -9, machine restart).
                raise HyperSweepError(
                    f"the controller of sweep {self.id} is not running; continue the sweep "
                    f"with `hypersweep resume {self.id}` or cancel it with "
                    f"`hypersweep cancel {self.id}`"
                )

            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"sweep {self.id} did not end within {timeout} s")
            time.sleep(poll_interval)

        if raise_on_error and record.status is RunStatus.FAILED:
            raise SweepFailedError(f"sweep {self.id} failed: {record.end_reason}")
        return self.get_details()

    def _progress_line(self, record: ParentRunRecord) -> str:
        with self._store() as store:
            counts = store.count_child_runs(self.id)
        done = sum(counts.get(status, 0) for status in RunStatus if status.is_terminal)
        total = record.config.get("max_total_runs")
        best = "none yet" if record.best_score is None else \
            f"{record.best_score!r} ({record.best_child_id})"
        return (f"{self.id}: {record.status.value}, {done}/{total} runs done, "
                f"{counts.get(RunStatus.RUNNING, 0)} running, best "
                f"{record.primary_metric_name}: {best}")

    def cancel(self, *, wait: bool = True, timeout: float | None = None) -> None:
        """Cancel the sweep: running child runs are stopped and marked ``Canceled``.

        With ``wait`` this returns once the controller has recorded the end.
        """
        from hypersweep.controller.process import controller_alive
        from hypersweep.controller.requests import write_cancel_request

        record = self._record()
        if record.status.is_terminal:
            return

        write_cancel_request(self.workspace.sweep_dir(self.id), "canceled by request")
        if not wait:
            return

        grace = float(record.config.get("cancel_grace_seconds", 10.0))
        deadline = time.monotonic() + (timeout if timeout is not None else grace + 30.0)
        while time.monotonic() < deadline:
            record = self._record()
            if record.status.is_terminal:
                return
            if record.status is not RunStatus.QUEUED and not controller_alive(record):
                _mark_orphaned_sweep_canceled(self.workspace, self.id)
                return
            time.sleep(0.1)

        raise TimeoutError(f"sweep {self.id} did not confirm the cancellation in time")

    def get_children(self, status: str | None = None) -> list[Run]:
        """Return the child runs in start order, optionally only those with a status."""
        with self._store() as store:
            records = store.list_child_runs(self.id)
        return [Run(self.experiment, record.run_id) for record in records
                if status is None or record.status.value == status]

    def _children_ranked(self, *, include_resume_from_runs: bool = False,
                         ) -> list[ChildRunRecord]:
        from hypersweep.controller.ranking import sort_by_primary_metric

        with self._store() as store:
            records = store.list_child_runs(self.id)
            if include_resume_from_runs:
                parent = store.get_parent_run(self.id)
                for parent_id in parent.config.get("resume_from") or []:
                    records.extend(store.list_child_runs(parent_id))
        return list(sort_by_primary_metric(records, self.goal))

    def get_children_sorted_by_primary_metric(self, top: int = 0, reverse: bool = False,
                                              discard_no_metric: bool = False,
                                              ) -> list[dict[str, Any]]:
        """Return child runs best first as dicts with ``run_id``, ``hyperparameters`` (JSON),
        ``best_primary_metric`` and ``status``. ``top=0`` returns every run."""
        records = self._children_ranked()
        if discard_no_metric:
            records = [record for record in records if _has_score(record)]
        if reverse:
            records.reverse()
        if top:
            records = records[:top]

        return [{
            "run_id": record.run_id,
            "hyperparameters": json.dumps(record.hyperparameters),
            "best_primary_metric": record.best_score,
            "status": record.status.value,
        } for record in records]

    def get_best_run_by_primary_metric(self, include_failed: bool = True,
                                       include_canceled: bool = True,
                                       include_resume_from_runs: bool = True) -> Run | None:
        """Return the run with the best logged primary metric value, or None.

        Ties go to the earlier run. With ``include_resume_from_runs`` the runs of the
        warm-start parents (``resume_from``) compete too.
        """
        ranked = self._children_ranked(include_resume_from_runs=include_resume_from_runs)
        for record in ranked:
            if not _has_score(record):
                return None
            if record.status is RunStatus.FAILED and not include_failed:
                continue
            if record.status is RunStatus.CANCELED and not include_canceled:
                continue
            return Run(self.experiment, record.run_id)
        return None

    def get_hyperparameters(self) -> dict[str, str]:
        """Return ``{child_id: hyperparameters as a JSON string}``."""
        with self._store() as store:
            records = store.list_child_runs(self.id)
        return {record.run_id: json.dumps(record.hyperparameters) for record in records}

    def get_metrics(self) -> dict[str, dict[str, float | list[float]]]:
        """Return ``{child_id: metrics}`` as :meth:`Run.get_metrics` gives them."""
        return {child.id: child.get_metrics() for child in self.get_children()}

    def get_tags(self) -> dict[str, str | None]:
        """Return the sweep's tags."""
        with self._store() as store:
            return store.get_tags(self.id)

    def get_details(self) -> dict[str, Any]:
        """Return the sweep's record: status, times, configuration, best run, warnings."""
        record = self._record()
        with self._store() as store:
            counts = store.count_child_runs(self.id)

        return {
            "runId": record.run_id,
            "experimentName": record.experiment_name,
            "status": record.status.value,
            "createdTimeUtc": utc_iso(record.created_at),
            "startTimeUtc": utc_iso(record.started_at),
            "endTimeUtc": utc_iso(record.ended_at),
            "endReason": record.end_reason,
            "properties": {
                "primary_metric_config": {"name": record.primary_metric_name,
                                          "goal": record.goal.value.lower()},
                "best_child_run_id": record.best_child_id,
                "score": record.best_score,
            },
            "runDefinition": record.config,
            "childRunCounts": {status.value: counts.get(status, 0) for status in RunStatus},
            "warnings": list(record.warnings),
            "logFiles": {"controller.log": str(self.workspace.sweep_dir(self.id) /
                                               "controller.log")},
        }

    def __repr__(self) -> str:
        return f"HyperDriveRun(id={self.id!r})"


def _has_score(record: ChildRunRecord) -> bool:
    return record.best_score is not None and math.isfinite(record.best_score)


def _mark_orphaned_sweep_canceled(workspace: Workspace, run_id: str) -> None:
    """Record the cancellation of a sweep whose controller is gone, ending its processes."""
    from hypersweep.controller.process import kill_process_group

    now = time.time()
    with workspace.open_store() as store, store.transaction():
        for child in store.list_child_runs(run_id):
            if child.status.is_terminal:
                continue
            if child.pid is not None:
                kill_process_group(child.pid)
            store.update_child_run(child.run_id, status=RunStatus.CANCELED, ended_at=now,
                                   reason="canceled by request after its controller stopped")
        store.update_parent_run(run_id, status=RunStatus.CANCELED, ended_at=now,
                                end_reason="canceled by request after its controller stopped")


def find_run(workspace: Workspace, run_id: str) -> Run | HyperDriveRun:
    """Open a sweep or a child run by id (or a unique prefix of a sweep id)."""
    with workspace.open_store() as store:
        record = store.find_run(run_id)
        experiment_name = (record.experiment_name if isinstance(record, ParentRunRecord)
                           else store.get_parent_run(record.parent_id).experiment_name)

    from hypersweep.api.experiment import Experiment

    experiment = Experiment(workspace, experiment_name)
    if isinstance(record, ParentRunRecord):
        return HyperDriveRun(experiment, record.run_id)
    if isinstance(record, ChildRunRecord):
        return Run(experiment, record.run_id)
    raise RunNotFoundError(run_id)
