"""Recording a new sweep: validate, snapshot the source folder, create the parent run."""

from __future__ import annotations

import logging
import shutil
import time
import uuid
from pathlib import Path

from hypersweep.api.hyperdrive_config import HyperDriveConfig
from hypersweep.api.workspace import Workspace
from hypersweep.enums import RunStatus
from hypersweep.errors import InvalidConfigError, RunNotFoundError
from hypersweep.store import ParentRunRecord, Store

__all__ = ["SNAPSHOT_EXCLUDED_NAMES", "record_sweep"]

logger = logging.getLogger(__name__)

# Folders that are never part of a snapshot: tool caches, virtual environments, version
# control, and earlier outputs (each child run starts with an empty outputs/ folder).
SNAPSHOT_EXCLUDED_NAMES = frozenset({
    ".git", ".hg", ".svn", ".hypersweep", "__pycache__", ".venv", "venv", ".mypy_cache",
    ".pytest_cache", ".ruff_cache", ".ipynb_checkpoints", "node_modules", "outputs",
})
SNAPSHOT_WARNING_BYTES = 300 * 1024 * 1024


def record_sweep(workspace: Workspace, experiment_name: str, config: HyperDriveConfig) -> str:
    """Snapshot the source folder and create the parent run; return its id (``HD_<uuid>``)."""
    if not isinstance(config, HyperDriveConfig):
        raise InvalidConfigError(
            f"submit() expects a HyperDriveConfig, got {type(config).__name__}"
        )

    with workspace.open_store() as store:
        _check_earlier_runs(store, config)

    run_id = f"HD_{uuid.uuid4()}"
    sweep_dir = workspace.sweep_dir(run_id)
    _take_snapshot(config.run_config.source_directory, sweep_dir / "snapshot", workspace.path)

    record = ParentRunRecord(
        run_id=run_id, experiment_name=experiment_name, config=config.to_dict(),
        primary_metric_name=config.primary_metric_name, goal=config.primary_metric_goal,
        status=RunStatus.QUEUED, created_at=time.time(), started_at=None, ended_at=None,
        end_reason=None, best_child_id=None, best_score=None, controller_pid=None,
        controller_started_at=None, next_child_number=0, sampler_count=0, warnings=[],
    )
    with workspace.open_store() as store:
        store.create_parent_run(record)

    logger.info("sweep %s recorded in experiment %s", run_id, experiment_name)
    return run_id


def _take_snapshot(source: Path, destination: Path, workspace_path: Path) -> None:
    def ignore(folder: str, names: list[str]) -> set[str]:
        ignored = {name for name in names if name in SNAPSHOT_EXCLUDED_NAMES}
        for name in names:
            if (Path(folder) / name).resolve() == workspace_path:
                ignored.add(name)
        return ignored

    shutil.copytree(source, destination, ignore=ignore, symlinks=True)
    size = sum(path.stat().st_size for path in destination.rglob("*") if path.is_file())
    if size > SNAPSHOT_WARNING_BYTES:
        logger.warning("the snapshot of %s is %.0f MB; every child run copies it, so keep "
                       "data sets outside source_directory", source, size / 2**20)


def _check_earlier_runs(store: Store, config: HyperDriveConfig) -> None:
    """Check warm-start parents and resumed child runs against the store, before any start."""
    for parent_id in config.resume_from:
        try:
            parent = store.get_parent_run(parent_id)
        except RunNotFoundError:
            raise InvalidConfigError(f"resume_from: sweep {parent_id!r} was not found in this "
                                     "workspace; see `hypersweep list`") from None
        if not parent.status.is_terminal:
            raise InvalidConfigError(
                f"resume_from: sweep {parent_id} is {parent.status.value}; warm start only from "
                f"finished sweeps (wait for it, or `hypersweep cancel {parent_id}`)"
            )
        if parent.primary_metric_name != config.primary_metric_name:
            raise InvalidConfigError(
                f"resume_from: sweep {parent_id} optimized {parent.primary_metric_name!r}, not "
                f"{config.primary_metric_name!r}; warm start needs the same primary metric"
            )
        if parent.goal is not config.primary_metric_goal:
            raise InvalidConfigError(
                f"resume_from: sweep {parent_id} has goal {parent.goal.name}, not "
                f"{config.primary_metric_goal.name}; warm start needs the same goal"
            )

    names = set(config.hyperparameter_sampling.space.names)
    for child_id in config.resume_child_runs:
        try:
            child = store.get_child_run(child_id)
        except RunNotFoundError:
            raise InvalidConfigError(f"resume_child_runs: run {child_id!r} was not found in "
                                     "this workspace") from None
        if not child.status.is_terminal:
            raise InvalidConfigError(f"resume_child_runs: run {child_id} is "
                                     f"{child.status.value}; resume only runs that have ended")
        if set(child.hyperparameters) != names:
            raise InvalidConfigError(
                f"resume_child_runs: run {child_id} has hyperparameters "
                f"{sorted(child.hyperparameters)}, but the search space has {sorted(names)}"
            )
