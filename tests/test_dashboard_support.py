"""Shared setup of the dashboard tests: real sweeps, filled stores, a served dashboard and
Chromium. It contains no tests; the test_dashboard_* modules import it.

Real sweeps and the 10,000-run store are built once per test session (the builders memoize
them), because several modules read the same data and none of them writes it.
"""

from __future__ import annotations

import contextlib
import math
import random
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from hypersweep import (
    BanditPolicy,
    GridParameterSampling,
    HyperDriveConfig,
    PrimaryMetricGoal,
    RandomParameterSampling,
    ScriptRunConfig,
    Workspace,
    choice,
    loguniform,
    uniform,
)
from hypersweep.controller import SweepController, record_sweep
from hypersweep.enums import RunStatus
from hypersweep.store import ChildRunRecord, ParentRunRecord, Store

from conftest import write_script

CHROMIUM = Path("/usr/bin/chromium")
BROWSER_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

# A string that is markup, quotes and non-ASCII text at once; it must show as itself everywhere.
NASTY = "<script>window.__pwned=1</script> \"quotes' naïve ✓ 日本"
NASTY_ATTRIBUTE = "<img src=x onerror=window.__pwned=2>"
# Search-space names cannot contain spaces; this one is a command-line option full of markup.
NASTY_PARAMETER = "-<script>window.__pwned=3</script>"

# Logs the primary metric five times and a second metric once, tags the run and writes a file.
# The pauses let the controller (which polls every 0.05 s) apply the early termination policy
# while a poor run is still running, so that the sweep always has cancelled runs.
TRAIN = """
    import argparse, os, time
    from hypersweep import Run

    parser = argparse.ArgumentParser()
    parser.add_argument("--x", type=float)
    parser.add_argument("--units", type=int)
    parser.add_argument("--lr", type=float)
    args = parser.parse_args()
    run = Run.get_context()
    for step in range(1, 6):
        run.log("accuracy", 1.0 - (args.x - 0.5) ** 2 - 0.2 / step + args.units / 1000)
        time.sleep(0.15)
    run.log("loss", (args.x - 0.5) ** 2)
    run.tag("units_seen", str(args.units))
    with open(os.path.join(os.environ["HYPERSWEEP_OUTPUTS_DIR"], "model.txt"), "w") as stream:
        stream.write(f"x={args.x}")
"""

# Takes its hyperparameters from the command line by position, because one name is markup.
TRAIN_NASTY = """
    import os, sys
    from hypersweep import Run

    NASTY = {nasty!r}
    arguments = dict(zip(sys.argv[1::2], sys.argv[2::2]))
    x = float(arguments[{parameter!r}])
    run = Run.get_context()
    for step in range(1, 4):
        run.log(NASTY, x * step)
    run.log("plain", 1.0)
    run.tag(NASTY, NASTY)
    run.tag("option", arguments["--opt"])
    with open(os.path.join(os.environ["HYPERSWEEP_OUTPUTS_DIR"], {filename!r}), "w") as stream:
        stream.write(NASTY)
"""

# Sleeps between values, so that a page can watch the sweep progress.
TRAIN_SLOW = """
    import argparse, time
    from hypersweep import Run

    parser = argparse.ArgumentParser()
    parser.add_argument("--x", type=float)
    args = parser.parse_args()
    run = Run.get_context()
    for step in range(1, 4):
        time.sleep(0.5)
        run.log("accuracy", args.x * step)
"""

_Built = TypeVar("_Built")
_BUILT: dict[str, Any] = {}


def built_once(key: str, build: Callable[[], _Built]) -> _Built:
    """Return ``build()``, computed at most once per test session for ``key``."""
    if key not in _BUILT:
        _BUILT[key] = build()
    result: _Built = _BUILT[key]
    return result


def require_browser() -> Any:
    """Return Playwright's sync API, or skip the test when Playwright or Chromium is missing."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip(f"Chromium is not installed at {CHROMIUM}")
    return sync_api


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """Yield a headless Chromium browser driven by Playwright."""
    sync_api = require_browser()
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class PageLog:
    """The console errors and uncaught exceptions of a browser page."""

    def __init__(self, page: Any) -> None:
        self.errors: list[str] = []
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.errors.append(f"pageerror: {error}"))

    def _on_console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(f"console error: {message.text}")


def wait_ready(page: Any, selector: str = "[data-ready=true]", timeout: float = 60_000) -> None:
    """Wait until the page's script has drawn its table and charts."""
    page.wait_for_selector(selector, state="attached", timeout=timeout)


