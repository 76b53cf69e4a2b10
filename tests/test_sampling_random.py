"""Random and Sobol sampling, and the contract that every sampling keeps."""

from __future__ import annotations

import json
import os
import pickle
import re
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from scipy.stats import qmc

import hypersweep
import hypersweep.sampling as sampling_module
from hypersweep.errors import InvalidConfigError
from hypersweep.sampling import (
    GridParameterSampling,
    ParameterSampling,
    RandomParameterSampling,
    Sampler,
    sampling_from_dict,
)
from hypersweep.space import (
    SearchSpace,
    choice,
    lognormal,
    loguniform,
    normal,
    qlognormal,
    qnormal,
    quniform,
    randint,
    uniform,
)

MIXED = {
    "learning_rate": loguniform(-6, -1),
    "batch_size": choice(16, 32, 64),
    "dropout": uniform(0, 0.5),
    "layers": randint(4),
    "momentum": quniform(0.5, 0.99, 0.01),
    "noise": normal(0, 1),
    "scale": lognormal(0, 1),
    "width": qnormal(64, 16, 8),
    "--decay": qlognormal(-3, 1, 0.001),
}

FINITE = {"a": choice(1, 2, 3), "b": randint(4), "c": quniform(0, 1, 0.5)}  # 36 points


def take(sampler: Sampler, n: int) -> list[dict]:
    return [sampler.next_configuration() for _ in range(n)]


def as_points(configurations: list[dict]) -> list[tuple]:
    return [tuple(configuration.values()) for configuration in configurations]


def test_sampling_all_matches_exports():
    exported = {name for name in dir(sampling_module) if not name.startswith("_")}
    modules = {"base", "bayesian", "grid", "random"}

    assert set(sampling_module.__all__) == exported - modules


# The contract of every sampling.

SAMPLINGS = {
    "random": lambda: RandomParameterSampling(FINITE, seed=1),
    "sobol": lambda: RandomParameterSampling(FINITE, seed=1, rule="sobol"),
    "random-mixed": lambda: RandomParameterSampling(MIXED, seed=2),
    "sobol-mixed": lambda: RandomParameterSampling(MIXED, seed=2, rule="sobol"),
    "grid": lambda: GridParameterSampling({"a": choice(1, 2), "b": choice("x", None, 2.5)}),
}


@pytest.fixture(params=sorted(SAMPLINGS))
def sampling(request) -> ParameterSampling:
    return SAMPLINGS[request.param]()


def test_preview_is_fresh_each_call(sampling):
    assert sampling.preview(5) == sampling.preview(5)
    assert sampling.preview(3) == sampling.preview(5)[:3]


def test_preview_matches_a_new_sampler(sampling):
    sampler = sampling.create_sampler()

    assert take(sampler, 4) == sampling.preview(4)
    assert sampler.count == 4


def test_configurations_use_declaration_order_and_builtin_types(sampling):
    builtin = {int, float, str, bool, type(None)}

    for configuration in sampling.preview(20):
        assert list(configuration) == list(sampling.space.names)
        assert {type(value) for value in configuration.values()} <= builtin


def test_dict_form_is_json_and_round_trips(sampling):
    data = json.loads(json.dumps(sampling.to_dict()))
    rebuilt = sampling_from_dict(data)

    assert rebuilt == sampling
    assert type(rebuilt) is type(sampling)
    assert rebuilt.preview(10) == sampling.preview(10)


def test_sampling_and_sampler_pickle(sampling):
    sampler = sampling.create_sampler()
    sampler.next_configuration()

    copy = pickle.loads(pickle.dumps(sampler))

    assert pickle.loads(pickle.dumps(sampling)) == sampling
    assert copy.next_configuration() == sampler.next_configuration()


def test_preview_rejects_invalid_counts(sampling):
    with pytest.raises(InvalidConfigError, match="n=-1"):
        sampling.preview(-1)
    assert sampling.preview(0) == []


# Reproducibility.

CHILD_SCRIPT = """
import json, sys
from hypersweep.sampling import sampling_from_dict
sampling = sampling_from_dict(json.loads(sys.argv[1]))
print(json.dumps(sampling.preview(int(sys.argv[2]))))
"""


