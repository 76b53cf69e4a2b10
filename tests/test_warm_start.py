"""Warm start from earlier sweeps, and child runs resumed from their checkpoints."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hypersweep import (
    BanditPolicy,
    GridParameterSampling,
    HyperDriveConfig,
    HyperDriveRun,
    InvalidConfigError,
    ScriptRunConfig,
    Workspace,
    choice,
)
from hypersweep.controller import SweepController, record_sweep

from conftest import write_script

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "digits"

CURVE = """
    import argparse, time
    from hypersweep import Run
    parser = argparse.ArgumentParser()
    parser.add_argument("--quality", type=float)
    args = parser.parse_args()
    run = Run.get_context()
    for step in range(1, 6):
        run.log("accuracy", args.quality * step / 5)
        time.sleep(0.1)
"""


def curve_config(source: Path, qualities: list[float], **overrides: Any) -> HyperDriveConfig:
    write_script(source, "train.py", CURVE)
    arguments: dict[str, Any] = {
        "run_config": ScriptRunConfig(source_directory=source, script="train.py"),
        "hyperparameter_sampling": GridParameterSampling({"quality": choice(qualities)}),
        "primary_metric_name": "accuracy", "primary_metric_goal": "maximize",
        "max_total_runs": 10, "max_concurrent_runs": 1, "cancel_grace_seconds": 1.0,
    }
    arguments.update(overrides)
    return HyperDriveConfig(**arguments)


def run(workspace: Workspace, config: HyperDriveConfig) -> str:
    run_id = record_sweep(workspace, "tests", config)
    SweepController(workspace, run_id).run()
    return run_id


def test_parent_runs_join_policy_cohort(workspace: Workspace, source_dir: Path) -> None:
    parent_id = run(workspace, curve_config(source_dir, [0.9]))
    policy = BanditPolicy(slack_amount=0.1, delay_evaluation=2)

    # Alone in its sweep, the weak run is the only member of its cohort and runs to the end.
    alone_id = run(workspace, curve_config(source_dir, [0.3], policy=policy))
    alone = HyperDriveRun(workspace, alone_id).get_children()
    assert [child.get_status() for child in alone] == ["Completed"]

    # With the parent's better run in its cohort, the same run is cancelled at interval 2:
    # best 0.36 (the parent's b(2)), threshold 0.26, and the run has 0.12.
    warm_id = run(workspace, curve_config(source_dir, [0.3], policy=policy,
                                          resume_from=[parent_id]))
    (child,) = HyperDriveRun(workspace, warm_id).get_children()
    details = child.get_details()
    assert details["status"] == "Canceled"
    assert details["termination"]["interval"] == 2
    assert details["termination"]["value"] == pytest.approx(0.12)
    assert details["termination"]["reference"] == pytest.approx(0.26)

    sweep = HyperDriveRun(workspace, warm_id)
    best_overall = sweep.get_best_run_by_primary_metric()
    assert best_overall is not None and best_overall.id == f"{parent_id}_0"
    best_own = sweep.get_best_run_by_primary_metric(include_resume_from_runs=False)
    assert best_own is not None and best_own.id == child.id


def test_grid_skips_configurations_parent_completed(workspace: Workspace,
                                                    source_dir: Path) -> None:
    parent_id = run(workspace, curve_config(source_dir, [0.2, 0.4]))
    child_id = run(workspace, curve_config(source_dir, [0.2, 0.4, 0.6],
                                           resume_from=[parent_id]))

    sweep = HyperDriveRun(workspace, child_id)
    children = sweep.get_children()
    assert [child.get_details()["hyperparameters"] for child in children] == [{"quality": 0.6}]
    assert sweep.get_details()["endReason"] == "the search space was exhausted after 1 runs"


def test_warm_start_validation(workspace: Workspace, source_dir: Path) -> None:
    parent_id = run(workspace, curve_config(source_dir, [0.2]))

    with pytest.raises(InvalidConfigError, match="optimized 'accuracy', not 'loss'"):
        record_sweep(workspace, "tests", curve_config(source_dir, [0.2], resume_from=[parent_id],
                                                      primary_metric_name="loss"))
    with pytest.raises(InvalidConfigError, match="has goal MAXIMIZE, not MINIMIZE"):
        record_sweep(workspace, "tests", curve_config(source_dir, [0.2], resume_from=[parent_id],
                                                      primary_metric_goal="minimize"))
    with pytest.raises(InvalidConfigError, match="'HD_missing' was not found"):
        record_sweep(workspace, "tests", curve_config(source_dir, [0.2],
                                                      resume_from=["HD_missing"]))
    with pytest.raises(InvalidConfigError, match="has hyperparameters \\['quality'\\]"):
        other = curve_config(source_dir, [0.2], resume_child_runs=[f"{parent_id}_0"])
        other.hyperparameter_sampling = GridParameterSampling({"q": choice(1, 2)})
        record_sweep(workspace, "tests", other)
    assert len(list((workspace.path / "runs").iterdir())) == 1


def test_resumed_child_run_continues_from_checkpoint(workspace: Workspace) -> None:
    pytest.importorskip("sklearn")
    sampling = GridParameterSampling({"learning_rate": choice(0.01)})
    first = HyperDriveConfig(
        run_config=ScriptRunConfig(source_directory=EXAMPLE, script="train.py",
                                   arguments=["--epochs", 3]),
        hyperparameter_sampling=sampling, primary_metric_name="accuracy",
        primary_metric_goal="maximize", max_total_runs=1,
    )
    first_id = run(workspace, first)
    earlier = HyperDriveRun(workspace, first_id).get_children()[0]
    assert earlier.get_metrics()["epoch"] == [1.0, 2.0, 3.0]

    second = HyperDriveConfig(
        run_config=ScriptRunConfig(source_directory=EXAMPLE, script="train.py",
                                   arguments=["--epochs", 6]),
        hyperparameter_sampling=sampling, primary_metric_name="accuracy",
        primary_metric_goal="maximize", max_total_runs=2, resume_child_runs=[earlier],
    )
    second_id = run(workspace, second)
    children = HyperDriveRun(workspace, second_id).get_children()
    # The resumed run counts toward max_total_runs; the grid then supplies the other one.
    assert len(children) == 2

    resumed = children[0]
    details = resumed.get_details()
    assert details["status"] == "Completed"
    assert details["hyperparameters"] == {"learning_rate": 0.01}
    arguments = details["runDefinition"]["arguments"]
    assert arguments[-2] == "--resume-from"
    assert arguments[-1].endswith("/wd/outputs")
    assert resumed.get_tags() == {"resumed_from": earlier.id}
    # The first logged epoch is the one after the checkpoint.
    assert resumed.get_metrics()["epoch"] == [4.0, 5.0, 6.0]
    assert children[1].get_metrics()["epoch"] == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
