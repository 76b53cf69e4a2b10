"""Random sampling: independent draws, or a scrambled Sobol sequence with ``rule="sobol"``."""

from __future__ import annotations

import inspect
import logging
import warnings
from collections.abc import Callable, Collection, Iterator, Mapping
from typing import Any

import numpy as np
from scipy.stats import qmc

from hypersweep.enums import PrimaryMetricGoal
from hypersweep.errors import InvalidConfigError
from hypersweep.sampling._tried_points import TriedPoints
from hypersweep.sampling.base import (
    Configuration,
    ParameterSampling,
    Point,
    Sampler,
    as_point,
    check_keys,
    merge_properties,
    resolve_seed,
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

        self._seed = resolve_seed("random", merged["seed"])
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

        self._fallback_rng = np.random.default_rng(fallback_seed)
        points = [as_point(space, point) for point in skip]
        self._memory: TriedPoints | _ContinuousMemory
        if all(expression.is_discrete for expression in expressions):
            self._memory = TriedPoints(space)
            for point in points:
                self._memory.add(point)
        else:
            self._memory = _ContinuousMemory(points)

    def _next_configuration(self) -> Configuration | None:
        if self._memory.exhausted:
            return None

        point = self._draw()
        tries = 1
        while self._memory.contains(point):
            if tries == _MAX_TRIES:
                logger.debug(
                    "%d draws were all excluded; choosing an untried point directly", tries
                )
                untried = self._memory.untried_near(point, self._fallback_rng)
                if untried is None:  # every point was tried
                    return None
                point = untried
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


class _ContinuousMemory:
    """Repeats are allowed in a space with a continuous expression; only skipped points are not."""

    exhausted = False

    def __init__(self, skip: list[Point]) -> None:
        self._skip = set(skip)

    def contains(self, point: Point) -> bool:
        return point in self._skip

    def add(self, point: Point) -> None:
        pass

    def untried_near(self, point: Point, rng: np.random.Generator) -> Point:
        # Only a degenerate expression such as normal(0, 0) draws a skipped point 64 times in a
        # row; its one value has to be proposed again.
        return point
