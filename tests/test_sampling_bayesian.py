"""Bayesian sampling: values, learning from outcomes, concurrency, reproducibility, validation."""

from __future__ import annotations

import json
import math
import os
import pickle
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import hypersweep
from hypersweep.enums import PrimaryMetricGoal, RunStatus
from hypersweep.errors import InvalidConfigError
from hypersweep.sampling import (
    BayesianParameterSampling,
    GridParameterSampling,
    RandomParameterSampling,
    Sampler,
    sampling_from_dict,
)
from hypersweep.sampling._observations import ObservationTable, warp_targets
from hypersweep.sampling.base import Observation, SamplingLimitWarning
from hypersweep.space import (
    choice,
    lognormal,
    loguniform,
    normal,
    qlognormal,
    qloguniform,
    qnormal,
    quniform,
    randint,
    uniform,
)

MINIMIZE = PrimaryMetricGoal.MINIMIZE
MAXIMIZE = PrimaryMetricGoal.MAXIMIZE

EVERY_TYPE = {
    "optimizer": choice("sgd", "adam", None, True),
    "batch_size": choice(16, 32, 64),
    "layers": randint(5),
    "dropout": uniform(-1, 1),
    "learning_rate": loguniform(-6, -1),
    "noise": normal(0, 1),
    "scale": lognormal(0, 0.5),
    "momentum": quniform(0, 1, 0.1),
    "width": qloguniform(0, 4, 2),
    "depth": qnormal(10, 3, 1),
    "decay": qlognormal(1, 0.5, 0.5),
    "constant": normal(3, 0),
}

BUILTIN_TYPES = {int, float, str, bool, type(None)}


def completed(configuration: dict[str, Any], value: float | None) -> Observation:
    return Observation(configuration, value, RunStatus.COMPLETED, intervals=1)


def drive(
    sampler: Sampler, objective: Callable[[dict[str, Any]], float], runs: int
) -> list[dict[str, Any]]:
    """Run a sequential sweep: propose, evaluate, observe."""
    configurations = []
    for _ in range(runs):
        configuration = sampler.next_configuration()
        assert configuration is not None
        configurations.append(configuration)
        sampler.observe(completed(configuration, objective(configuration)))
    return configurations


def every_type_objective(configuration: dict[str, Any]) -> float:
    numbers = [
        value
        for value in configuration.values()
        if isinstance(value, (int, float)) and not isinstance(value, bool)
    ]
    penalty = 0.5 if configuration["optimizer"] == "adam" else 0.0
    return float(sum(math.tanh(float(x)) for x in numbers)) + penalty


def assert_is_value_of(expression: Any, value: Any) -> None:
    assert type(value) in BUILTIN_TYPES, (expression, value)

    if expression.size is not None:
        index = expression.index_of(value)
        assert type(expression.value_at(index)) is type(value)
        return

    low, high = expression.bounds
    assert low <= value <= high, (expression, value)
    if not expression.is_discrete:
        assert type(value) is float
        return

    q = expression.args[2]
    assert type(value) is (int if float(q).is_integer() else float)
    assert math.isclose(value / q, round(value / q), abs_tol=1e-9), (expression, value)


# Values.


@pytest.mark.parametrize("goal", [MINIMIZE, MAXIMIZE])
def test_every_expression_type_in_range(goal):
    sampler = BayesianParameterSampling(EVERY_TYPE, seed=3).create_sampler(goal=goal)

    configurations = drive(sampler, every_type_objective, 30)

    for configuration in configurations:
        assert list(configuration) == list(EVERY_TYPE)
        for name, value in configuration.items():
            assert_is_value_of(EVERY_TYPE[name], value)
    assert {c["constant"] for c in configurations} == {3.0}


def test_model_proposals_vary():
    # The design has 20 points; the last 10 proposals come from the model.
    sampler = BayesianParameterSampling(EVERY_TYPE, seed=4).create_sampler(goal=MINIMIZE)
    configurations = drive(sampler, every_type_objective, 30)[20:]

    names_that_vary = {
        name for name in EVERY_TYPE if len({repr(c[name]) for c in configurations}) > 1
    }
    assert "dropout" in names_that_vary
    assert "learning_rate" in names_that_vary