def plot_traces(page: Any, element_id: str) -> int:
    """Return the number of traces that Plotly drew in the element, or -1 without a plot."""
    return int(page.evaluate(
        "(id) => { const gd = document.getElementById(id);"
        " return gd && Array.isArray(gd.data) ? gd.data.length : -1; }", element_id))


def completed_runs(sweep: tuple[Workspace, str]) -> list[str]:
    """Return the ids of a sweep's completed child runs, in start order.

    Which runs the policy cancels depends on how the runs interleave, so tests that need a run
    with every metric and output file take one from here instead of naming it by number.
    """
    from hypersweep.dashboard import StoreReader

    with StoreReader(sweep[0].store_path).snapshot() as snapshot:
        runs = snapshot.scored_runs(sweep[1])
    completed = [run.run_id for run in runs if run.status is RunStatus.COMPLETED]
    assert len(completed) >= 2, f"the sweep completed {len(completed)} runs, tests need two"
    return completed


# Real sweeps

def small_sweep(factory: pytest.TempPathFactory) -> tuple[Workspace, str]:
    """Return a workspace and the id of a finished sweep of 8 real runs, some cancelled."""
    def build() -> tuple[Workspace, str]:
        root = factory.mktemp("dashboard-small")
        source = root / "source"
        source.mkdir()
        write_script(source, "train.py", TRAIN)
        workspace = Workspace(root / "workspace")
        sampling = RandomParameterSampling(
            {"x": uniform(-1.0, 2.0), "units": choice(16, 32, 64), "lr": loguniform(-7, -2)},
            seed=11)
        config = HyperDriveConfig(
            run_config=ScriptRunConfig(source_directory=source, script="train.py"),
            hyperparameter_sampling=sampling, primary_metric_name="accuracy",
            primary_metric_goal=PrimaryMetricGoal.MAXIMIZE, max_total_runs=8,
            max_concurrent_runs=2, cancel_grace_seconds=1.0,
            policy=BanditPolicy(slack_amount=0.3, evaluation_interval=1, delay_evaluation=2))
        run_id = record_sweep(workspace, "digits-demo", config)
        SweepController(workspace, run_id).run()
        return workspace, run_id

    return built_once("small", build)


def nasty_sweep(factory: pytest.TempPathFactory) -> tuple[Workspace, str]:
    """Return a finished sweep whose names, tags, metrics and values are markup and Unicode."""
    def build() -> tuple[Workspace, str]:
        root = factory.mktemp("dashboard-nasty")
        source = root / "source"
        source.mkdir()
        write_script(source, "train.py", TRAIN_NASTY.format(
            nasty=NASTY, parameter=NASTY_PARAMETER, filename=NASTY_ATTRIBUTE + ".txt"))
        workspace = Workspace(root / "workspace")
        # A grid, so that every string value is tried.
        sampling = GridParameterSampling(
            {NASTY_PARAMETER: choice(0.25, 0.75),
             "--opt": choice(NASTY, "\"quotes'", "naïve ✓ 日本", NASTY_ATTRIBUTE)})
        config = HyperDriveConfig(
            run_config=ScriptRunConfig(source_directory=source, script="train.py"),
            hyperparameter_sampling=sampling, primary_metric_name=NASTY,
            primary_metric_goal=PrimaryMetricGoal.MAXIMIZE, max_total_runs=8,
            max_concurrent_runs=2, cancel_grace_seconds=1.0)
        run_id = record_sweep(workspace, NASTY, config)
        with workspace.open_store() as store:
            store.set_tag(run_id, NASTY, NASTY_ATTRIBUTE)
        SweepController(workspace, run_id).run()
        return workspace, run_id

    return built_once("nasty", build)


