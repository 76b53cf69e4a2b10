"""The values that expressions draw: distributions, grids of q, ranges and types.

The statistical tests use fixed seeds, so they are deterministic. With the threshold p > 0.001, a
correct implementation fails a test for about 1 seed in 1000.
"""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pytest
from scipy import stats

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

N = 4000
P_MIN = 0.001

CONTINUOUS = [
    (uniform(0.05, 0.1), stats.uniform(loc=0.05, scale=0.05)),
    (uniform(-3, 7), stats.uniform(loc=-3, scale=10)),
    (loguniform(-6, -1), stats.loguniform(math.exp(-6), math.exp(-1))),
    (loguniform(0, 3), stats.loguniform(1, math.exp(3))),
    (normal(0, 1), stats.norm(0, 1)),
    (normal(10, 2.5), stats.norm(10, 2.5)),
    (lognormal(0, 1), stats.lognorm(s=1, scale=1)),
    (lognormal(-2, 0.5), stats.lognorm(s=0.5, scale=math.exp(-2))),
]


def unit_draws(seed: int, n: int = N) -> np.ndarray:
    return np.random.default_rng(seed).random(n)


@pytest.mark.parametrize("expression, distribution", CONTINUOUS, ids=lambda x: repr(x)[:30])
def test_sample_follows_distribution(expression, distribution):
    values = expression.sample(np.random.default_rng(1), size=N)

    assert stats.kstest(values, distribution.cdf).pvalue > P_MIN


@pytest.mark.parametrize("expression, distribution", CONTINUOUS, ids=lambda x: repr(x)[:30])
def test_from_unit_follows_distribution(expression, distribution):
    values = [expression.from_unit(u) for u in unit_draws(2)]

    assert stats.kstest(values, distribution.cdf).pvalue > P_MIN


@pytest.mark.parametrize("expression, distribution", CONTINUOUS, ids=lambda x: repr(x)[:30])
def test_continuous_values_are_builtin_floats_in_bounds(expression, distribution):
    low, high = expression.bounds
    values = expression.sample(np.random.default_rng(3), size=500)
    values += [expression.from_unit(u) for u in (0.0, 0.5, 0.999999, 1.0)]

    assert all(type(value) is float for value in values)
    assert all(low <= value <= high and math.isfinite(value) for value in values)


def test_from_unit_is_the_inverse_cdf():
    assert uniform(2, 4).from_unit(0.25) == 2.5
    assert loguniform(0, 2).from_unit(0.5) == pytest.approx(math.e)
    assert normal(1, 2).from_unit(0.5) == 1.0
    assert normal(0, 1).from_unit(0.975) == pytest.approx(1.959964, abs=1e-6)
    assert lognormal(0, 1).from_unit(0.5) == 1.0


def test_from_unit_rejects_values_outside_unit_interval():
    with pytest.raises(ValueError, match="u=1.5"):
        uniform(0, 1).from_unit(1.5)
    with pytest.raises(ValueError, match="u=-0.1"):
        choice(1, 2).from_unit(-0.1)


def test_sample_single_value_and_list():
    rng = np.random.default_rng(0)

    assert type(uniform(0, 1).sample(rng)) is float
    assert isinstance(uniform(0, 1).sample(rng, size=3), list)
    assert len(uniform(0, 1).sample(rng, size=3)) == 3
    assert uniform(0, 1).sample(rng, size=0) == []


def test_sample_needs_a_generator():
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        uniform(0, 1).sample(np.random.RandomState(0))
    with pytest.raises(ValueError, match="size=-1"):
        uniform(0, 1).sample(np.random.default_rng(0), size=-1)


def test_sample_is_reproducible_with_the_same_generator_seed():
    for expression, _ in CONTINUOUS:
        first = expression.sample(np.random.default_rng(7), size=5)
        second = expression.sample(np.random.default_rng(7), size=5)
        assert first == second


# Discrete expressions.


@pytest.mark.parametrize("draw", ["sample", "from_unit"])
def test_choice_frequencies_are_uniform(draw):
    expression = choice("a", "b", None, 4, 5.5, True)
    if draw == "sample":
        values = expression.sample(np.random.default_rng(4), size=6000)
    else:
        values = [expression.from_unit(u) for u in unit_draws(5, 6000)]

    counts = [
        sum(1 for v in values if v is value or (v == value and type(v) is type(value)))
        for value in expression.values()
    ]

    assert sum(counts) == 6000
    assert stats.chisquare(counts).pvalue > P_MIN


@pytest.mark.parametrize("draw", ["sample", "from_unit"])
def test_randint_range_type_and_frequencies(draw):
    expression = randint(7)
    if draw == "sample":
        values = expression.sample(np.random.default_rng(6), size=7000)
    else:
        values = [expression.from_unit(u) for u in unit_draws(7, 7000)]

    assert all(type(value) is int for value in values)
    assert set(values) == set(range(7))
    assert stats.chisquare(np.bincount(values, minlength=7)).pvalue > P_MIN


def test_choice_values_keep_their_types():
    values = choice(1, 2.0, "3", False, None).sample(np.random.default_rng(0), size=200)

    assert {type(value) for value in values} == {int, float, str, bool, type(None)}


# q-expressions.