@pytest.mark.parametrize("rule", ["random", "sobol"])
def test_same_seed_gives_same_configurations_in_another_process(rule):
    sampling = RandomParameterSampling(MIXED, seed=123, rule=rule)
    package_root = str(Path(hypersweep.__file__).resolve().parents[1])
    path = os.pathsep.join([package_root, os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": path}

    result = subprocess.run(
        [sys.executable, "-c", CHILD_SCRIPT, json.dumps(sampling.to_dict()), "25"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=120,
    )

    # JSON keeps int and float apart, so equal lists mean equal values and types.
    assert json.loads(result.stdout) == json.loads(json.dumps(sampling.preview(25)))


@pytest.mark.parametrize("rule", ["random", "sobol"])
def test_same_seed_same_configurations(rule):
    first = RandomParameterSampling(MIXED, seed=5, rule=rule).preview(20)
    second = RandomParameterSampling(MIXED, seed=5, rule=rule).preview(20)
    other = RandomParameterSampling(MIXED, seed=6, rule=rule).preview(20)

    assert first == second
    assert first != other


def test_configuration_depends_only_on_seed_and_position():
    sampling = RandomParameterSampling(FINITE, seed=9)
    np.random.seed(0)
    first = sampling.preview(30)
    np.random.seed(1)
    second = take(sampling.create_sampler(), 30)

    assert first == second


def test_missing_seed_is_drawn_once_and_kept():
    sampling = RandomParameterSampling(MIXED)
    rebuilt = sampling_from_dict(json.loads(json.dumps(sampling.to_dict())))

    assert isinstance(sampling.seed, int)
    assert sampling.seed >= 0
    assert sampling.to_dict()["seed"] == sampling.seed
    assert rebuilt.preview(10) == sampling.preview(10)
    assert sampling.preview(10) == sampling.preview(10)


def test_missing_seeds_differ_between_samplings():
    seeds = {RandomParameterSampling(MIXED).seed for _ in range(5)}

    assert len(seeds) > 1


# Sobol.


def unit_points(configurations: list[dict]) -> np.ndarray:
    return np.array([[c["x"], c["y"]] for c in configurations])


def test_sobol_covers_the_space_more_evenly_than_random():
    space = {"x": uniform(0, 1), "y": uniform(0, 1)}
    sobol = unit_points(RandomParameterSampling(space, seed=3, rule="sobol").preview(256))
    independent = unit_points(RandomParameterSampling(space, seed=3).preview(256))

    assert qmc.discrepancy(sobol) < qmc.discrepancy(independent) / 4


def test_sobol_is_not_the_same_sequence_as_random():
    space = {"x": uniform(0, 1), "y": uniform(0, 1)}

    assert RandomParameterSampling(space, seed=3, rule="sobol").preview(
        5
    ) != RandomParameterSampling(space, seed=3).preview(5)


def test_sobol_values_respect_each_expression():
    for configuration in RandomParameterSampling(MIXED, seed=4, rule="sobol").preview(200):
        for name, value in configuration.items():
            low, high = MIXED[name].bounds
            assert low <= value <= high


def test_sobol_warns_nothing():
    sampling = RandomParameterSampling(MIXED, seed=4, rule="sobol")

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sampling.preview(150)


# Discrete spaces: no repeats, and an end.


@pytest.mark.parametrize("rule", ["random", "sobol"])
def test_finite_space_never_repeats_and_ends(rule):
    sampler = RandomParameterSampling(FINITE, seed=11, rule=rule).create_sampler()
    configurations = take(sampler, 36)

    assert len(set(as_points(configurations))) == 36
    assert sampler.next_configuration() is None
    assert sampler.next_configuration() is None
    assert sampler.count == 36


def test_finite_space_preview_stops_at_the_space_size():
    sampling = RandomParameterSampling(FINITE, seed=12)

    assert sampling.space_size == 36
    assert len(sampling.preview(100)) == 36


def test_single_point_space():
    sampling = RandomParameterSampling({"a": choice("only")}, seed=0)

    assert sampling.preview(5) == [{"a": "only"}]


def test_exhausting_a_large_space_is_fast():
    sampling = RandomParameterSampling({"a": randint(100), "b": randint(50)}, seed=13)
    sampler = sampling.create_sampler()

    started = time.perf_counter()
    points = {tuple(sampler.next_configuration().values()) for _ in range(5000)}
    elapsed = time.perf_counter() - started

    assert len(points) == 5000
    assert sampler.next_configuration() is None
    assert elapsed < 10


def test_untried_configurations_are_chosen_uniformly_near_the_end():
    # With all but 4 of 1000 points skipped, most first proposals come from the direct pick.
    space = {"a": randint(1000)}
    untried = {17, 500, 501, 999}
    skip = [(i,) for i in range(1000) if i not in untried]

    firsts = []
    for seed in range(200):
        sampler = RandomParameterSampling(space, seed=seed).create_sampler(skip=skip)
        firsts.append(sampler.next_configuration()["a"])
        assert {c["a"] for c in take(sampler, 3)} | {firsts[-1]} == untried
        assert sampler.next_configuration() is None

    counts = [firsts.count(value) for value in sorted(untried)]
    assert stats.chisquare(counts).pvalue > 0.001


def test_unbounded_discrete_space_never_repeats_and_never_ends():
    space = {"a": qnormal(0, 1, 1), "b": choice("x", "y")}
    sampler = RandomParameterSampling(space, seed=14).create_sampler()

    configurations = take(sampler, 300)

    assert None not in configurations
    assert len(set(as_points(configurations))) == 300
    assert RandomParameterSampling(space, seed=14).space_size is None


def test_qlognormal_space_never_repeats():
    configurations = RandomParameterSampling({"a": qlognormal(0, 0.1, 1)}, seed=15).preview(50)
    values = [c["a"] for c in configurations]

    assert len(set(values)) == 50
    assert min(values) == 0


def test_continuous_space_may_repeat_and_never_ends():
    sampling = RandomParameterSampling({"a": loguniform(0, 0), "b": choice(1)}, seed=16)
    configurations = sampling.preview(5)

    assert configurations == [{"a": 1.0, "b": 1}] * 5


def test_mixed_continuous_space_keeps_going():
    sampling = RandomParameterSampling({"a": uniform(0, 1), "b": choice(1, 2)}, seed=17)

    assert len(sampling.preview(100)) == 100
    assert sampling.space_size is None


# Skipping configurations (warm start).


@pytest.mark.parametrize("rule", ["random", "sobol"])
def test_skipped_configurations_are_never_proposed(rule):
    sampling = RandomParameterSampling(FINITE, seed=18, rule=rule)
    skip = set(as_points(sampling.preview(10)))

    sampler = sampling.create_sampler(skip=skip)
    rest = as_points(take(sampler, 26))

    assert not skip & set(rest)
    assert len(set(rest)) == 26
    assert sampler.next_configuration() is None
    assert sampler.count == 26


def test_skipping_every_configuration_ends_at_once():
    sampling = RandomParameterSampling({"a": choice(1, 2)}, seed=19)
    sampler = sampling.create_sampler(skip=[(1,), (2,)])

    assert sampler.next_configuration() is None
    assert sampler.count == 0


def test_skip_ignores_configurations_outside_the_space():
    sampling = RandomParameterSampling({"a": choice(1, 2)}, seed=20)
    sampler = sampling.create_sampler(skip=[(3,), ("1",), (1.5,)])

    assert len(take(sampler, 2)) == 2
    assert sampler.next_configuration() is None


def test_skip_in_unbounded_and_continuous_spaces():
    unbounded = RandomParameterSampling({"a": qnormal(0, 0.1, 1)}, seed=21)
    constant = RandomParameterSampling({"a": normal(3, 0)}, seed=21)

    assert unbounded.create_sampler(skip=[(0,)]).next_configuration() != {"a": 0}
    assert constant.create_sampler(skip=[(3.0,)]).next_configuration() == {"a": 3.0}


def test_skip_with_the_wrong_length_raises():
    sampling = RandomParameterSampling(FINITE, seed=22)

    with pytest.raises(ValueError, match=re.escape("skip: (1, 2) has 2 values")):
        sampling.create_sampler(skip=[(1, 2)])


# Arguments.


def test_properties_give_seed_and_rule():
    from_properties = RandomParameterSampling(FINITE, properties={"seed": 7, "rule": "Sobol"})

    assert from_properties == RandomParameterSampling(FINITE, seed=7, rule="sobol")
    assert from_properties.rule == "sobol"


def test_properties_agreeing_with_arguments_are_accepted():
    sampling = RandomParameterSampling(FINITE, 7, "SOBOL", properties={"seed": 7, "rule": "sobol"})

    assert sampling.seed == 7
    assert sampling.rule == "sobol"


def test_rule_is_case_insensitive():
    assert RandomParameterSampling(FINITE, seed=1, rule="SoBoL").rule == "sobol"


def test_space_accepts_search_space_or_dict():
    space = SearchSpace(FINITE)

    from_space = RandomParameterSampling(space, seed=1)
    from_dict = RandomParameterSampling(space.to_dict(), seed=1)

    assert from_space.space == space
    assert from_space == from_dict


RANDOM_ERRORS = [
    (dict(seed=-1), "random sampling: seed=-1 is invalid; use an int >= 0"),
    (dict(seed=1.5), "random sampling: seed=1.5 is invalid"),
    (dict(seed="1"), "random sampling: seed='1' is invalid"),
    (dict(seed=True), "random sampling: seed=True is invalid"),
    (dict(rule="halton"), "random sampling: rule='halton' is invalid; use 'random' or 'sobol'"),
    (dict(rule=None), "random sampling: rule=None is invalid"),
    (dict(seed=1, properties={"seed": 2}), "seed=1 conflicts with properties['seed']=2"),
    (
        dict(rule="sobol", properties={"rule": "random"}),
        "rule='sobol' conflicts with properties['rule']='random'",
    ),
    (dict(properties={"seeds": 2}), "unknown key 'seeds' in properties; accepted keys: seed, rule"),
    (dict(properties=[("seed", 1)]), "properties=[('seed', 1)] must be a dict"),
    (dict(properties={"seed": -5}), "random sampling: seed=-5 is invalid"),
]


@pytest.mark.parametrize("arguments, message", RANDOM_ERRORS)
def test_invalid_arguments_raise(arguments, message):
    with pytest.raises(InvalidConfigError, match=re.escape(message)):
        RandomParameterSampling(FINITE, **arguments)


def test_invalid_space_names_the_parameter():
    with pytest.raises(InvalidConfigError, match=re.escape("lr: uniform: low=1")):
        RandomParameterSampling({"lr": ["uniform", [1, 0]]}, seed=1)


def test_numpy_seed_is_accepted():
    assert RandomParameterSampling(FINITE, seed=np.int64(5)).to_dict()["seed"] == 5


def test_to_dict_form():
    sampling = RandomParameterSampling({"a": choice(16, 32)}, seed=123, rule="sobol")

    assert sampling.to_dict() == {
        "type": "random",
        "seed": 123,
        "rule": "sobol",
        "space": {"a": ["choice", [[16, 32]]]},
    }


DICT_ERRORS = [
    ({"type": "halton", "space": {}}, "sampling: type='halton' is unknown; use one of"),
    ({"space": {}}, "sampling: type=None is unknown"),
    ({"type": "random"}, "random sampling: missing key 'space'"),
    ({"type": "random", "space": FINITE, "sead": 1}, "random sampling: unknown key 'sead'"),
    ({"type": "grid", "space": FINITE, "seed": 1}, "grid sampling: unknown key 'seed'"),
    ([("type", "random")], "must be a mapping with a 'type' key"),
]


@pytest.mark.parametrize("data, message", DICT_ERRORS)
def test_invalid_dict_forms_raise(data, message):
    with pytest.raises(InvalidConfigError, match=re.escape(message)):
        sampling_from_dict(data)


def test_new_samplings_register_by_type_name():
    class FirstOnly(ParameterSampling):
        type_name = "test-first-only"

        def create_sampler(self, *, skip=()):
            return GridParameterSampling(self.space).create_sampler(skip=skip)

        def to_dict(self):
            return {"type": self.type_name, "space": self.space.to_dict()}

        @classmethod
        def from_dict(cls, data):
            return cls(data["space"])

    rebuilt = sampling_from_dict({"type": "test-first-only", "space": {"a": choice(1, 2)}})

    assert type(rebuilt) is FirstOnly
    assert rebuilt.preview(1) == [{"a": 1}]
