"""Real sweeps of small scripts: statuses, metrics, best run, failures and other languages."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from hypersweep import (
    Experiment,
    GridParameterSampling,
    HyperDriveConfig,
    HyperDriveRun,
    PrimaryMetricGoal,
    RandomParameterSampling,
    Run,
    ScriptRunConfig,
    Workspace,
    choice,
    uniform,
)
from hypersweep.controller import SweepController, record_sweep

from conftest import write_script

QUADRATIC = """
    import argparse
    from hypersweep import Run

    parser = argparse.ArgumentParser()
    parser.add_argument("--x", type=float)
    parser.add_argument("--steps", type=int, default=3)
    args = parser.parse_args()
    run = Run.get_context()
    for step in range(1, args.steps + 1):
        # The last value is worse than the best one, so "best" and "last" differ.
        run.log("score", -(args.x - 1.0) ** 2 + (0.5 if step == 2 else 0.0))
    run.tag("x_seen", args.x)
    import os
    outputs = os.environ["HYPERSWEEP_OUTPUTS_DIR"]
    with open(os.path.join(outputs, "model.txt"), "w") as stream:
        stream.write(str(args.x))
"""


def run_sweep(workspace: Workspace, config: HyperDriveConfig, name: str = "tests") -> str:
    run_id = record_sweep(workspace, name, config)
    SweepController(workspace, run_id).run()
    return run_id


def config_for(source: Path, script: str, sampling: Any, **overrides: Any) -> HyperDriveConfig:
    arguments: dict[str, Any] = {
        "run_config": ScriptRunConfig(source_directory=source, script=script),
        "hyperparameter_sampling": sampling,
        "primary_metric_name": "score",
        "primary_metric_goal": PrimaryMetricGoal.MAXIMIZE,
        "max_total_runs": 4,
        "max_concurrent_runs": 2,
        "cancel_grace_seconds": 1.0,
    }
    arguments.update(overrides)
    return HyperDriveConfig(**arguments)


def test_grid_sweep_records_everything(workspace: Workspace, source_dir: Path) -> None:
    write_script(source_dir, "train.py", QUADRATIC)
    sampling = GridParameterSampling({"x": choice(0.0, 1.0, 2.5)})
    run_id = run_sweep(workspace, config_for(source_dir, "train.py", sampling, max_total_runs=10))

    sweep = HyperDriveRun(Experiment(workspace, "tests"), run_id)
    assert sweep.get_status() == "Completed"
    details = sweep.get_details()
    assert details["endReason"] == "the search space was exhausted after 3 runs"
    assert details["childRunCounts"]["Completed"] == 3

    children = sweep.get_children()
    assert [child.id for child in children] == [f"{run_id}_{n}" for n in range(3)]
    assert all(child.get_status() == "Completed" for child in children)

    best = sweep.get_best_run_by_primary_metric()
    assert best is not None and best.id == f"{run_id}_1"
    # The best logged value (step 2) counts, not the last one.
    assert best.get_details()["bestPrimaryMetric"] == pytest.approx(0.5)
    assert best.get_metrics()["score"] == [0.0, 0.5, 0.0]
    assert best.get_details()["runDefinition"]["arguments"] == ["--x", "1.0"]
    assert best.get_details()["Arguments"] == ["--x", "1.0"]
    assert best.get_tags() == {"x_seen": "1.0"}
    assert "outputs/model.txt" in best.get_file_names()
    assert details["properties"]["best_child_run_id"] == best.id

    ranked = sweep.get_children_sorted_by_primary_metric()
    assert [item["run_id"] for item in ranked] == [f"{run_id}_{n}" for n in (1, 0, 2)]
    assert json.loads(ranked[0]["hyperparameters"]) == {"x": 1.0}
    assert ranked[0]["best_primary_metric"] == pytest.approx(0.5)
    assert ranked[-1]["best_primary_metric"] == pytest.approx(-2.25 + 0.5)
    assert [item["run_id"] for item in sweep.get_children_sorted_by_primary_metric(
        top=1, reverse=True)] == [f"{run_id}_2"]

    assert set(sweep.get_hyperparameters()) == {child.id for child in children}
    metrics = sweep.get_metrics()
    assert metrics[f"{run_id}_0"]["score"] == [-1.0, -0.5, -1.0]

    target = best.download_file("outputs/model.txt", workspace.path / "copy.txt")
    assert target.read_text() == "1.0"


def test_minimize_and_ties_go_to_earlier_run(workspace: Workspace, source_dir: Path) -> None:
    write_script(source_dir, "train.py", """
        import argparse
        from hypersweep import Run
        parser = argparse.ArgumentParser()
        parser.add_argument("--x", type=float)
        args = parser.parse_args()
        Run.get_context().log("score", abs(args.x))
    """)
    sampling = GridParameterSampling({"x": choice(2.0, -1.0, 1.0, 3.0)})
    run_id = run_sweep(workspace, config_for(source_dir, "train.py", sampling,
                                             primary_metric_goal="minimize"))

    sweep = HyperDriveRun(Experiment(workspace, "tests"), run_id)
    best = sweep.get_best_run_by_primary_metric()
    assert best is not None and best.id == f"{run_id}_1"
    ranked = [item["run_id"] for item in sweep.get_children_sorted_by_primary_metric()]
    assert ranked == [f"{run_id}_{n}" for n in (1, 2, 0, 3)]


def test_failed_run_keeps_log_tail_and_sweep_goes_on(workspace: Workspace,
                                                     source_dir: Path) -> None:
    write_script(source_dir, "train.py", """
        import argparse, sys
        from hypersweep import Run
        parser = argparse.ArgumentParser()
        parser.add_argument("--x", type=int)
        args = parser.parse_args()
        Run.get_context().log("score", args.x)
        if args.x == 1:
            print("about to fail", flush=True)
            raise RuntimeError("boom in training")
        if args.x == 2:
            sys.exit(3)
    """)
    sampling = GridParameterSampling({"x": choice(0, 1, 2, 3)})
    run_id = run_sweep(workspace, config_for(source_dir, "train.py", sampling))

    sweep = HyperDriveRun(Experiment(workspace, "tests"), run_id)
    assert sweep.get_status() == "Completed"
    statuses = [child.get_status() for child in sweep.get_children()]
    assert statuses == ["Completed", "Failed", "Failed", "Completed"]

    failed = Run(Experiment(workspace, "tests"), f"{run_id}_1").get_details()
    assert failed["exitCode"] == 1
    assert failed["reason"] == "exit code 1"
    assert "RuntimeError: boom in training" in failed["logTail"]
    assert "about to fail" in failed["logTail"]
    assert Run(workspace, f"{run_id}_2").get_details()["reason"] == "exit code 3"

    best = sweep.get_best_run_by_primary_metric()
    assert best is not None and best.id == f"{run_id}_3"
    best_completed = sweep.get_best_run_by_primary_metric(include_failed=False)
    assert best_completed is not None and best_completed.id == f"{run_id}_3"


def test_failed_runs_excluded_from_best(workspace: Workspace, source_dir: Path) -> None:
    write_script(source_dir, "train.py", """
        import argparse, sys
        from hypersweep import Run
        parser = argparse.ArgumentParser()
        parser.add_argument("--x", type=int)
        args = parser.parse_args()
        Run.get_context().log("score", args.x)
        sys.exit(1 if args.x == 9 else 0)
    """)
    sampling = GridParameterSampling({"x": choice(1, 9)})
    run_id = run_sweep(workspace, config_for(source_dir, "train.py", sampling))
    sweep = HyperDriveRun(workspace, run_id)

    best = sweep.get_best_run_by_primary_metric()
    assert best is not None and best.id == f"{run_id}_1"
    best_completed = sweep.get_best_run_by_primary_metric(include_failed=False)
    assert best_completed is not None and best_completed.id == f"{run_id}_0"


def test_every_run_failing_fails_the_sweep(workspace: Workspace, source_dir: Path) -> None:
    write_script(source_dir, "train.py", "import sys\nsys.exit(2)\n")
    sampling = RandomParameterSampling({"x": uniform(0, 1)}, seed=3)
    run_id = run_sweep(workspace, config_for(source_dir, "train.py", sampling, max_total_runs=2))

    sweep = HyperDriveRun(workspace, run_id)
    assert sweep.get_status() == "Failed"
    assert "every child run failed" in sweep.get_details()["endReason"]
    assert sweep.get_best_run_by_primary_metric() is None


def test_missing_primary_metric_is_reported(workspace: Workspace, source_dir: Path) -> None:
    write_script(source_dir, "train.py", """
        from hypersweep import Run
        run = Run.get_context()
        run.log("acuracy", 0.9)
        run.log("loss", 0.1)
    """)
    sampling = RandomParameterSampling({"x": uniform(0, 1)}, seed=3)
    config = config_for(source_dir, "train.py", sampling, max_total_runs=2,
                        primary_metric_name="accuracy")
    run_id = run_sweep(workspace, config)

    sweep = HyperDriveRun(workspace, run_id)
    warnings = sweep.get_details()["warnings"]
    assert len(warnings) == 1
    assert "never logged the primary metric 'accuracy'" in warnings[0]
    assert "'acuracy'" in warnings[0] and "'loss'" in warnings[0]
    assert f"{run_id}_0" in warnings[0] and f"{run_id}_1" in warnings[0]

    log = (workspace.sweep_dir(run_id) / "controller.log").read_text()
    assert f"run {run_id}_0 completed without logging the primary metric 'accuracy'" in log
    assert sweep.get_best_run_by_primary_metric() is None


def test_non_finite_values_never_count_as_best(workspace: Workspace, source_dir: Path) -> None:
    write_script(source_dir, "train.py", """
        import argparse
        from hypersweep import Run
        parser = argparse.ArgumentParser()
        parser.add_argument("--x", type=int)
        args = parser.parse_args()
        run = Run.get_context()
        if args.x == 0:
            run.log("score", float("inf"))
            run.log("score", float("nan"))
        else:
            run.log("score", -5.0)
    """)
    sampling = GridParameterSampling({"x": choice(0, 1)})
    run_id = run_sweep(workspace, config_for(source_dir, "train.py", sampling))

    sweep = HyperDriveRun(workspace, run_id)
    first = Run(workspace, f"{run_id}_0").get_metrics()["score"]
    assert isinstance(first, list) and first[0] == math.inf and math.isnan(first[1])
    best = sweep.get_best_run_by_primary_metric()
    assert best is not None and best.id == f"{run_id}_1"
    ranked = sweep.get_children_sorted_by_primary_metric()
    assert ranked[-1]["run_id"] == f"{run_id}_0"
    assert ranked[-1]["best_primary_metric"] is None
    assert len(sweep.get_children_sorted_by_primary_metric(discard_no_metric=True)) == 1


def test_shell_script_speaks_the_protocol(workspace: Workspace, source_dir: Path) -> None:
    script = source_dir / "train.sh"
    script.write_text(
        "#!/bin/sh\n"
        "# Report the metric by appending JSON lines, as any language can.\n"
        'echo "{\\"type\\": \\"metric\\", \\"name\\": \\"score\\", \\"value\\": $2}" '
        '>> "$HYPERSWEEP_METRICS_FILE"\n'
        'echo \'{"type": "tag", "name": "language", "value": "sh"}\' '
        '>> "$HYPERSWEEP_METRICS_FILE"\n'
        'echo \'this line is not JSON\' >> "$HYPERSWEEP_METRICS_FILE"\n'
    )
    script.chmod(0o755)
    run_config = ScriptRunConfig(source_directory=source_dir,
                                 command="./train.sh --x ${{search_space.x}}")
    config = HyperDriveConfig(run_config=run_config,
                              hyperparameter_sampling=GridParameterSampling(
                                  {"x": choice(3, 7, 5)}),
                              primary_metric_name="score", primary_metric_goal="maximize",
                              max_total_runs=3)
    run_id = run_sweep(workspace, config)

    sweep = HyperDriveRun(workspace, run_id)
    best = sweep.get_best_run_by_primary_metric()
    assert best is not None and best.id == f"{run_id}_1"
    assert best.get_metrics() == {"score": 7.0}
    assert best.get_tags() == {"language": "sh"}
    log = (workspace.sweep_dir(run_id) / "controller.log").read_text()
    assert "ignored a metrics line (not valid JSON" in log


def test_runs_see_their_own_snapshot(workspace: Workspace, source_dir: Path) -> None:
    (source_dir / "data.txt").write_text("original")
    write_script(source_dir, "train.py", """
        import argparse
        from hypersweep import Run
        parser = argparse.ArgumentParser()
        parser.add_argument("--x", type=int)
        args = parser.parse_args()
        text = open("data.txt").read()
        Run.get_context().log("score", 1.0 if text == "original" else 0.0)
        open("data.txt", "w").write(f"changed by {args.x}")
    """)
    sampling = GridParameterSampling({"x": choice(1, 2, 3)})
    config = config_for(source_dir, "train.py", sampling, max_concurrent_runs=1)
    record_id = record_sweep(workspace, "tests", config)
    (source_dir / "data.txt").write_text("edited after submission")
    SweepController(workspace, record_id).run()

    sweep = HyperDriveRun(workspace, record_id)
    assert [child.get_metrics()["score"] for child in sweep.get_children()] == [1.0, 1.0, 1.0]


def test_max_concurrent_runs_is_respected(workspace: Workspace, source_dir: Path) -> None:
    write_script(source_dir, "train.py", """
        import time
        from hypersweep import Run
        Run.get_context().log("score", time.time())
        time.sleep(0.5)
    """)
    sampling = RandomParameterSampling({"x": uniform(0, 1)}, seed=1)
    run_id = run_sweep(workspace, config_for(source_dir, "train.py", sampling, max_total_runs=4,
                                             max_concurrent_runs=1))

    with workspace.open_store() as store:
        children = store.list_child_runs(run_id)
    for earlier, later in zip(children, children[1:], strict=False):
        assert earlier.ended_at is not None and later.started_at is not None
        assert later.started_at >= earlier.ended_at - 0.01


def test_controller_that_cannot_start_fails_sweep(workspace: Workspace, source_dir: Path) -> None:
    from hypersweep.controller import spawn_controller

    write_script(source_dir, "train.py", QUADRATIC)
    sampling = GridParameterSampling({"x": choice(0.0, 1.0)})
    run_id = record_sweep(workspace, "tests", config_for(source_dir, "train.py", sampling))
    with workspace.open_store() as store:
        store.update_parent_run(run_id, config={"broken": True})

    spawn_controller(workspace, run_id)
    sweep = HyperDriveRun(workspace, run_id)
    with pytest.raises(Exception, match="failed: the controller could not start: KeyError"):
        sweep.wait_for_completion(timeout=60, poll_interval=0.1)
    assert sweep.get_status() == "Failed"
