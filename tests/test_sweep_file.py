"""YAML sweep files: the Azure ML v2 schema, notices, overrides and errors with lines."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from hypersweep import GridParameterSampling, InvalidConfigError, RandomParameterSampling
from hypersweep.config import load_sweep_file
from hypersweep.enums import PrimaryMetricGoal

REPO = Path(__file__).resolve().parent.parent

BASE = """
type: sweep
experiment_name: demo
trial:
  code: .
  command: python train.py --lr ${{search_space.lr}} --units ${{search_space.units}}
sampling_algorithm: random
search_space:
  lr: {type: loguniform, min_value: -6, max_value: -1}
  units: {type: choice, values: [16, 32]}
objective: {goal: Maximize, primary_metric: accuracy}
limits: {max_total_trials: 6, max_concurrent_trials: 2, timeout: 120, trial_timeout: 30}
"""


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "train.py").write_text("")
    path = tmp_path / "sweep.yml"
    path.write_text(textwrap.dedent(text).lstrip())
    return path


def test_example_sweep_file_loads() -> None:
    sweep = load_sweep_file(REPO / "examples" / "digits" / "sweep.yml")
    assert sweep.experiment_name == "digits"
    assert sweep.config.max_total_runs == 20
    assert sweep.config.max_concurrent_runs == 2
    assert sweep.config.primary_metric_name == "accuracy"
    sampling = sweep.config.hyperparameter_sampling
    assert isinstance(sampling, RandomParameterSampling)
    assert list(sampling.space.names) == ["learning_rate", "alpha", "hidden_units", "batch_size",
                                          "activation"]
    assert sampling.space["learning_rate"].type_name == "loguniform"


def test_fields_map_to_config(tmp_path: Path) -> None:
    sweep = load_sweep_file(write(tmp_path, BASE))
    config = sweep.config
    assert sweep.experiment_name == "demo"
    assert config.primary_metric_goal is PrimaryMetricGoal.MAXIMIZE
    assert config.max_total_runs == 6
    assert config.max_duration_minutes == 2
    assert config.max_run_duration_minutes == 0.5
    assert config.run_config.source_directory == tmp_path.resolve()
    argv, arguments = config.run_config.build_argv({"lr": 0.01, "units": 32})
    assert arguments == ["--lr", "0.01", "--units", "32"]
    assert sweep.notices == []


def test_sampling_mapping_with_seed_and_rule(tmp_path: Path) -> None:
    text = BASE.replace("sampling_algorithm: random",
                        "sampling_algorithm: {type: random, seed: 7, rule: sobol}")
    sampling = load_sweep_file(write(tmp_path, text)).config.hyperparameter_sampling
    assert sampling.to_dict()["seed"] == 7
    assert sampling.to_dict()["rule"] == "sobol"


def test_grid_sampling(tmp_path: Path) -> None:
    text = BASE.replace("sampling_algorithm: random", "sampling_algorithm: grid").replace(
        "{type: loguniform, min_value: -6, max_value: -1}", "{type: choice, values: [0.1, 0.01]}")
    sampling = load_sweep_file(write(tmp_path, text)).config.hyperparameter_sampling
    assert isinstance(sampling, GridParameterSampling)
    assert sampling.space_size == 4


def test_azure_only_keys_give_notices(tmp_path: Path) -> None:
    text = "$schema: https://example.invalid/sweepJob.schema.json\ndisplay_name: x\n" + \
        textwrap.dedent(BASE).lstrip().replace(
            "  code: .\n", "  code: .\n  environment: azureml:sklearn-env:1\n")
    sweep = load_sweep_file(write(tmp_path, text))
    assert len(sweep.notices) == 3
    assert "sweep.yml:1: $schema is used only on Azure and is ignored" in sweep.notices
    assert any("trial.environment is used only on Azure" in notice for notice in sweep.notices)


def test_early_termination_section(tmp_path: Path) -> None:
    text = BASE + "early_termination: {type: bandit, slack_factor: 0.1, delay_evaluation: 2}\n"
    policy = load_sweep_file(write(tmp_path, text)).config.policy
    assert policy is not None
    assert type(policy).__name__ == "BanditPolicy"
    assert policy.delay_evaluation == 2


def test_overrides(tmp_path: Path) -> None:
    sweep = load_sweep_file(write(tmp_path, BASE), overrides=[
        "limits.max_total_trials=3", "objective.goal=minimize", "experiment_name=other",
        "sampling_algorithm.seed=11",
    ])
    assert sweep.config.max_total_runs == 3
    assert sweep.config.primary_metric_goal is PrimaryMetricGoal.MINIMIZE
    assert sweep.experiment_name == "other"
    assert sweep.config.hyperparameter_sampling.to_dict()["seed"] == 11


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("limits", "--set 'limits' is invalid; write key.path=value"),
        ("=3", "has no key"),
        ("experiment_name.x=1", "experiment_name is not a mapping"),
    ],
)
def test_bad_overrides(tmp_path: Path, override: str, message: str) -> None:
    with pytest.raises(InvalidConfigError, match=message):
        load_sweep_file(write(tmp_path, BASE), overrides=[override])


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("limits.max_total_trials=many",
         "--set limits.max_total_trials: limits.max_total_trials='many' is invalid"),
        ("objective.goal=up", "--set objective.goal: objective.goal='up' is invalid"),
    ],
)
def test_invalid_override_value_names_option(tmp_path: Path, override: str,
                                             message: str) -> None:
    # The value came from the command line, so the error names the option, not a file line.
    with pytest.raises(InvalidConfigError) as raised:
        load_sweep_file(write(tmp_path, BASE), overrides=[override])

    assert str(raised.value).startswith(message)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("limits: {", "limts: {", r"sweep.yml:11: unknown key 'limts'; did you mean 'limits'\?"),
        ("  code: .", "  code: .\n  comand: x", "sweep.yml:5: unknown key 'trial.comand'"),
        ("max_total_trials: 6", "max_total_trials: 0",
         "sweep.yml:11: limits.max_total_trials=0 is invalid; give an int >= 1"),
        ("max_total_trials: 6, ", "", "limits.max_total_trials is missing"),
        ("timeout: 120", "timeout: -5", "limits.timeout=-5 is invalid"),
        ("goal: Maximize", "goal: up", "sweep.yml:10: objective.goal='up' is invalid"),
        ("sampling_algorithm: random", "sampling_algorithm: {type: bayesian, rule: sobol}",
         "sampling_algorithm.rule does not apply to bayesian sampling"),
        ("sampling_algorithm: random", "sampling_algorithm: annealing",
         "sampling_algorithm='annealing' is not supported"),
        ("type: sweep", "type: command", "type='command' is not supported; use type: sweep"),
        ("max_value: -1", "max_value: -7", "lr"),
        ("type: choice, values: [16, 32]", "type: choise, values: [16, 32]", "units"),
        ("${{search_space.units}}", "${{search_space.width}}", "search_space.width"),
        ("code: .", "code: ./missing", "is not an existing folder"),
        ("experiment_name: demo", "experiment_name: demo\nexperiment_name: again",
         "sweep.yml: line 3: key 'experiment_name' appears twice"),
        ("max_value: -1", "max_value: -9",
         "sweep.yml:8: search_space.lr: loguniform: min_value=-6 must be less than or equal "
         "to max_value=-9"),
        ("trial_timeout: 30", "trial_timeout: 30, cancel_grace_period: -2",
         "sweep.yml:11: limits.cancel_grace_period=-2 is invalid"),
        ("sampling_algorithm: random", "sampling_algorithm: {type: grid, seed: 3}",
         "sampling_algorithm.seed does not apply to grid sampling"),
        ("objective: {goal: Maximize, primary_metric: accuracy}", "",
         "objective is missing; add it, for example objective: {goal: maximize"),
        ("lr: {", "lr: [", "invalid YAML"),
    ],
)
def test_errors_name_key_and_line(tmp_path: Path, old: str, new: str, message: str) -> None:
    text = textwrap.dedent(BASE).lstrip()
    assert old in text
    with pytest.raises(InvalidConfigError, match=message):
        load_sweep_file(write(tmp_path, text.replace(old, new, 1)))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidConfigError, match="was not found"):
        load_sweep_file(tmp_path / "nope.yml")


def test_inputs_are_substituted(tmp_path: Path) -> None:
    text = BASE.replace("--units ${{search_space.units}}",
                        "--units ${{search_space.units}} --data ${{inputs.data}}") + \
        "inputs:\n  data: {type: uri_file, path: ./data.csv}\n"
    config = load_sweep_file(write(tmp_path, text)).config
    _, arguments = config.run_config.build_argv({"lr": 0.1, "units": 16})
    assert arguments[-2:] == ["--data", "./data.csv"]


def test_search_space_must_be_mapping(tmp_path: Path) -> None:
    text = textwrap.dedent(BASE).lstrip()
    start = text.index("search_space:")
    end = text.index("objective:")
    text = text[:start] + "search_space: [1, 2]\n" + text[end:]
    with pytest.raises(InvalidConfigError, match="sweep.yml:7: search_space must be a mapping"):
        load_sweep_file(write(tmp_path, text))


def test_bayesian_sampling(tmp_path: Path) -> None:
    text = BASE.replace("sampling_algorithm: random",
                        "sampling_algorithm: {type: bayesian, seed: 4}")
    with pytest.warns(UserWarning, match="max_total_runs"):
        sampling = load_sweep_file(write(tmp_path, text)).config.hyperparameter_sampling
    assert type(sampling).__name__ == "BayesianParameterSampling"
    assert sampling.to_dict()["seed"] == 4
