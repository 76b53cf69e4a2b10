"""The points that a sampler must not propose again: proposed, observed or skipped ones."""

from __future__ import annotations

import bisect

import numpy as np

from hypersweep.sampling.base import Point
from hypersweep.space import SearchSpace

__all__ = ["TriedPoints", "random_below"]


class TriedPoints:
    """The points proposed, observed or skipped; numbered as in SearchSpace.point_at if finite."""

    def __init__(self, space: SearchSpace) -> None:
        self._space = space
        self._size = space.size
        self._indices: list[int] = []
        self._points: set[Point] = set()

    @property
    def exhausted(self) -> bool:
        """Whether every point of a finite space was tried."""
        return self._size is not None and len(self._indices) >= self._size

    def add(self, point: Point) -> None:
        if self._size is None:
            try:
                self._points.add(point)
            except TypeError:  # an unhashable value lies outside every space
                pass
            return

        index = self._index(point)
        if index is None:
            return
        position = bisect.bisect_left(self._indices, index)
        if position == len(self._indices) or self._indices[position] != index:
            self._indices.insert(position, index)

    def contains(self, point: Point) -> bool:
        if self._size is None:
            try:
                return point in self._points
            except TypeError:
                return False

        index = self._index(point)
        position = bisect.bisect_left(self._indices, index) if index is not None else 0
        return (
            index is not None
            and position < len(self._indices)
            and self._indices[position] == index
        )

    def untried_indices(self, limit: int) -> np.ndarray | None:
        """Return the numbers of the untried points, in increasing order, of a small space.

        Returns None when the space is infinite or has more than ``limit`` points.
        """
        if self._size is None or self._size > limit:
            return None
        untried = np.ones(self._size, dtype=bool)
        untried[self._indices] = False
        return np.flatnonzero(untried)

    def untried_near(self, point: Point, rng: np.random.Generator) -> Point | None:
        """Return an untried point instead of the tried ``point``, or None if none is left.

        A finite space gives a uniformly chosen untried point. A discrete space with an
        unbounded expression walks along that expression's values, nearest first. Any other
        space may repeat a point, so ``point`` itself is returned.
        """
        if self._size is not None:
            return self._uniform_untried(rng)

        expressions = list(self._space.values())
        if not all(expression.is_discrete for expression in expressions):
            return point

        # Only finitely many points were tried, so the walk ends.
        axis = [expression.size for expression in expressions].index(None)
        for value in expressions[axis].neighbors(point[axis]):
            candidate = (*point[:axis], value, *point[axis + 1 :])
            if not self.contains(candidate):
                return candidate
        return None

    def _uniform_untried(self, rng: np.random.Generator) -> Point | None:
        if self._size is None or self.exhausted:
            return None

        # The rank-th untried number is the smallest m with m + 1 - (tried numbers <= m) > rank.
        rank = random_below(rng, self._size - len(self._indices))
        low, high = rank, rank + len(self._indices)
        while low < high:
            middle = (low + high) // 2
            if middle + 1 - bisect.bisect_right(self._indices, middle) > rank:
                high = middle
            else:
                low = middle + 1
        return self._space.point_at(low)

    def _index(self, point: Point) -> int | None:
        try:
            return self._space.index_of(point)
        except (ValueError, TypeError):
            return None


def random_below(rng: np.random.Generator, n: int) -> int:
    """Return a uniform random int in ``[0, n)``; ``n`` may exceed 64 bits."""
    if n <= 2**62:
        return int(rng.integers(n))

    bits = n.bit_length()
    while True:
        candidate = int.from_bytes(rng.bytes((bits + 7) // 8), "little") >> (-bits % 8)
        if candidate < n:
            return candidate