def slow_sweep_config(source: Path, runs: int = 4) -> HyperDriveConfig:
    """Return a sweep of runs that take about 1.5 s each, two at a time."""
    write_script(source, "train.py", TRAIN_SLOW)
    return HyperDriveConfig(
        run_config=ScriptRunConfig(source_directory=source, script="train.py"),
        hyperparameter_sampling=RandomParameterSampling({"x": uniform(0.0, 1.0)}, seed=2),
        primary_metric_name="accuracy", primary_metric_goal=PrimaryMetricGoal.MAXIMIZE,
        max_total_runs=runs, max_concurrent_runs=2, cancel_grace_seconds=1.0)


# Stores filled directly, without processes

SCALE_RUN_ID = "HD_scale"
SCALE_SPACE = {"lr": ["loguniform", [-9.0, -2.0]], "units": ["choice", [[16, 32, 64, 128]]],
               "dropout": ["uniform", [0.0, 0.5]]}


def add_parent(store: Store, run_id: str, *, experiment: str = "filled",
               status: RunStatus = RunStatus.COMPLETED, metric: str = "accuracy",
               space: dict[str, Any] | None = None, max_total_runs: int = 10) -> None:
    """Store a sweep record as the controller would, with a random sampling configuration."""
    now = time.time()
    config = {
        "hyperparameter_sampling": {"type": "random", "seed": 1,
                                    "space": space if space is not None else SCALE_SPACE},
        "primary_metric_name": metric, "primary_metric_goal": "MAXIMIZE",
        "max_total_runs": max_total_runs, "max_concurrent_runs": 4,
        "run_config": {"script": "train.py", "arguments": []},
    }
    store.create_parent_run(ParentRunRecord(
        run_id=run_id, experiment_name=experiment, config=config, primary_metric_name=metric,
        goal=PrimaryMetricGoal.MAXIMIZE, status=status, created_at=now - 3600,
        started_at=now - 3600, ended_at=None if not status.is_terminal else now))


def add_child(store: Store, parent_id: str, number: int, hyperparameters: dict[str, Any],
              values: list[float], *, metric: str = "accuracy",
              status: RunStatus = RunStatus.COMPLETED, reason: str | None = None) -> str:
    """Store one child run with its primary metric values and best score."""
    run_id = f"{parent_id}_{number}"
    now = time.time()
    store.create_child_run(ChildRunRecord(
        run_id=run_id, parent_id=parent_id, number=number, hyperparameters=hyperparameters,
        arguments=[], status=status, created_at=now - 3000 + number,
        started_at=now - 3000 + number,
        ended_at=now - 2990 + number if status.is_terminal else None, reason=reason))
    finite = [value for value in values if math.isfinite(value)]
    store.add_metrics(run_id, [(metric, value, now) for value in values],
                      child_updates={"best_score": max(finite) if finite else None,
                                     "last_interval": len(values)})
    return run_id


def scale_workspace(factory: pytest.TempPathFactory, runs: int = 10_000,
                    values: int = 100) -> Workspace:
    """Return a workspace with one finished sweep of ``runs`` runs of ``values`` values each."""
    def build() -> Workspace:
        workspace = Workspace(factory.mktemp("dashboard-scale") / "workspace")
        generator = random.Random(7)
        with workspace.open_store() as store, store.transaction():
            add_parent(store, SCALE_RUN_ID, experiment="scale", max_total_runs=runs)
            for number in range(runs):
                hyperparameters = {"lr": math.exp(generator.uniform(-9.0, -2.0)),
                                   "units": generator.choice([16, 32, 64, 128]),
                                   "dropout": generator.uniform(0.0, 0.5)}
                ceiling = 0.6 + hyperparameters["units"] / 400 - hyperparameters["dropout"] / 4
                curve = [ceiling * (1 - math.exp(-(step + 1) / 15)) + generator.gauss(0, 0.01)
                         for step in range(values)]
                add_child(store, SCALE_RUN_ID, number, hyperparameters, curve)
        return workspace

    return built_once(f"scale-{runs}-{values}", build)


def copy_workspace(source: Workspace, target: Path) -> Workspace:
    """Copy a workspace folder, so that a test can change the copy."""
    shutil.copytree(source.path, target)
    return Workspace(target)
