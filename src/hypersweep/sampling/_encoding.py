"""The feature space in which the Bayesian sampler models a search space.

Every hyperparameter that can take more than one value becomes one feature:

- continuous expressions map to ``[0, 1]`` through the CDF of their distribution: linearly for
  ``uniform``, linearly in the log for ``loguniform``, and through the normal CDF for ``normal``
  and for the log of ``lognormal``. Equal distances then hold equal prior probability;
- q-expressions use the scale of their base distribution, and every feature is snapped to that
  of a multiple of ``q`` that the expression produces;
- ``randint`` and a ``choice`` of numbers (no bools) are ordinal: their values, in sorted order,
  sit at the centres of equal cells of ``[0, 1]``;
- any other ``choice`` is categorical: the feature is the index of the value, and the kernel
  compares two indices only for equality.

A hyperparameter with a single value (``choice("x")``, ``normal(3, 0)``, ``loguniform(0, 0)``)
gets no feature and is always proposed with that value.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.special import ndtr, ndtri

from hypersweep.space import ParameterExpression, Scalar, SearchSpace

__all__ = ["SpaceEncoding"]

_SCALE_TYPES = {
    "uniform": "linear",
    "quniform": "linear",
    "loguniform": "log",
    "qloguniform": "log",
    "normal": "normal",
    "qnormal": "normal",
    "lognormal": "lognormal",
    "qlognormal": "lognormal",
}

# u is kept this far inside (0, 1) when it is mapped back through the normal quantile function,
# as the expressions themselves do.
_U_MIN = 2.0**-53


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class _Scale:
    """The CDF-like map between values of a base distribution and ``[0, 1]``."""

    def __init__(self, kind: str, first: float, second: float) -> None:
        # (first, second) are (low, high) for the uniform kinds and (mu, sigma) for the normal
        # kinds, as the expressions take them.
        self.kind = kind
        self.first = float(first)
        self.second = float(second)

    def to_unit(self, x: np.ndarray) -> np.ndarray:
        if self.kind in ("log", "lognormal"):
            with np.errstate(divide="ignore", invalid="ignore"):
                x = np.where(x > 0, np.log(np.maximum(x, np.finfo(float).tiny)), -np.inf)

        if self.kind in ("linear", "log"):
            u = (x - self.first) / (self.second - self.first)
        else:
            u = ndtr((x - self.first) / self.second)
        return np.clip(u, 0.0, 1.0)

    def from_unit(self, u: np.ndarray) -> np.ndarray:
        if self.kind in ("linear", "log"):
            x = self.first + u * (self.second - self.first)
        else:
            x = self.first + self.second * ndtri(np.clip(u, _U_MIN, 1.0 - _U_MIN))

        if self.kind in ("log", "lognormal"):
            return np.exp(x)
        return x


class _Axis:
    """One feature: how values of one hyperparameter map to ``[0, 1]`` and back."""

    categorical = False
    levels: int | None = None
    """The number of categories of a categorical axis."""

    def __init__(self, expression: ParameterExpression) -> None:
        self.expression = expression

    def encode(self, value: object) -> float | None:
        """Return the feature of ``value``, or None when ``value`` cannot be placed."""
        if not _is_number(value) or not math.isfinite(float(value)):  # type: ignore[arg-type]
            return None
        return float(self._encode(np.array([float(value)]))[0])  # type: ignore[arg-type]

    def snap(self, u: np.ndarray) -> np.ndarray:
        """Move features onto the features of values that the expression can produce."""
        return np.clip(u, 0.0, 1.0)

    def from_unit(self, u: np.ndarray) -> np.ndarray:
        """Map points of ``[0, 1]`` to features, so that uniform draws follow the prior."""
        return self.snap(u)

    def decode(self, u: float) -> Scalar:
        """Return the value whose feature is ``u`` (after :meth:`snap`)."""
        value: Scalar = self.expression.from_unit(min(max(u, 0.0), 1.0))
        return value

    def _encode(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class _ContinuousAxis(_Axis):
    def __init__(self, expression: ParameterExpression, scale: _Scale) -> None:
        super().__init__(expression)
        self._scale = scale

    def _encode(self, x: np.ndarray) -> np.ndarray:
        return self._scale.to_unit(x)


class _QuantizedAxis(_Axis):
    """A q-expression: multiples of ``q``, on the scale of its base distribution."""

    def __init__(self, expression: ParameterExpression, scale: _Scale, q: float) -> None:
        super().__init__(expression)
        self._scale = scale
        self._q = float(q)

        # The range of multiples k that the expression produces; qlognormal stops at 0 and
        # qnormal is unbounded.
        low, high = expression.bounds or (-math.inf, math.inf)
        self._first = round(low / self._q) if math.isfinite(low) else -math.inf
        self._last = round(high / self._q) if math.isfinite(high) else math.inf
        if scale.kind == "lognormal":
            self._first = 0

    def snap(self, u: np.ndarray) -> np.ndarray:
        multiples = np.round(self._scale.from_unit(np.clip(u, 0.0, 1.0)) / self._q)
        multiples = np.clip(multiples, self._first, self._last)
        return self._scale.to_unit(multiples * self._q)

    def _encode(self, x: np.ndarray) -> np.ndarray:
        return self._scale.to_unit(x)


class _OrdinalAxis(_Axis):
    """``randint`` or a numeric ``choice``: sorted values at the centres of equal cells."""

    def __init__(self, expression: ParameterExpression, values: Sequence[Scalar]) -> None:
        super().__init__(expression)
        self._values = sorted(values, key=float)  # type: ignore[arg-type]
        self._numbers = np.array([float(v) for v in self._values])  # type: ignore[arg-type]
        self._size = len(self._values)

    def snap(self, u: np.ndarray) -> np.ndarray:
        cells = np.minimum(np.floor(np.clip(u, 0.0, 1.0) * self._size), self._size - 1)
        return (cells + 0.5) / self._size

    def decode(self, u: float) -> Scalar:
        cell = min(int(min(max(u, 0.0), 1.0) * self._size), self._size - 1)
        return self._values[cell]

    def _encode(self, x: np.ndarray) -> np.ndarray:
        # A value between two of the values (a warm-start parent may have used another space)
        # gets a position between theirs.
        rank = np.interp(x, self._numbers, np.arange(self._size, dtype=float))
        return (rank + 0.5) / self._size


class _CategoricalAxis(_Axis):
    """A ``choice`` of non-numeric values: the feature is the index of the value."""

    categorical = True

    def __init__(self, expression: ParameterExpression) -> None:
        super().__init__(expression)
        self.levels = expression.size

    def encode(self, value: object) -> float | None:
        try:
            return float(self.expression.index_of(value))
        except ValueError:
            return None

    def snap(self, u: np.ndarray) -> np.ndarray:
        return np.clip(np.round(u), 0, (self.levels or 1) - 1)

    def from_unit(self, u: np.ndarray) -> np.ndarray:
        levels = self.levels or 1
        return np.minimum(np.floor(np.clip(u, 0.0, 1.0) * levels), levels - 1)

    def decode(self, u: float) -> Scalar:
        return self.expression.value_at(int(round(u)))


class SpaceEncoding:
    """The features of a search space, and the maps between points and feature vectors."""

    def __init__(self, space: SearchSpace) -> None:
        self.space = space
        self._fixed: dict[int, Scalar] = {}
        self._axes: list[_Axis] = []
        self._positions: list[int] = []

        for position, expression in enumerate(space.values()):
            constant = _constant_value(expression)
            if constant is not None:
                self._fixed[position] = constant[0]
                continue
            self._axes.append(_axis(expression))
            self._positions.append(position)

        self.categorical = np.array([axis.categorical for axis in self._axes], dtype=bool)
        self.levels = np.array([axis.levels or 0 for axis in self._axes], dtype=int)

    @property
    def dimensions(self) -> int:
        """The number of features."""
        return len(self._axes)

    def encode(self, point: Sequence[Any]) -> np.ndarray | None:
        """Return the feature vector of a point, or None when a value cannot be placed."""
        features = np.empty(self.dimensions)
        for index, (axis, position) in enumerate(zip(self._axes, self._positions, strict=True)):
            feature = axis.encode(point[position])
            if feature is None:
                return None
            features[index] = feature
        return features

    def snap(self, features: np.ndarray) -> np.ndarray:
        """Move rows of features onto the features of points of the space."""
        snapped = np.empty_like(features)
        for index, axis in enumerate(self._axes):
            snapped[:, index] = axis.snap(features[:, index])
        return snapped

    def from_unit(self, cube: np.ndarray) -> np.ndarray:
        """Map rows of points of the unit cube to features of points of the space.

        Uniform rows give points distributed as the expressions draw them, so a space-filling
        design in the cube gives a space-filling design of the search space.
        """
        features = np.empty_like(cube)
        for index, axis in enumerate(self._axes):
            features[:, index] = axis.from_unit(cube[:, index])
        return features

    def decode(self, features: np.ndarray) -> tuple[Scalar, ...]:
        """Return the point whose snapped feature vector is ``features``."""
        values: list[Scalar] = [None] * len(self.space)
        for position, value in self._fixed.items():
            values[position] = value
        for axis, position, feature in zip(self._axes, self._positions, features, strict=True):
            values[position] = axis.decode(float(feature))
        return tuple(values)


def _constant_value(expression: ParameterExpression) -> tuple[Scalar] | None:
    """Return the only value of an expression as a 1-tuple, or None if it has several."""
    if expression.size == 1:
        return (expression.value_at(0),)

    if expression.type_name in ("normal", "lognormal", "qnormal", "qlognormal"):
        if expression.args[1] == 0:
            return (expression.from_unit(0.5),)
        return None

    bounds = expression.bounds
    if bounds is not None and bounds[0] == bounds[1]:
        return (expression.from_unit(0.5),)
    return None


def _axis(expression: ParameterExpression) -> _Axis:
    type_name = expression.type_name
    if type_name == "randint":
        return _OrdinalAxis(expression, expression.values())

    if type_name == "choice":
        values = expression.values()
        if all(_is_number(value) for value in values):
            return _OrdinalAxis(expression, values)
        return _CategoricalAxis(expression)

    scale = _Scale(_SCALE_TYPES[type_name], expression.args[0], expression.args[1])
    if type_name.startswith("q"):
        return _QuantizedAxis(expression, scale, expression.args[2])
    return _ContinuousAxis(expression, scale)
