"""Validation of ScriptRunConfig and HyperDriveConfig, and the arguments a run receives."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from hypersweep import (
    HyperDriveConfig,
    InvalidConfigError,
    PrimaryMetricGoal,
    RandomParameterSampling,
    ScriptRunConfig,
    choice,
    uniform,
)
from hypersweep.api.script_run_config import format_argument_value, merge_arguments


@pytest.fixture
def script_config(tmp_path: Path) -> ScriptRunConfig:
    (tmp_path / "train.py").write_text("print('hi')\n")
    return ScriptRunConfig(source_directory=tmp_path, script="train.py")


def make_config(script: ScriptRunConfig, **overrides: Any) -> HyperDriveConfig:
    arguments: dict[str, Any] = {
        "run_config": script,
        "hyperparameter_sampling": RandomParameterSampling({"lr": uniform(0.01, 0.1)}, seed=1),
        "primary_metric_name": "accuracy",
        "primary_metric_goal": PrimaryMetricGoal.MAXIMIZE,
        "max_total_runs": 4,
    }
    arguments.update(overrides)
    return HyperDriveConfig(**arguments)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("max_total_runs", 0, "max_total_runs=0 is invalid; give an int >= 1"),
        ("max_total_runs", -3, "max_total_runs=-3"),
        ("max_total_runs", 2.5, "max_total_runs=2.5"),
        ("max_total_runs", True, "max_total_runs=True"),
        ("max_total_runs", None, "max_total_runs is missing"),
        ("max_concurrent_runs", 0, "max_concurrent_runs=0 is invalid"),
        ("max_concurrent_runs", "2", "max_concurrent_runs='2'"),
        ("max_duration_minutes", 0, "max_duration_minutes=0 is invalid"),
        ("max_duration_minutes", math.inf, "max_duration_minutes=inf"),
        ("max_duration_minutes", "10", "max_duration_minutes='10'"),
        ("max_run_duration_minutes", -1, "max_run_duration_minutes=-1"),
        ("cancel_grace_seconds", -1, "cancel_grace_seconds=-1"),
        ("primary_metric_name", "", "primary_metric_name='' is invalid"),
        ("primary_metric_name", None, "primary_metric_name=None"),
        ("primary_metric_goal", "up", "primary_metric_goal='up' is invalid"),
        ("primary_metric_goal", None, "primary_metric_goal is missing"),
        ("hyperparameter_sampling", {"lr": 1}, "hyperparameter_sampling=.* is invalid"),
        ("hyperparameter_sampling", None, "hyperparameter_sampling is missing"),
        ("policy", "bandit", "policy='bandit' is invalid"),
        ("resume_from", ["run-1"], "resume_from: 'run-1' is not a sweep"),
        ("resume_from", ["HD_a", "HD_a"], "resume_from: 'HD_a' is listed twice"),
        ("resume_from", [f"HD_{n}" for n in range(6)], "resume_from lists 6 sweeps; give at "
                                                       "most 5"),
        ("resume_child_runs", ["HD_a"], "resume_child_runs: 'HD_a' is a sweep id"),
        ("resume_child_runs", [3], "resume_child_runs: 3 is not a child run"),
    ],
)
def test_hyperdrive_config_rejects(script_config: ScriptRunConfig, field: str, value: object,
                                   message: str) -> None:
    with pytest.raises(InvalidConfigError, match=message):
        make_config(script_config, **{field: value})


def test_hyperdrive_config_defaults(script_config: ScriptRunConfig) -> None:
    config = make_config(script_config, primary_metric_goal="minimize")
    assert config.max_concurrent_runs == 4
    assert config.max_duration_minutes == 10080
    assert config.primary_metric_goal is PrimaryMetricGoal.MINIMIZE
    assert config.policy is None
    assert config.estimator is config.run_config


def test_estimator_alias(script_config: ScriptRunConfig) -> None:
    config = make_config(script_config, run_config=None, estimator=script_config)
    assert config.run_config is script_config

    with pytest.raises(InvalidConfigError, match="run_config= or estimator=, not both"):
        make_config(script_config, estimator=script_config)


def test_hyperdrive_config_round_trip(script_config: ScriptRunConfig) -> None:
    config = make_config(script_config, max_concurrent_runs=2, max_run_duration_minutes=0.5)
    rebuilt = HyperDriveConfig.from_dict(config.to_dict())
    assert rebuilt.to_dict() == config.to_dict()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"source_directory": "/no/such/folder", "script": "train.py"},
         "source_directory='/no/such/folder' is not an existing folder"),
        ({"script": "missing.py"}, "script='missing.py' was not found"),
        ({}, "script is missing"),
        ({"script": "train.py", "command": "python train.py"}, "either script= or command="),
        ({"script": "train.py", "arguments": "--epochs 3"}, "arguments='--epochs 3'"),
        ({"script": "train.py", "environment_variables": ["A=1"]},
         "environment_variables=\\['A=1'\\] is invalid"),
        ({"script": "train.py", "resources": {"tpu": 1}}, "resources: key 'tpu' is unknown"),
        ({"script": "train.py", "resources": {"cpu": -1}}, "resources.cpu=-1 is invalid"),
        ({"script": "train.py", "compute_target": "http://head:8265"},
         "the only scheme is ray://"),
    ],
)
def test_script_run_config_rejects(tmp_path: Path, kwargs: dict[str, Any], message: str) -> None:
    (tmp_path / "train.py").write_text("")
    kwargs.setdefault("source_directory", tmp_path)
    with pytest.raises(InvalidConfigError, match=message):
        ScriptRunConfig(**kwargs)


@pytest.mark.parametrize(
    ("value", "text"),
    [(0.1, "0.1"), (1e-05, "1e-05"), (0.30000000000000004, "0.30000000000000004"), (3, "3"),
     (True, "True"), (False, "False"), (None, "None"), ("relu", "relu")],
)
def test_format_argument_value(value: object, text: str) -> None:
    assert format_argument_value(value) == text
    if isinstance(value, float):
        assert float(text) == value


def test_arguments_follow_declaration_order_and_sampled_value_wins() -> None:
    fixed = ["--epochs", "3", "--lr", "0.5", "--momentum=0.9", "--verbose"]
    with pytest.warns(UserWarning, match="replaced by the sampled value"):
        merged = merge_arguments(fixed, {"lr": 0.01, "momentum": 0.8, "--batch-size": 32})
    assert merged == ["--epochs", "3", "--verbose", "--lr", "0.01", "--momentum", "0.8",
                      "--batch-size", "32"]


def test_build_argv_script_and_command(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text("")
    script = ScriptRunConfig(source_directory=tmp_path, script="train.py", arguments=["--x", 1],
                             python="/usr/bin/python3")
    argv, arguments = script.build_argv({"lr": 0.5, "act": "relu"})
    assert argv == ["/usr/bin/python3", "train.py", "--x", "1", "--lr", "0.5", "--act", "relu"]
    assert arguments == ["--x", "1", "--lr", "0.5", "--act", "relu"]

    command = ScriptRunConfig(source_directory=tmp_path,
                              command="python train.py --lr ${{search_space.lr}} --fixed 2")
    argv, arguments = command.build_argv({"lr": 0.25})
    assert argv[1:] == ["train.py", "--lr", "0.25", "--fixed", "2"]
    assert arguments == ["--lr", "0.25", "--fixed", "2"]

    shell = ScriptRunConfig(source_directory=tmp_path,
                            command="echo start && ./run.sh ${{search_space.name}}")
    argv, _ = shell.build_argv({"name": "a b;c"})
    assert argv == ["/bin/sh", "-c", "echo start && ./run.sh 'a b;c'"]


def test_command_placeholder_must_name_a_parameter(tmp_path: Path) -> None:
    (tmp_path / "t.py").write_text("")
    run_config = ScriptRunConfig(source_directory=tmp_path,
                                 command="python t.py --lr ${{search_space.learning_rate}}")
    with pytest.raises(InvalidConfigError, match="search_space.learning_rate"):
        make_config(run_config)


def test_grid_sampling_in_config(script_config: ScriptRunConfig) -> None:
    from hypersweep import GridParameterSampling

    config = make_config(script_config,
                         hyperparameter_sampling=GridParameterSampling({"a": choice(1, 2)}))
    assert config.hyperparameter_sampling.space_size == 2


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("python missing.py --lr 1", "script 'missing.py' was not found in the code folder"),
        ("./missing.sh", "program './missing.sh' was not found in the code folder"),
        ("./data.txt", "program './data.txt' is not executable; run `chmod \\+x ./data.txt`"),
        ("no-such-program-xyz --x 1", "program 'no-such-program-xyz' was not found on PATH"),
        ("python 'unclosed", "cannot be parsed"),
    ],
)
def test_command_program_must_exist(tmp_path: Path, command: str, message: str) -> None:
    (tmp_path / "data.txt").write_text("")
    with pytest.raises(InvalidConfigError, match=message):
        ScriptRunConfig(source_directory=tmp_path, command=command)


def test_command_programs_that_exist(tmp_path: Path) -> None:
    script = tmp_path / "run.sh"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    (tmp_path / "train.py").write_text("")
    for command in ("./run.sh", "python train.py", "sh -c 'echo hi'", "echo a && ./gone.sh",
                    "python ${{search_space.script}}"):
        ScriptRunConfig(source_directory=tmp_path, command=command)


def test_interpreter_must_exist(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text("")
    with pytest.raises(InvalidConfigError, match="python='/nope/python' is not an executable"):
        ScriptRunConfig(source_directory=tmp_path, script="train.py", python="/nope/python")


def test_azure_compute_names_run_locally(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text("")

    class AzureComputeTarget:
        name = "gpu-cluster"

    for target in ("cpu-cluster", AzureComputeTarget()):
        with pytest.warns(UserWarning, match="names an Azure compute"):
            config = ScriptRunConfig(source_directory=tmp_path, script="train.py",
                                     compute_target=target)
        assert config.compute_target == "local"