Q_EXPRESSIONS = [
    quniform(0, 1, 0.1),
    quniform(0.05, 0.96, 0.1),
    quniform(-2, 3, 0.25),
    quniform(1, 100, 1),
    quniform(1, 10, 4.0),
    quniform(0, 1e-3, 1e-5),
    qloguniform(0, math.log(100), 1),
    qloguniform(-5, 0, 0.01),
    qloguniform(math.log(1.4), math.log(9), 4),
    qnormal(0, 1, 0.1),
    qnormal(100, 30, 3),
    qnormal(0, 0.01, 0.003),
    qlognormal(0, 1, 0.2),
    qlognormal(2, 0.5, 5.0),
]


def draws(expression, seed):
    values = expression.sample(np.random.default_rng(seed), size=2000)
    values += [expression.from_unit(u) for u in unit_draws(seed + 1000, 2000)]
    values += [expression.from_unit(u) for u in (0.0, 1e-12, 0.5, 1 - 1e-12, 1.0)]
    return values


@pytest.mark.parametrize("expression", Q_EXPRESSIONS, ids=repr)
def test_q_values_on_grid_without_noise(expression):
    q = Decimal(repr(expression.args[2]))

    for value in draws(expression, 10):
        # repr(value) is the shortest decimal of the float: no noise means it is a multiple of q.
        assert Decimal(repr(value)) % q == 0, value


@pytest.mark.parametrize("expression", Q_EXPRESSIONS, ids=repr)
def test_q_value_types_follow_q(expression):
    q = expression.args[2]
    expected = int if float(q).is_integer() else float

    assert all(type(value) is expected for value in draws(expression, 11))


@pytest.mark.parametrize("expression", Q_EXPRESSIONS, ids=repr)
def test_q_values_stay_in_bounds(expression):
    low, high = expression.bounds

    assert all(low <= value <= high for value in draws(expression, 12))


@pytest.mark.parametrize("expression", [e for e in Q_EXPRESSIONS if e.size is not None], ids=repr)
def test_bounded_q_values_are_the_listed_values(expression):
    listed = expression.values()

    assert set(draws(expression, 13)) <= set(listed)
    assert all(type(value) is type(listed[0]) for value in listed)


def test_tenths_have_no_float_noise():
    values = set(quniform(0, 1, 0.1).sample(np.random.default_rng(0), size=2000))

    assert values == {0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0}
    assert 0.30000000000000004 not in values


def test_rounding_is_half_to_even():
    expression = quniform(0, 4, 1)

    assert expression.from_unit(0.125) == 0  # 0.5 rounds to 0
    assert expression.from_unit(0.375) == 2  # 1.5 rounds to 2
    assert expression.from_unit(0.625) == 2  # 2.5 rounds to 2
    assert expression.from_unit(0.875) == 4  # 3.5 rounds to 4


def test_q_edges_move_inside_range():
    low_edge = quniform(0.05, 0.96, 0.1)  # 0.05 rounds to 0.0 < 0.05, 0.96 rounds to 1.0 > 0.96

    assert low_edge.from_unit(0.0) == 0.1
    assert low_edge.from_unit(0.999999) == 0.9
    assert low_edge.values()[0] == 0.1
    assert low_edge.values()[-1] == 0.9

    log_edge = qloguniform(math.log(1.4), math.log(9), 4)  # 1.4 rounds to 0, 9 rounds to 8

    assert log_edge.from_unit(0.0) == 4
    assert log_edge.from_unit(0.999999) == 8
    assert log_edge.values() == [4, 8]


def test_q_distribution_follows_the_rounded_continuous_one():
    # quniform(0, 4, 1): 0 and 4 get half the weight of 1, 2 and 3.
    values = quniform(0, 4, 1).sample(np.random.default_rng(8), size=8000)
    counts = np.bincount(values, minlength=5)

    assert stats.chisquare(counts, f_exp=[1000, 2000, 2000, 2000, 1000]).pvalue > P_MIN


def test_qnormal_distribution_follows_the_rounded_normal():
    values = qnormal(0, 1, 1).sample(np.random.default_rng(9), size=8000)
    observed = [sum(1 for v in values if v == k) for k in range(-2, 3)]
    expected = [8000 * (stats.norm.cdf(k + 0.5) - stats.norm.cdf(k - 0.5)) for k in range(-2, 3)]
    tail = 8000 - sum(observed)

    result = stats.chisquare(observed + [tail], f_exp=expected + [8000 - sum(expected)])
    assert result.pvalue > P_MIN


def test_qlognormal_never_goes_below_zero():
    values = qlognormal(-3, 1, 1).sample(np.random.default_rng(10), size=1000)

    assert min(values) == 0
    assert all(type(value) is int for value in values)


def test_every_value_is_a_builtin_type():
    builtin = {int, float, str, bool, type(None)}
    expressions = Q_EXPRESSIONS + [e for e, _ in CONTINUOUS] + [randint(3), choice(1, "a")]

    for expression in expressions:
        values = expression.sample(np.random.default_rng(0), size=50)
        values.append(expression.sample(np.random.default_rng(0)))
        values.append(expression.from_unit(0.3))
        assert {type(value) for value in values} <= builtin, expression


def test_no_global_random_state_is_read():
    np.random.seed(0)
    first = uniform(0, 1).sample(np.random.default_rng(5), size=3)
    np.random.seed(1)
    second = uniform(0, 1).sample(np.random.default_rng(5), size=3)

    assert first == second
