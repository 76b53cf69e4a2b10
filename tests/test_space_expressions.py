"""Construction, validation, serialisation and parsing of expressions and search spaces."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest
import yaml

import hypersweep.space as space_module
from hypersweep.errors import InvalidConfigError
from hypersweep.space import (
    EXPRESSION_TYPES,
    ParameterExpression,
    SearchSpace,
    choice,
    lognormal,
    loguniform,
    normal,
    parse_expression,
    qlognormal,
    qloguniform,
    qnormal,
    quniform,
    randint,
    uniform,
)

EXAMPLES = [
    choice(16, 32, 64),
    choice("adam", "sgd", None, True, 0.5),
    randint(10),
    uniform(0.05, 0.1),
    loguniform(-6, -1),
    normal(0, 1),
    lognormal(0, 0.5),
    quniform(1, 10, 1),
    qloguniform(0, 4.6, 2),
    qnormal(10, 3, 0.5),
    qlognormal(1, 0.5, 4.0),
]


def test_space_all_matches_exports():
    exported = {name for name in dir(space_module) if not name.startswith("_")}
    modules = {"expressions"}

    assert set(space_module.__all__) == exported - modules


def test_expression_types_match_examples():
    assert set(EXPRESSION_TYPES) == {expression.type_name for expression in EXAMPLES}


# Validation: every rule names the expression, the field and the bad value.

INVALID = [
    (lambda: choice(), "choice: no values given"),
    (lambda: choice([]), "choice: the list [] is empty"),
    (lambda: choice(range(0)), "choice: the range range(0, 0) is empty"),
    (lambda: choice(np.array([])), "choice: the list [] is empty"),
    (lambda: choice([1, 2], 3), "choice: value [1, 2] (index 0) is a list"),
    (lambda: choice([[1, 2]]), "choice: value [1, 2] (index 0) is a list"),
    (lambda: choice({"a": 1}), "choice: value {'a': 1} (index 0) is a dict"),
    (lambda: choice(1, 2, 1), "choice: value 1 (index 2) repeats value 1 (index 0)"),
    (lambda: choice(1, 1.0), "choice: value 1.0 (index 1) repeats value 1 (index 0)"),
    (lambda: choice(1, True), "choice: value True (index 1) repeats value 1 (index 0)"),
    (lambda: choice("a", "a"), "choice: value 'a' (index 1) repeats value 'a' (index 0)"),
    (lambda: choice(1, float("nan")), "choice: value nan (index 1) must be finite"),
    (lambda: randint(0), "randint: upper=0 must be an int > 0"),
    (lambda: randint(-3), "randint: upper=-3 must be an int > 0"),
    (lambda: randint(2.5), "randint: upper=2.5 (float) must be an int > 0"),
    (lambda: randint(True), "randint: upper=True (bool) must be an int > 0"),
    (lambda: randint("10"), "randint: upper='10' (str) must be an int > 0"),
    (lambda: uniform(2, 1), "uniform: low=2 must be less than high=1"),
    (lambda: uniform(1, 1), "uniform: low=1 must be less than high=1"),
    (lambda: uniform("a", 1), "uniform: low='a' (str) must be a finite real number"),
    (lambda: uniform(0, float("inf")), "uniform: high=inf must be a finite real number"),
    (lambda: uniform(float("nan"), 1), "uniform: low=nan must be a finite real number"),
    (lambda: uniform(True, 2), "uniform: low=True is a bool"),
    (lambda: uniform(None, 2), "uniform: low=None (NoneType) must be a finite real number"),
    (lambda: loguniform(0, -1), "loguniform: low=0 must be less than or equal to high=-1"),
    (lambda: loguniform(0, 1000), "loguniform: high=1000 makes exp(high) overflow"),
    (lambda: normal(0, -1), "normal: sigma=-1 must be >= 0"),
    (lambda: normal("0", 1), "normal: mu='0' (str) must be a finite real number"),
    (lambda: lognormal(0, -0.5), "lognormal: sigma=-0.5 must be >= 0"),
    (lambda: lognormal(800, 1), "lognormal: mu=800 and sigma=1 make exp(value) overflow"),
    (lambda: quniform(0, 1, 0), "quniform: q=0 must be greater than 0"),
    (lambda: quniform(0, 1, -0.1), "quniform: q=-0.1 must be greater than 0"),
    (lambda: quniform(1, 0, 0.1), "quniform: low=1 must be less than high=0"),
    (lambda: quniform(1, 4, 5), "quniform: no multiple of q=5 lies in [1, 4]"),
    (lambda: quniform(0, 1, 1e-320), "quniform: q=1e-320 is too small"),
    (lambda: qloguniform(1, 0, 1), "qloguniform: low=1 must be less than or equal to high=0"),
    (lambda: qloguniform(0, math.log(4), 5), "qloguniform: no multiple of q=5 lies in [exp(0)"),
    (lambda: qloguniform(0, 1, "q"), "qloguniform: q='q' (str) must be a finite real number"),
    (lambda: qnormal(0, -1, 1), "qnormal: sigma=-1 must be >= 0"),
    (lambda: qnormal(0, 1, 0), "qnormal: q=0 must be greater than 0"),
    (lambda: qlognormal(0, -1, 1), "qlognormal: sigma=-1 must be >= 0"),
    (lambda: qlognormal(0, 1, -2), "qlognormal: q=-2 must be greater than 0"),
]


@pytest.mark.parametrize("build, message", INVALID)
def test_invalid_arguments_raise(build, message):
    with pytest.raises(InvalidConfigError, match=re.escape(message)):
        build()


def test_invalid_config_error_is_value_error():
    with pytest.raises(ValueError):
        uniform(2, 1)


# Accepted forms of arguments.


def test_choice_accepts_values_list_tuple_and_range():
    assert choice(1, 2, 3).args == (1, 2, 3)
    assert choice([1, 2, 3]).args == (1, 2, 3)
    assert choice((1, 2, 3)).args == (1, 2, 3)
    assert choice(range(1, 4)).args == (1, 2, 3)
    assert choice(np.array([1, 2, 3])).args == (1, 2, 3)
    assert choice("abc").args == ("abc",)


def test_choice_accepts_builtin_scalar_types():
    expression = choice(3, 2.5, "x", True, None)

    assert [type(value) for value in expression.values()] == [int, float, str, bool, type(None)]


def test_numpy_scalars_become_builtin():
    expression = choice(np.int64(3), np.float64(0.5), np.str_("a"), np.bool_(False))
    bounded = uniform(np.float32(0.5), np.int64(2))

    assert [type(value) for value in expression.args] == [int, float, str, bool]
    assert [type(value) for value in bounded.args] == [float, int]
    assert type(randint(np.int32(4)).args[0]) is int


def test_loguniform_accepts_equal_bounds():
    assert loguniform(1, 1).bounds == (math.e, math.e)


def test_normal_accepts_zero_sigma():
    assert normal(2, 0).sample(np.random.default_rng(0)) == 2.0


# Properties.


def test_discrete_and_continuous_kinds():
    discrete = [e.type_name for e in EXAMPLES if e.is_discrete]

    assert discrete == [
        "choice",
        "choice",
        "randint",
        "quniform",
        "qloguniform",
        "qnormal",
        "qlognormal",
    ]


@pytest.mark.parametrize(
    "expression, bounds",
    [
        (choice(16, 32, 64), (16.0, 64.0)),
        (choice("a", "b"), None),
        (choice(1, None), None),
        (randint(10), (0.0, 9.0)),
        (uniform(0.05, 0.1), (0.05, 0.1)),
        (loguniform(0, 1), (1.0, math.e)),
        (normal(0, 1), (-math.inf, math.inf)),
        (lognormal(0, 1), (0.0, math.inf)),
        (quniform(0.05, 0.96, 0.1), (0.1, 0.9)),
        (qloguniform(0, math.log(100.5), 10), (10.0, 100.0)),
        (qnormal(0, 1, 1), (-math.inf, math.inf)),
        (qlognormal(0, 1, 1), (0.0, math.inf)),
    ],
)
def test_bounds(expression, bounds):
    assert expression.bounds == bounds


@pytest.mark.parametrize(
    "expression, size",
    [
        (choice(16, 32, 64), 3),
        (randint(10), 10),
        (uniform(0, 1), None),
        (normal(0, 1), None),
        (quniform(0, 1, 0.1), 11),
        (quniform(1, 10, 4.0), 2),
        (qloguniform(0, math.log(100.5), 10), 10),
        (qnormal(0, 1, 1), None),
        (qlognormal(0, 1, 1), None),
    ],
)
def test_size(expression, size):
    assert expression.size == size


def test_values_of_finite_expressions():
    assert choice("a", "b").values() == ["a", "b"]
    assert randint(3).values() == [0, 1, 2]
    assert quniform(0, 1, 0.1).values() == [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
    assert quniform(1, 10, 4.0).values() == [4, 8]


@pytest.mark.parametrize("expression", [uniform(0, 1), normal(0, 1), qnormal(0, 1, 1)])
def test_values_of_infinite_expressions_raise(expression):
    with pytest.raises(TypeError, match=re.escape(repr(expression))):
        expression.values()


def test_index_of_inverts_value_at():
    for expression in (choice(1, "a", None), randint(5), quniform(0, 2, 0.25)):
        for index in range(expression.size):
            assert expression.index_of(expression.value_at(index)) == index


def test_index_of_rejects_foreign_values():
    with pytest.raises(ValueError, match="is not a value"):
        choice(1, 2).index_of(3)
    with pytest.raises(ValueError, match="is not a value"):
        choice(1, 2).index_of(1.0)
    with pytest.raises(ValueError, match="is not a value"):
        quniform(0, 1, 0.1).index_of(0.30000000000000004)
    with pytest.raises(ValueError, match="is not a value"):
        randint(3).index_of(True)


def test_neighbors_nearest_first():
    assert list(choice(1, 2, 3, 4).neighbors(2)) == [3, 1, 4]
    assert list(quniform(0, 0.4, 0.1).neighbors(0.1)) == [0.2, 0.0, 0.3, 0.4]

    walk = qnormal(0, 1, 0.5).neighbors(0.0)
    assert [next(walk) for _ in range(4)] == [0.5, -0.5, 1.0, -1.0]

    walk = qlognormal(0, 1, 1).neighbors(1)
    assert [next(walk) for _ in range(4)] == [2, 0, 3, 4]


def test_neighbors_of_continuous_raise():
    with pytest.raises(TypeError, match="continuous"):
        next(uniform(0, 1).neighbors(0.5))


# Serialisation and equality.


@pytest.mark.parametrize(
    "expression, form, text",
    [
        (choice(16, 32, 64), ["choice", [[16, 32, 64]]], "choice(16, 32, 64)"),
        (choice(["a", "b"]), ["choice", [["a", "b"]]], "choice('a', 'b')"),
        (randint(10), ["randint", [10]], "randint(10)"),
        (uniform(0.05, 0.1), ["uniform", [0.05, 0.1]], "uniform(0.05, 0.1)"),
        (loguniform(-6, -1), ["loguniform", [-6, -1]], "loguniform(-6, -1)"),
        (normal(0, 1), ["normal", [0, 1]], "normal(0, 1)"),
        (lognormal(0, 0.5), ["lognormal", [0, 0.5]], "lognormal(0, 0.5)"),
        (quniform(1, 10, 1), ["quniform", [1, 10, 1]], "quniform(1, 10, 1)"),
        (qloguniform(0, 4.6, 2), ["qloguniform", [0, 4.6, 2]], "qloguniform(0, 4.6, 2)"),
        (qnormal(10, 3, 0.5), ["qnormal", [10, 3, 0.5]], "qnormal(10, 3, 0.5)"),
        (qlognormal(1, 0.5, 4.0), ["qlognormal", [1, 0.5, 4.0]], "qlognormal(1, 0.5, 4.0)"),
    ],
)
def test_list_form_and_repr(expression, form, text):
    assert expression.to_list() == form
    assert repr(expression) == text


@pytest.mark.parametrize("expression", EXAMPLES, ids=repr)
def test_list_form_round_trips_through_json(expression):
    form = json.loads(json.dumps(expression.to_list()))

    assert parse_expression("x", form) == expression
    assert parse_expression("x", tuple(form)) == expression


def test_equality():
    assert uniform(0, 1) == uniform(0, 1)
    assert uniform(0, 1) != uniform(0, 2)
    assert uniform(0, 1) != loguniform(0, 1)
    assert choice(1, 2) != choice(2, 1)
    assert choice(1, 2) != choice(1.0, 2.0)
    assert hash(quniform(0, 1, 0.5)) == hash(quniform(0, 1, 0.5))
    assert uniform(0, 1) != ["uniform", [0, 1]]


# Parsing.


@pytest.mark.parametrize(
    "mapping, expected",
    [
        ({"type": "choice", "values": [16, 32, 64]}, choice(16, 32, 64)),
        ({"type": "randint", "upper": 10}, randint(10)),
        ({"type": "uniform", "min_value": 0.05, "max_value": 0.1}, uniform(0.05, 0.1)),
        ({"type": "loguniform", "min_value": -6, "max_value": -1}, loguniform(-6, -1)),
        ({"type": "normal", "mu": 0, "sigma": 1}, normal(0, 1)),
        ({"type": "lognormal", "mu": 0, "sigma": 1}, lognormal(0, 1)),
        ({"type": "quniform", "min_value": 1, "max_value": 9, "q": 2}, quniform(1, 9, 2)),
        ({"type": "qloguniform", "min_value": 0, "max_value": 3, "q": 1}, qloguniform(0, 3, 1)),
        ({"type": "qnormal", "mu": 0, "sigma": 1, "q": 0.5}, qnormal(0, 1, 0.5)),
        ({"type": "qlognormal", "mu": 0, "sigma": 1, "q": 1}, qlognormal(0, 1, 1)),
    ],
)
def test_parse_yaml_mapping(mapping, expected):
    assert parse_expression("x", mapping) == expected


def test_parse_yaml_text():
    text = """
    learning_rate: {type: loguniform, min_value: -6, max_value: -1}
    batch_size:
      type: choice
      values: [16, 32, 64]
    """
    space = SearchSpace(yaml.safe_load(text))

    assert space.to_dict() == {
        "learning_rate": ["loguniform", [-6, -1]],
        "batch_size": ["choice", [[16, 32, 64]]],
    }


def test_parse_returns_expression_objects_unchanged():
    expression = uniform(0, 1)

    assert parse_expression("x", expression) is expression


PARSE_ERRORS = [
    (["uniform", [2, 1]], "lr: uniform: low=2 must be less than high=1"),
    (["uniform", [0, 1, 2]], "lr: uniform takes 2 arguments (low, high); got 3: [0, 1, 2]"),
    (["gauss", [0, 1]], "lr: unknown expression type 'gauss'; use one of choice, randint"),
    (["uniform", 0, 1], "lr: ['uniform', 0, 1] is not a parameter expression"),
    (["uniform", 0], "lr: ['uniform', 0] is not a parameter expression"),
    (0.1, "lr: 0.1 is not a parameter expression"),
    ("uniform(0, 1)", "lr: 'uniform(0, 1)' is not a parameter expression"),
    ({"min_value": 0}, "lr: the mapping {'min_value': 0} has no 'type' key"),
    ({"type": "gauss"}, "lr: unknown expression type 'gauss'"),
    (
        {"type": "uniform", "min": 0, "max_value": 1},
        "lr: unknown key 'min' for type uniform; accepted keys: type, min_value, max_value",
    ),
    (
        {"type": "quniform", "min_value": 0, "max_value": 1},
        "lr: missing key 'q' for type quniform; accepted keys: type, min_value, max_value, q",
    ),
    ({"type": "choice", "values": 5}, "lr: values=5 must be a list"),
    ({"type": "choice", "values": []}, "lr: choice: the list [] is empty"),
    ({"type": "randint", "upper": 0}, "lr: randint: upper=0 must be an int > 0"),
    ({"type": "normal", "mu": 0, "sigma": -1}, "lr: normal: sigma=-1 must be >= 0"),
]


@pytest.mark.parametrize("value, message", PARSE_ERRORS)
def test_parse_errors_name_the_parameter(value, message):
    with pytest.raises(InvalidConfigError, match=re.escape(message)):
        parse_expression("lr", value)


# Search spaces.


def test_search_space_is_an_ordered_mapping():
    space = SearchSpace({"b": choice(1, 2), "a": uniform(0, 1), "--c-d": ["randint", [3]]})

    assert space.names == ("b", "a", "--c-d")
    assert list(space) == ["b", "a", "--c-d"]
    assert len(space) == 3
    assert space["a"] == uniform(0, 1)
    assert space["--c-d"] == randint(3)
    assert dict(space.items())["b"] == choice(1, 2)
    assert "a" in space


def test_search_space_order_matters_for_equality():
    first = SearchSpace({"a": choice(1, 2), "b": choice(3, 4)})
    second = SearchSpace({"b": choice(3, 4), "a": choice(1, 2)})

    assert first != second
    assert first == SearchSpace(
        {"a": ["choice", [[1, 2]]], "b": {"type": "choice", "values": [3, 4]}}
    )


def test_search_space_size_and_kind():
    finite = SearchSpace({"a": choice(1, 2, 3), "b": randint(4), "c": quniform(0, 1, 0.5)})
    unbounded = SearchSpace({"a": choice(1, 2), "b": qnormal(0, 1, 1)})
    continuous = SearchSpace({"a": choice(1, 2), "b": uniform(0, 1)})

    assert finite.is_discrete
    assert finite.size == 36
    assert not unbounded.is_discrete
    assert unbounded.size is None
    assert not continuous.is_discrete
    assert continuous.size is None


def test_search_space_size_is_exact_for_huge_spaces():
    space = SearchSpace({f"p{i}": randint(1000) for i in range(10)})

    assert space.size == 1000**10


def test_search_space_json_yaml_round_trip():
    space = SearchSpace(
        {name: expression for name, expression in zip("abcdefghijk", EXAMPLES, strict=True)}
    )

    assert SearchSpace.from_dict(json.loads(json.dumps(space.to_dict()))) == space
    assert SearchSpace.from_dict(yaml.safe_load(yaml.safe_dump(space.to_dict()))) == space


def test_point_numbering_varies_last_fastest():
    space = SearchSpace({"a": choice("x", "y"), "b": randint(3)})

    assert [space.point_at(i) for i in range(6)] == [
        ("x", 0),
        ("x", 1),
        ("x", 2),
        ("y", 0),
        ("y", 1),
        ("y", 2),
    ]
    assert [space.index_of(space.point_at(i)) for i in range(6)] == list(range(6))
    with pytest.raises(IndexError):
        space.point_at(6)
    with pytest.raises(ValueError, match="has 1 values"):
        space.index_of(("x",))
    with pytest.raises(TypeError, match="finite discrete"):
        SearchSpace({"a": uniform(0, 1)}).point_at(0)


SPACE_ERRORS = [
    ({}, "search space: no hyperparameters given"),
    ({"learning rate": uniform(0, 1)}, "search space: name 'learning rate' is invalid"),
    ({"1st": uniform(0, 1)}, "search space: name '1st' is invalid"),
    ({"--": uniform(0, 1)}, "search space: name '--' is invalid"),
    ({3: uniform(0, 1)}, "search space: name 3 (int) must be a string"),
    ({"lr": uniform(0, 1), "--lr": uniform(0, 1)}, "names 'lr' and '--lr' both become"),
    ({"lr": ["uniform", [1, 0]]}, "lr: uniform: low=1 must be less than high=0"),
    ({"lr": {"type": "uniform", "low": 0}}, "lr: unknown key 'low' for type uniform"),
    ([("lr", uniform(0, 1))], "must be a mapping from name to expression"),
]


@pytest.mark.parametrize("mapping, message", SPACE_ERRORS)
def test_invalid_search_spaces_raise(mapping, message):
    with pytest.raises(InvalidConfigError, match=re.escape(message)):
        SearchSpace(mapping)


def test_search_space_accepts_option_names_and_keywords():
    space = SearchSpace({"--learning-rate": uniform(0, 1), "-x": choice(1), "class": randint(2)})

    assert space.names == ("--learning-rate", "-x", "class")


def test_expression_base_is_abstract():
    with pytest.raises(TypeError):
        ParameterExpression("uniform", (0, 1))  # type: ignore[abstract]


def test_qloguniform_reaches_bounds_given_as_logs() -> None:
    import math

    import numpy as np

    from hypersweep.space import qloguniform

    expression = qloguniform(math.log(4), math.log(128), 1)
    values = set(expression.sample(np.random.default_rng(0), 20000))
    assert min(values) == 4
    assert max(values) == 128
    low = qloguniform(math.log(3), math.log(100), 1)
    assert min(low.sample(np.random.default_rng(1), 20000)) == 3