def test_log_expressions_modelled_in_log():
    # The minimum at exp(-5) lies in the lowest 1% of the linear range, but halfway in log space.
    space = {"learning_rate": loguniform(math.log(1e-4), math.log(1e-1))}
    sampler = BayesianParameterSampling(space, seed=5).create_sampler(goal=MINIMIZE)

    configurations = drive(
        sampler, lambda c: (math.log(c["learning_rate"]) - math.log(0.003)) ** 2, 20
    )

    best = min(configurations, key=lambda c: abs(math.log(c["learning_rate"] / 0.003)))
    assert abs(math.log(best["learning_rate"] / 0.003)) < 0.05


# Learning the direction from the goal.


def quadratic_error(sampling_class: type, seed: int, goal: PrimaryMetricGoal, sign: float) -> float:
    sampling = sampling_class({"x": uniform(0, 1)}, seed=seed)
    sampler = sampling.create_sampler(goal=goal)
    configurations = drive(sampler, lambda c: sign * (c["x"] - 0.3) ** 2, 25)
    return min(abs(c["x"] - 0.3) for c in configurations)


@pytest.mark.parametrize(("goal", "sign"), [(MINIMIZE, 1.0), (MAXIMIZE, -1.0)])
def test_converges_on_quadratic(goal, sign):
    bayes = [quadratic_error(BayesianParameterSampling, seed, goal, sign) for seed in range(5)]
    random = [quadratic_error(RandomParameterSampling, seed, goal, sign) for seed in range(5)]

    assert statistics.median(bayes) < 1e-3
    assert statistics.median(random) > 1e-3


def test_maximize_goes_to_far_end():
    # The same values with the opposite goal: the best configuration is now the far end, x = 1.
    sampler = BayesianParameterSampling({"x": uniform(0, 1)}, seed=6).create_sampler(goal=MAXIMIZE)
    configurations = drive(sampler, lambda c: (c["x"] - 0.3) ** 2, 15)

    assert max(c["x"] for c in configurations[-5:]) > 0.95


def test_goal_may_be_a_string():
    first = BayesianParameterSampling({"x": uniform(0, 1)}, seed=7).create_sampler(goal="minimize")
    second = BayesianParameterSampling({"x": uniform(0, 1)}, seed=7).create_sampler(goal=MINIMIZE)

    assert drive(first, lambda c: c["x"], 10) == drive(second, lambda c: c["x"], 10)


# Reproducibility.

CHILD_SCRIPT = """
import json, math, sys
from hypersweep.enums import PrimaryMetricGoal, RunStatus
from hypersweep.sampling import sampling_from_dict
from hypersweep.sampling.base import Observation

sampling = sampling_from_dict(json.loads(sys.argv[1]))
sampler = sampling.create_sampler(goal=PrimaryMetricGoal.MINIMIZE)
proposals = []
for _ in range(int(sys.argv[2])):
    c = sampler.next_configuration()
    value = (math.log(c["lr"]) + 4) ** 2 + (c["dropout"] - 0.2) ** 2 + c["layers"] * 0.1
    value += 0.3 if c["optimizer"] == "sgd" else 0.0
    sampler.observe(Observation(c, value, RunStatus.COMPLETED, intervals=1))
    proposals.append(c)
print(json.dumps(proposals))
"""

REPRODUCIBLE_SPACE = {
    "lr": loguniform(-7, -1),
    "dropout": uniform(0, 0.5),
    "layers": randint(4),
    "optimizer": choice("sgd", "adam"),
}


def reproducible_objective(c: dict[str, Any]) -> float:
    value = (math.log(c["lr"]) + 4) ** 2 + (c["dropout"] - 0.2) ** 2 + c["layers"] * 0.1
    return value + (0.3 if c["optimizer"] == "sgd" else 0.0)


