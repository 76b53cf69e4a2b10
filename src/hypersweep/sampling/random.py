"""Random sampling: independent draws, or a scrambled Sobol sequence with ``rule="sobol"``."""

from __future__ import annotations

import bisect
import inspect
import logging
import numbers
import warnings
from collections.abc import Callable, Collection, Iterator, Mapping
from typing import Any

import numpy as np
from scipy.stats import qmc

from hypersweep.enums import PrimaryMetricGoal
from hypersweep.errors import InvalidConfigError
from hypersweep.sampling.base import (
    Configuration,
    ParameterSampling,
    Point,
    Sampler,
    as_point,
    check_keys,
    merge_properties,
)
from hypersweep.space import ParameterExpression, SearchSpace

__all__ = ["RandomParameterSampling"]

logger = logging.getLogger(__name__)

RULES = ("random", "sobol")

# Draws that a discrete sampler makes before it picks an untried point directly. Rejection
# rarely needs this many until nearly every point was tried.
_MAX_TRIES = 64

# Sobol points are drawn in blocks whose running total stays a power of two, as scipy advises.
_SOBOL_BLOCK = 64


class RandomParameterSampling(ParameterSampling):
    """Draw each configuration at random from the search space.

    ``seed`` (an int >= 0) makes the sweep reproducible: the same seed gives the same
    configurations in the same order in any process. Without one, a seed is drawn from the
    operating system once, at construction, and kept in :meth:`to_dict`.

    ``rule="sobol"`` draws a scrambled Sobol sequence instead of independent points, which covers
    the space more evenly. ``properties`` is Azure's form of the same options
    (``{"seed": 1, "rule": "sobol"}``).

    Over a space of discrete expressions only, no configuration is proposed twice; a finite
    space ends the sweep when every configuration was tried.
    """

    type_name = "random"

    def __init__(
        self,
        parameter_space: SearchSpace | Mapping[str, Any],
        seed: int | None = None,
        rule: str = "random",
        *,
        properties: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(parameter_space)

        if isinstance(properties, Mapping) and isinstance(properties.get("rule"), str):
            properties = {**properties, "rule": properties["rule"].lower()}
        arguments = {"seed": seed, "rule": rule.lower() if isinstance(rule, str) else rule}
        merged = merge_properties(
            "random", properties, arguments, defaults={"seed": None, "rule": "random"}
        )

        self._seed = _fresh_seed() if merged["seed"] is None else _check_seed(merged["seed"])
        self._rule = _check_rule(merged["rule"])

    @property
    def seed(self) -> int:
        """The seed of every sampler that this sampling creates."""
        return self._seed

    @property
    def rule(self) -> str:
        """``"random"`` or ``"sobol"``."""
        return self._rule

    def create_sampler(
        self, *, skip: Collection[Point] = (), goal: PrimaryMetricGoal = PrimaryMetricGoal.MAXIMIZE
    ) -> Sampler:
        # The order of the configurations does not depend on the outcomes, so goal is unused.
        return _RandomSampler(self._space, self._seed, self._rule, skip)

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type_name,
            "seed": self._seed,
            "rule": self._rule,
            "space": self._space.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RandomParameterSampling:
        check_keys(data, "random", required=("type", "space"), optional=("seed", "rule"))
        return cls(data["space"], seed=data.get("seed"), rule=data.get("rule", "random"))


def _fresh_seed() -> int:
    return int(np.random.SeedSequence().generate_state(1)[0])


def _check_seed(seed: object) -> int:
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise InvalidConfigError(
            f"random sampling: seed={seed!r} is invalid; use an int >= 0, or None to draw one"
        )
    return int(seed)


def _check_rule(rule: object) -> str:
    if not isinstance(rule, str) or rule.lower() not in RULES:
        raise InvalidConfigError(
            f"random sampling: rule={rule!r} is invalid; use 'random' or 'sobol'"
        )
    return rule.lower()


class _RandomSampler(Sampler):
    """Proposes random points, and keeps a discrete sweep from repeating itself."""

    def __init__(self, space: SearchSpace, seed: int, rule: str, skip: Collection[Point]) -> None:
        super().__init__()
        self._names = space.names

        # Separate streams for the points and for the fallback choice, so that one never
        # shifts the other.
        point_seed, fallback_seed = np.random.SeedSequence(seed).spawn(2)
        expressions = list(space.values())
        if rule == "sobol":
            self._draw: Callable[[], Point] = _SobolPoints(expressions, point_seed)
        else:
            self._draw = _IndependentPoints(expressions, point_seed)

        points = [as_point(space, point) for point in skip]
        self._memory: _Memory
        if space.is_discrete:
            self._memory = _FiniteMemory(space, points, np.random.default_rng(fallback_seed))
        elif all(expression.is_discrete for expression in expressions):
            self._memory = _UnboundedMemory(space, points)
        else:
            self._memory = _ContinuousMemory(points)

    def _next_configuration(self) -> Configuration | None:
        if self._memory.exhausted:
            return None

        point = self._draw()
        tries = 1
        while self._memory.excludes(point):
            if tries == _MAX_TRIES:
                logger.debug(
                    "%d draws were all excluded; choosing an untried point directly", tries
                )
                point = self._memory.untried_near(point)
                break
            point = self._draw()
            tries += 1

        self._memory.add(point)
        return dict(zip(self._names, point, strict=True))


class _IndependentPoints:
    def __init__(self, expressions: list[ParameterExpression], seed: np.random.SeedSequence):
        self._expressions = expressions
        self._rng = np.random.default_rng(seed)

    def __call__(self) -> Point:
        return tuple(expression.sample(self._rng) for expression in self._expressions)


class _SobolPoints:
    """Scrambled Sobol points mapped to values through each expression's inverse CDF."""

    def __init__(self, expressions: list[ParameterExpression], seed: np.random.SeedSequence):
        self._expressions = expressions
        self._engine = _sobol_engine(len(expressions), np.random.default_rng(seed))
        self._block: Iterator[np.ndarray] = iter(())

    def __call__(self) -> Point:
        row = next(self._block, None)
        if row is None:
            with warnings.catch_warnings():
                # Blocks of 64 keep the number of points drawn a power of two, which is the
                # condition this warning checks, so the warning carries no information here.
                warnings.filterwarnings(
                    "ignore", message="The balance properties of Sobol", category=UserWarning
                )
                self._block = iter(self._engine.random(_SOBOL_BLOCK))
            row = next(self._block)
        return tuple(
            expression.from_unit(float(u))
            for expression, u in zip(self._expressions, row, strict=True)
        )


def _sobol_engine(dimensions: int, rng: np.random.Generator) -> qmc.Sobol:
    # scipy 1.15 renamed the seed argument to rng.
    if "rng" in inspect.signature(qmc.Sobol).parameters:
        return qmc.Sobol(dimensions, scramble=True, rng=rng)
    return qmc.Sobol(dimensions, scramble=True, seed=rng)


class _Memory:
    """The points a sampler has proposed, and those it must skip."""

    @property
    def exhausted(self) -> bool:
        """Whether every point was tried."""
        return False

    def excludes(self, point: Point) -> bool:
        raise NotImplementedError

    def add(self, point: Point) -> None:
        raise NotImplementedError

    def untried_near(self, point: Point) -> Point:
        """Return a point that :meth:`excludes` accepts, given an excluded ``point``."""
        raise NotImplementedError


class _ContinuousMemory(_Memory):
    """Repeats are allowed; only the skipped points are avoided."""

    def __init__(self, skip: list[Point]) -> None:
        self._skip = set(skip)

    def excludes(self, point: Point) -> bool:
        return point in self._skip

    def add(self, point: Point) -> None:
        pass

    def untried_near(self, point: Point) -> Point:
        # Only a degenerate expression such as normal(0, 0) draws a skipped point 64 times in a
        # row; its one value has to be proposed again.
        return point


class _FiniteMemory(_Memory):
    """Tried points of a finite space, as their mixed-radix numbers (see SearchSpace.point_at)."""

    def __init__(self, space: SearchSpace, skip: list[Point], rng: np.random.Generator) -> None:
        self._space = space
        self._size = space.size or 0
        self._rng = rng
        self._tried: set[int] = set()
        self._sorted: list[int] = []

        for point in skip:
            index = self._index(point)
            if index is not None:
                self._tried.add(index)
        self._sorted = sorted(self._tried)

    @property
    def exhausted(self) -> bool:
        return len(self._tried) >= self._size

    def excludes(self, point: Point) -> bool:
        return self._index(point) in self._tried

    def add(self, point: Point) -> None:
        index = self._index(point)
        if index is not None:
            self._remember(index)

    def untried_near(self, point: Point) -> Point:
        # Choose uniformly among the untried points: find the smallest number with rank + 1
        # untried numbers at or below it, by bisection over the sorted tried numbers.
        rank = _random_below(self._rng, self._size - len(self._tried))
        low, high = rank, rank + len(self._sorted)
        while low < high:
            middle = (low + high) // 2
            if middle + 1 - bisect.bisect_right(self._sorted, middle) > rank:
                high = middle
            else:
                low = middle + 1
        return self._space.point_at(low)

    def _index(self, point: Point) -> int | None:
        try:
            return self._space.index_of(point)
        except ValueError:  # not a point of this space, e.g. from a parent with another space
            return None

    def _remember(self, index: int) -> None:
        if index not in self._tried:
            self._tried.add(index)
            bisect.insort(self._sorted, index)


class _UnboundedMemory(_Memory):
    """Tried points of a discrete space with an unbounded expression such as qnormal."""

    def __init__(self, space: SearchSpace, skip: list[Point]) -> None:
        self._tried = set(skip)
        sizes = [expression.size for expression in space.values()]
        self._axis = sizes.index(None)
        self._expression = space[space.names[self._axis]]

    def excludes(self, point: Point) -> bool:
        return point in self._tried

    def add(self, point: Point) -> None:
        self._tried.add(point)

    def untried_near(self, point: Point) -> Point:
        # Walk along the unbounded axis, nearest values first: only finitely many points were
        # tried, so the walk ends.
        for value in self._expression.neighbors(point[self._axis]):
            candidate = (*point[: self._axis], value, *point[self._axis + 1 :])
            if candidate not in self._tried:
                return candidate
        raise RuntimeError(f"{self._expression!r} ran out of values")


def _random_below(rng: np.random.Generator, n: int) -> int:
    """Return a uniform random int in ``[0, n)``; ``n`` may exceed 64 bits."""
    if n <= 2**62:
        return int(rng.integers(n))

    bits = n.bit_length()
    while True:
        candidate = int.from_bytes(rng.bytes((bits + 7) // 8), "little") >> (-bits % 8)
        if candidate < n:
            return candidate
