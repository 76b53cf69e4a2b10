"""Grid sampling: order, exhaustion, laziness and validation."""

from __future__ import annotations

import re
import time

import pytest

from hypersweep.errors import InvalidConfigError
from hypersweep.sampling import GridParameterSampling, sampling_from_dict
from hypersweep.space import SearchSpace, choice, qnormal, quniform, randint, uniform


def test_every_combination_once_last_parameter_fastest():
    sampling = GridParameterSampling({"a": choice(1, 2), "b": choice("x", "y", "z")})

    assert sampling.preview(10) == [
        {"a": 1, "b": "x"},
        {"a": 1, "b": "y"},
        {"a": 1, "b": "z"},
        {"a": 2, "b": "x"},
        {"a": 2, "b": "y"},
        {"a": 2, "b": "z"},
    ]


def test_declaration_order_decides_the_grid_order():
    sampling = GridParameterSampling({"b": choice("x", "y"), "a": choice(1, 2)})

    assert sampling.preview(2) == [{"b": "x", "a": 1}, {"b": "x", "a": 2}]


def test_sampler_ends_when_the_grid_is_exhausted():
    sampler = GridParameterSampling({"a": choice(1, 2, 3)}).create_sampler()

    assert [sampler.next_configuration() for _ in range(3)] == [{"a": 1}, {"a": 2}, {"a": 3}]
    assert sampler.next_configuration() is None
    assert sampler.next_configuration() is None
    assert sampler.count == 3


def test_space_size_is_the_product_of_choice_lengths():
    sampling = GridParameterSampling({"a": choice(1, 2), "b": choice(range(5)), "c": choice(None)})

    assert sampling.space_size == 10


def test_grid_of_2_to_30_is_lazy():
    started = time.perf_counter()
    sampling = GridParameterSampling({f"p{i}": choice(0, 1) for i in range(30)})
    preview = sampling.preview(5)
    last = sampling.space.point_at(sampling.space_size - 1)
    elapsed = time.perf_counter() - started

    assert sampling.space_size == 2**30
    assert [configuration["p29"] for configuration in preview] == [0, 1, 0, 1, 0]
    assert [configuration["p28"] for configuration in preview] == [0, 0, 1, 1, 0]
    assert last == (1,) * 30
    assert elapsed < 0.5


@pytest.mark.parametrize(
    "expression, type_name",
    [
        (randint(3), "randint"),
        (uniform(0, 1), "uniform"),
        (quniform(0, 1, 0.5), "quniform"),
        (qnormal(0, 1, 1), "qnormal"),
    ],
)
def test_non_choice_expressions_are_rejected(expression, type_name):
    message = f"learning_rate: grid sampling accepts only choice expressions; got {type_name}("

    with pytest.raises(InvalidConfigError, match=re.escape(message)):
        GridParameterSampling({"batch_size": choice(16, 32), "learning_rate": expression})


def test_list_and_yaml_forms_are_accepted():
    sampling = GridParameterSampling(
        {"a": ["choice", [[1, 2]]], "b": {"type": "choice", "values": ["x"]}}
    )

    assert sampling.preview(2) == [{"a": 1, "b": "x"}, {"a": 2, "b": "x"}]


def test_skipped_configurations_are_left_out():
    sampling = GridParameterSampling({"a": choice(1, 2), "b": choice("x", "y")})
    sampler = sampling.create_sampler(skip={(1, "x"), (2, "y"), (3, "x"), (2.0, "x")})

    assert [sampler.next_configuration() for _ in range(2)] == [
        {"a": 1, "b": "y"},
        {"a": 2, "b": "x"},
    ]
    assert sampler.next_configuration() is None
    assert sampler.count == 2


def test_skip_with_the_wrong_length_raises():
    sampling = GridParameterSampling({"a": choice(1, 2)})

    with pytest.raises(ValueError, match=re.escape("skip: (1, 'x') has 2 values")):
        sampling.create_sampler(skip=[(1, "x")])


def test_properties_must_be_empty():
    assert GridParameterSampling({"a": choice(1)}, properties={}).preview(1) == [{"a": 1}]

    with pytest.raises(InvalidConfigError, match=re.escape("grid sampling: unknown key 'seed'")):
        GridParameterSampling({"a": choice(1)}, properties={"seed": 1})


def test_to_dict_form_and_round_trip():
    sampling = GridParameterSampling(SearchSpace({"a": choice(16, 32)}))

    assert sampling.to_dict() == {"type": "grid", "space": {"a": ["choice", [[16, 32]]]}}
    assert sampling_from_dict(sampling.to_dict()) == sampling


def test_repr_shows_the_space():
    sampling = GridParameterSampling({"a": choice(16, 32)})

    assert repr(sampling) == "GridParameterSampling({'a': choice(16, 32)})"