def test_reproducible_in_another_process():
    sampling = BayesianParameterSampling(REPRODUCIBLE_SPACE, seed=123)
    package_root = str(Path(hypersweep.__file__).resolve().parents[1])
    path = os.pathsep.join([package_root, os.environ.get("PYTHONPATH", "")])

    result = subprocess.run(
        [sys.executable, "-c", CHILD_SCRIPT, json.dumps(sampling.to_dict()), "16"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": path},
        check=True,
        timeout=300,
    )
    here = drive(sampling.create_sampler(goal=MINIMIZE), reproducible_objective, 16)

    # JSON keeps int and float apart, so equal lists mean equal values and types.
    assert json.loads(result.stdout) == json.loads(json.dumps(here))


def test_different_seeds_give_different_proposals():
    first = BayesianParameterSampling(REPRODUCIBLE_SPACE, seed=1).create_sampler(goal=MINIMIZE)
    second = BayesianParameterSampling(REPRODUCIBLE_SPACE, seed=2).create_sampler(goal=MINIMIZE)

    assert drive(first, reproducible_objective, 10) != drive(second, reproducible_objective, 10)


def test_sampler_pickles_mid_sweep():
    sampling = BayesianParameterSampling(REPRODUCIBLE_SPACE, seed=8)
    sampler = sampling.create_sampler(goal=MINIMIZE)
    drive(sampler, reproducible_objective, 10)

    copy = pickle.loads(pickle.dumps(sampler))

    assert pickle.loads(pickle.dumps(sampling)) == sampling
    assert drive(copy, reproducible_objective, 3) == drive(sampler, reproducible_objective, 3)


# Pending runs.


def test_pending_runs_spread_a_batch():
    space = {"x": uniform(0, 1), "y": uniform(0, 1)}
    sampler = BayesianParameterSampling(space, seed=9).create_sampler(goal=MINIMIZE)
    drive(sampler, lambda c: (c["x"] - 0.6) ** 2 + (c["y"] - 0.4) ** 2, 10)

    batch = [sampler.next_configuration() for _ in range(4)]

    points = np.array([[c["x"], c["y"]] for c in batch])
    distances = [
        float(np.linalg.norm(points[i] - points[j])) for i in range(4) for j in range(i + 1, 4)
    ]
    assert min(distances) > 0.005


def test_observing_a_pending_run_releases_it():
    space = {"x": uniform(0, 1)}
    sampler = BayesianParameterSampling(space, seed=10).create_sampler(goal=MINIMIZE)
    drive(sampler, lambda c: (c["x"] - 0.5) ** 2, 8)
    pending = sampler.next_configuration()
    sampler.observe(completed(pending, (pending["x"] - 0.5) ** 2))

    # Once observed, the run is a data point, not a pending run; the sampler goes on normally.
    follow_up = [sampler.next_configuration() for _ in range(2)]
    assert all(0.0 <= c["x"] <= 1.0 for c in follow_up)
    assert follow_up[0] != follow_up[1]


# Finite discrete spaces.

SMALL = {"a": choice(1, 2, 3), "b": choice("x", "y"), "c": randint(2)}  # 12 points


@pytest.mark.parametrize("concurrency", [1, 4])
def test_discrete_space_exhausted_once(concurrency):
    sampler = BayesianParameterSampling(SMALL, seed=11).create_sampler(goal=MINIMIZE)
    seen: list[tuple[Any, ...]] = []

    while True:
        batch = [sampler.next_configuration() for _ in range(concurrency)]
        proposed = [c for c in batch if c is not None]
        for configuration in proposed:
            seen.append(tuple(configuration.values()))
            value = configuration["a"] + (configuration["b"] == "y") + configuration["c"]
            sampler.observe(completed(configuration, value))
        if len(proposed) < concurrency:
            break

    assert len(seen) == 12
    assert len(set(seen)) == 12
    assert sampler.next_configuration() is None
    assert sampler.count == 12


def test_skipped_and_parent_points_avoided():
    sampling = BayesianParameterSampling(SMALL, seed=12)
    skip = {(1, "x", 0), (2, "y", 1)}
    sampler = sampling.create_sampler(skip=skip, goal=MINIMIZE)
    parent = {"a": 3, "b": "x", "c": 1}
    sampler.observe(
        Observation(parent, 0.5, RunStatus.COMPLETED, intervals=3, from_parent=True)
    )

    proposed = []
    while (configuration := sampler.next_configuration()) is not None:
        proposed.append(tuple(configuration.values()))
        sampler.observe(completed(configuration, float(configuration["a"])))

    assert len(proposed) == 9
    assert not set(proposed) & (skip | {(3, "x", 1)})


def test_preview_returns_the_initial_design():
    sampling = BayesianParameterSampling(REPRODUCIBLE_SPACE, seed=13)
    sampler = sampling.create_sampler()

    preview = sampling.preview(100)

    assert len(preview) == sampling.design_size == 8
    assert preview == [sampler.next_configuration() for _ in range(8)]
    assert sampling.preview(3) == preview[:3]


def test_design_size_limits():
    assert BayesianParameterSampling({"x": uniform(0, 1)}, seed=0).design_size == 5
    assert BayesianParameterSampling(EVERY_TYPE, seed=0).design_size == 20
    assert BayesianParameterSampling({"a": choice(1, 2, 3)}, seed=0).design_size == 3


@pytest.mark.parametrize("from_parent", [True, False])
def test_earlier_runs_replace_the_design(from_parent):
    # Runs of a warm-start parent, or runs of a resumed sweep that an earlier sampler proposed.
    space = {"x": uniform(0, 1)}
    sampler = BayesianParameterSampling(space, seed=14).create_sampler(goal=MINIMIZE)
    for x in (0.05, 0.25, 0.45, 0.65, 0.85):
        sampler.observe(
            Observation({"x": x}, (x - 0.3) ** 2, RunStatus.COMPLETED, 1, from_parent=from_parent)
        )

    first = sampler.next_configuration()

    # The model places the minimum near 0.3; the first design point of this seed is 0.213.
    assert abs(first["x"] - 0.3) < 0.02


# Cancelled and failed runs.


def test_cancelled_value_capped_at_worst():
    table = ObservationTable(MAXIMIZE)
    features = np.zeros(1)
    table.add(features, 0.9, RunStatus.COMPLETED)
    table.add(features, 0.5, RunStatus.COMPLETED)
    table.add(features, 0.1, RunStatus.CANCELED)  # stopped early with a poor value
    table.add(features, 0.7, RunStatus.CANCELED)

    data = table.training_data()

    # Targets are oriented lower-is-better: the negated accuracy.
    assert data.y.tolist() == [-0.9, -0.5, -0.5, -0.7]
    assert data.completed.tolist() == [True, True, False, False]


def test_failed_runs_get_worst_target():
    table = ObservationTable(MINIMIZE)
    features = np.zeros(1)
    table.add(features, 1.0, RunStatus.COMPLETED)
    table.add(features, 3.0, RunStatus.COMPLETED)
    table.add(features, 0.1, RunStatus.FAILED)  # a value logged before a crash is not trusted
    table.add(features, None, RunStatus.CANCELED)
    table.add(features, math.nan, RunStatus.COMPLETED)

    data = table.training_data()

    assert data.y.tolist() == [1.0, 3.0, 3.0, 3.0, 3.0]
    assert data.completed.tolist() == [True, True, False, False, False]
    assert table.finite_count == 2


def test_cancelled_runs_alone_uncapped():
    table = ObservationTable(MINIMIZE)
    features = np.zeros(1)
    table.add(features, 2.0, RunStatus.CANCELED)
    table.add(features, 5.0, RunStatus.CANCELED)

    data = table.training_data()

    assert data.y.tolist() == [2.0, 5.0]
    assert not data.completed.any()


def test_no_finite_value_no_data():
    table = ObservationTable(MINIMIZE)
    table.add(np.zeros(1), None, RunStatus.FAILED)

    assert table.training_data() is None


def test_cancelled_runs_steer_away():
    # Runs near x = 0.9 were cancelled with poor partial values; the completed runs point at the
    # optimum 0.35, and no cancelled configuration is proposed again.
    space = {"x": quniform(0, 1, 0.05)}
    sampler = BayesianParameterSampling(space, seed=15).create_sampler(goal=MAXIMIZE)
    for x in (0.1, 0.3, 0.5, 0.7):
        sampler.observe(Observation({"x": x}, -((x - 0.35) ** 2), RunStatus.COMPLETED, 10,
                                    from_parent=True))
    for x in (0.85, 0.9, 0.95):
        sampler.observe(Observation({"x": x}, -5.0, RunStatus.CANCELED, 1, from_parent=True))

    proposals = [sampler.next_configuration()["x"] for _ in range(3)]

    assert not {0.85, 0.9, 0.95} & set(proposals)
    assert all(x < 0.8 for x in proposals)


def test_failed_run_not_proposed_again():
    sampler = BayesianParameterSampling({"a": randint(4)}, seed=16).create_sampler(goal=MINIMIZE)
    first = sampler.next_configuration()
    sampler.observe(Observation(first, None, RunStatus.FAILED, intervals=0))

    rest = [sampler.next_configuration() for _ in range(3)]

    assert first not in rest
    assert sampler.next_configuration() is None


def test_diverged_run_keeps_good_values_apart():
    warped = warp_targets(np.array([1.0, 2.0, 3.0, 1e6, 5.0]))

    assert np.all(np.diff(warped[[0, 1, 2, 4]]) > 0.1)
    assert warped[3] == warped.max()
    assert abs(float(np.mean(warped))) < 1e-9


def test_warp_keeps_extreme_values_finite():
    warped = warp_targets(np.array([0.0, 1.0, 2.0, 3.0, 1e300]))

    assert np.all(np.isfinite(warped))
    assert list(np.argsort(warped)) == [0, 1, 2, 3, 4]


def test_warp_of_equal_values_is_zero():
    assert warp_targets(np.array([2.0, 2.0, 2.0])).tolist() == [0.0, 0.0, 0.0]


# Observations the sampler cannot use.


def test_observations_outside_space_ignored():
    space = {"x": uniform(0, 1), "kind": choice("a", "b")}
    sampler = BayesianParameterSampling(space, seed=17).create_sampler(goal=MINIMIZE)
    sampler.observe(Observation({"x": 0.5}, 1.0, RunStatus.COMPLETED, 1, from_parent=True))
    sampler.observe(
        Observation({"x": 0.5, "kind": "z"}, 1.0, RunStatus.COMPLETED, 1, from_parent=True)
    )
    sampler.observe(
        Observation({"x": "high", "kind": "a"}, 1.0, RunStatus.COMPLETED, 1, from_parent=True)
    )

    configurations = drive(sampler, lambda c: c["x"], 8)

    assert all(0.0 <= c["x"] <= 1.0 and c["kind"] in ("a", "b") for c in configurations)


def test_observe_rejects_other_objects():
    sampler = BayesianParameterSampling({"x": uniform(0, 1)}, seed=18).create_sampler()

    with pytest.raises(TypeError, match="must be an Observation"):
        sampler.observe({"x": 0.5})  # type: ignore[arg-type]


def test_observe_rejects_running_runs():
    sampler = BayesianParameterSampling({"x": uniform(0, 1)}, seed=19).create_sampler()

    with pytest.raises(ValueError, match="only ended runs"):
        sampler.observe(Observation({"x": 0.5}, 1.0, RunStatus.RUNNING, 1))


@pytest.mark.parametrize("value", ["0.5", True, [0.5]])
def test_observe_rejects_non_numbers(value):
    sampler = BayesianParameterSampling({"x": uniform(0, 1)}, seed=19).create_sampler()

    with pytest.raises(TypeError, match="observation value .* is invalid"):
        sampler.observe(Observation({"x": 0.5}, value, RunStatus.COMPLETED, 1))


def test_observe_accepts_numpy_values():
    sampler = BayesianParameterSampling({"x": uniform(0, 1)}, seed=19).create_sampler()
    for x in (0.1, 0.5, 0.9):
        sampler.observe(
            Observation({"x": x}, np.float32(x), RunStatus.COMPLETED, 1, from_parent=True)
        )

    assert 0.0 <= sampler.next_configuration()["x"] <= 1.0


# Speed.


def test_suggestion_with_500_observations():
    space = {f"x{i}": uniform(0, 1) for i in range(6)}
    sampler = BayesianParameterSampling(space, seed=20).create_sampler(goal=MINIMIZE)
    rng = np.random.default_rng(0)
    for _ in range(500):
        configuration = {name: float(rng.random()) for name in space}
        value = sum((v - 0.3) ** 2 for v in configuration.values())
        sampler.observe(Observation(configuration, value, RunStatus.COMPLETED, 1, from_parent=True))

    started = time.perf_counter()
    configuration = sampler.next_configuration()
    elapsed = time.perf_counter() - started

    assert configuration is not None
    # The benchmark measures this precisely; the bound here only catches a gross regression.
    assert elapsed < 3.0


# Arguments and serialisation.


@pytest.mark.parametrize("seed", [-1, 1.5, True, "3"])
def test_invalid_seed_raises(seed):
    with pytest.raises(InvalidConfigError, match=re.escape(f"seed={seed!r} is invalid")):
        BayesianParameterSampling({"x": uniform(0, 1)}, seed=seed)


def test_properties_give_the_seed():
    assert BayesianParameterSampling({"x": uniform(0, 1)}, properties={"seed": 3}).seed == 3


def test_properties_with_unknown_key_raise():
    with pytest.raises(InvalidConfigError, match="unknown key 'rule' in properties"):
        BayesianParameterSampling({"x": uniform(0, 1)}, properties={"rule": "sobol"})


def test_properties_conflicting_with_seed_raise():
    with pytest.raises(InvalidConfigError, match=re.escape("seed=2 conflicts with")):
        BayesianParameterSampling({"x": uniform(0, 1)}, seed=2, properties={"seed": 3})


def test_invalid_goal_raises():
    sampling = BayesianParameterSampling({"x": uniform(0, 1)}, seed=0)

    with pytest.raises(InvalidConfigError, match="goal='sideways' is invalid"):
        sampling.create_sampler(goal="sideways")  # type: ignore[arg-type]


def test_skip_with_the_wrong_length_raises():
    sampling = BayesianParameterSampling(SMALL, seed=0)

    with pytest.raises(ValueError, match=re.escape("skip: (1, 'x') has 2 values")):
        sampling.create_sampler(skip=[(1, "x")])


def test_dict_form_round_trips():
    sampling = BayesianParameterSampling(EVERY_TYPE, seed=21)
    data = json.loads(json.dumps(sampling.to_dict()))

    rebuilt = sampling_from_dict(data)

    assert data["type"] == "bayesian"
    assert data["seed"] == 21
    assert rebuilt == sampling
    assert type(rebuilt) is BayesianParameterSampling
    assert rebuilt.preview(5) == sampling.preview(5)


def test_dict_form_with_unknown_key_raises():
    data = {**BayesianParameterSampling({"x": uniform(0, 1)}, seed=0).to_dict(), "rule": "x"}

    with pytest.raises(InvalidConfigError, match="unknown key 'rule'"):
        sampling_from_dict(data)


def test_missing_seed_is_drawn_once_and_kept():
    sampling = BayesianParameterSampling(REPRODUCIBLE_SPACE)
    rebuilt = sampling_from_dict(json.loads(json.dumps(sampling.to_dict())))

    assert isinstance(sampling.seed, int)
    assert sampling.to_dict()["seed"] == sampling.seed
    assert rebuilt.preview(8) == sampling.preview(8)


def test_resume_learns_from_observations():
    # A restarted sweep rebuilds this sampler from the ended runs, not by replaying proposals.
    assert BayesianParameterSampling.replays_sequence is False


def test_space_size_is_that_of_the_space():
    assert BayesianParameterSampling(SMALL, seed=0).space_size == 12
    assert BayesianParameterSampling(EVERY_TYPE, seed=0).space_size is None


# Run limits.


def test_check_limits_warns_about_too_few_runs():
    sampling = BayesianParameterSampling(REPRODUCIBLE_SPACE, seed=0)  # 4 hyperparameters

    sentences = sampling.check_limits(max_total_runs=79, max_concurrent_runs=4)

    assert len(sentences) == 1
    assert "max_total_runs=79" in sentences[0]
    assert "80" in sentences[0]


def test_check_limits_warns_about_high_concurrency():
    sampling = BayesianParameterSampling(REPRODUCIBLE_SPACE, seed=0)

    sentences = sampling.check_limits(max_total_runs=200, max_concurrent_runs=21)

    assert len(sentences) == 1
    assert "max_concurrent_runs=21" in sentences[0]


def test_check_limits_accepts_enough_runs():
    sampling = BayesianParameterSampling(REPRODUCIBLE_SPACE, seed=0)

    assert sampling.check_limits(max_total_runs=80, max_concurrent_runs=20) == []
    assert len(sampling.check_limits(max_total_runs=10, max_concurrent_runs=30)) == 2


def test_other_samplings_have_no_limits():
    assert RandomParameterSampling(SMALL, seed=0).check_limits(1, 1000) == []
    assert GridParameterSampling({"a": choice(1, 2)}).check_limits(1, 1000) == []


def test_limit_warning_is_a_user_warning():
    assert issubclass(SamplingLimitWarning, UserWarning)


# The goal argument of the other samplings.


def test_random_and_grid_ignore_goal():
    random = RandomParameterSampling(SMALL, seed=22)
    grid = GridParameterSampling({"a": choice(1, 2), "b": choice("x", "y")})

    for sampling in (random, grid):
        sampler = sampling.create_sampler(goal=MINIMIZE)
        sampler.observe(completed({"a": 1, "b": "x", "c": 0}, 1.0))
        proposed = [sampler.next_configuration() for _ in range(4)]
        assert proposed == sampling.preview(4)
