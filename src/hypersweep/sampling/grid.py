"""Grid sampling: every combination of the choices, once, in a fixed order."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

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
from hypersweep.space import SearchSpace

__all__ = ["GridParameterSampling"]


class GridParameterSampling(ParameterSampling):
    """Try every combination of the ``choice`` values once.

    Combinations come in declaration order with the last parameter varying fastest. The grid is
    never built in memory: the i-th combination is computed from i, so a grid of 2**30 points
    costs no more to start than a small one. ``properties`` is accepted for compatibility with
    Azure and must be empty.
    """

    type_name = "grid"

    def __init__(
        self,
        parameter_space: SearchSpace | Mapping[str, Any],
        *,
        properties: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(parameter_space)
        merge_properties("grid", properties, arguments={}, defaults={})

        for name, expression in self._space.items():
            if expression.type_name != "choice":
                raise InvalidConfigError(
                    f"{name}: grid sampling accepts only choice expressions; got {expression!r}. "
                    "List the values with choice(...), or use RandomParameterSampling"
                )

    def create_sampler(
        self, *, skip: Collection[Point] = (), goal: PrimaryMetricGoal = PrimaryMetricGoal.MAXIMIZE
    ) -> Sampler:
        # The order of the configurations does not depend on the outcomes, so goal is unused.
        return _GridSampler(self._space, skip)

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type_name, "space": self._space.to_dict()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GridParameterSampling:
        check_keys(data, "grid", required=("type", "space"))
        return cls(data["space"])


class _GridSampler(Sampler):
    def __init__(self, space: SearchSpace, skip: Collection[Point]) -> None:
        super().__init__()
        self._space = space
        self._size = space.size or 0
        self._next_index = 0
        self._skip: set[int] = set()

        for point in skip:
            point = as_point(space, point)
            try:
                self._skip.add(space.index_of(point))
            except ValueError:  # not a point of this grid, e.g. from a parent with another space
                continue

    def _next_configuration(self) -> Configuration | None:
        while self._next_index in self._skip:
            self._next_index += 1

        if self._next_index >= self._size:
            return None

        point = self._space.point_at(self._next_index)
        self._next_index += 1
        return dict(zip(self._space.names, point, strict=True))
