"""Parameter expressions: the distributions that a search space draws each hyperparameter from.

Construct them with the functions :func:`choice`, :func:`randint`, :func:`uniform`,
:func:`loguniform`, :func:`normal`, :func:`lognormal`, :func:`quniform`, :func:`qloguniform`,
:func:`qnormal` and :func:`qlognormal`. Every expression draws with a ``numpy.random.Generator``
that the caller passes in, maps a number ``u`` in ``[0, 1)`` to a value through its inverse
CDF (``from_unit``), and produces builtin Python values only.
"""

from __future__ import annotations

import abc
import math
import numbers
from collections.abc import Iterator
from typing import Any

import numpy as np
from scipy.special import ndtri

from hypersweep.errors import InvalidConfigError
from hypersweep.space import _checks
from hypersweep.space._checks import Scalar
from hypersweep.space._qgrid import QGrid

__all__ = [
    "ParameterExpression",
    "Scalar",
    "choice",
    "lognormal",
    "loguniform",
    "normal",
    "qlognormal",
    "qloguniform",
    "qnormal",
    "quniform",
    "randint",
    "uniform",
]

# Normal draws are clipped to this many standard deviations: the quantile of 2**-53, the
# smallest u that from_unit distinguishes from 0. Clipping changes the distribution by less than
# 1e-15 and keeps exp() of a draw finite whenever exp() of the clip bound is.
_Z_MAX = float(-ndtri(2.0**-53))
_U_MIN = 2.0**-53
_U_MAX = 1.0 - 2.0**-53

# The largest x with a finite exp(x).
_LOG_MAX = math.log(np.finfo(float).max)


class ParameterExpression(abc.ABC):
    """A distribution of one hyperparameter, such as ``uniform(0.05, 0.1)``.

    ``type_name`` is the expression's name (``"uniform"``), ``args`` are its arguments
    (for ``choice``, its values), and ``to_list()`` is the canonical serialised form
    ``[type_name, [args...]]``.
    """

    type_name: str
    is_discrete: bool

    def __init__(self, type_name: str, args: tuple[Any, ...]) -> None:
        self.type_name = type_name
        self._args = args

    @property
    def args(self) -> tuple[Any, ...]:
        """The constructor arguments (numbers converted to builtin types)."""
        return self._args

    @property
    @abc.abstractmethod
    def bounds(self) -> tuple[float, float] | None:
        """The smallest and largest value produced, or None for non-numeric choices."""

    @property
    def size(self) -> int | None:
        """The number of distinct values, or None when continuous or unbounded."""
        return None

    def sample(self, rng: np.random.Generator, size: int | None = None) -> Any:
        """Draw one value, or a list of ``size`` values, with the generator ``rng``."""
        if not isinstance(rng, np.random.Generator):
            raise TypeError(
                f"rng={rng!r} must be a numpy.random.Generator, e.g. numpy.random.default_rng(0)"
            )

        if size is None:
            return self._draw(rng, 1)[0]

        if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 0:
            raise ValueError(f"size={size!r} must be None or an int >= 0")
        return self._draw(rng, int(size))

    def from_unit(self, u: float) -> Any:
        """Map ``u`` in ``[0, 1)`` to a value through the inverse CDF of this distribution.

        A uniformly distributed ``u`` gives values distributed as :meth:`sample` gives them.
        """
        u = float(u)
        if not 0.0 <= u <= 1.0:
            raise ValueError(f"u={u!r} must lie in [0, 1)")
        return self._from_unit(u)

    def values(self) -> list[Scalar]:
        """Return the distinct values in order; only for finite discrete expressions."""
        size = self._finite_size("values()")
        return [self.value_at(index) for index in range(size)]

    def value_at(self, index: int) -> Scalar:
        """Return the ``index``-th of :meth:`values` without building the list."""
        size = self._finite_size("value_at()")
        if not 0 <= index < size:
            raise IndexError(f"index {index} is out of range for {self!r} with {size} values")
        return self._value_at(index)

    def index_of(self, value: object) -> int:
        """Return the position of ``value`` in :meth:`values`; ValueError if it is not one."""
        self._finite_size("index_of()")
        index = self._index_of(value)
        if index is None:
            raise ValueError(f"{value!r} is not a value of {self!r}")
        return index

    def neighbors(self, value: Any) -> Iterator[Scalar]:
        """Yield the other values of a discrete expression, nearest to ``value`` first.

        The iterator is endless for unbounded expressions such as ``qnormal``.
        """
        raise TypeError(f"{self!r} is continuous; neighbors() needs a discrete expression")

    def to_list(self) -> list[Any]:
        """Return the canonical serialised form ``[type_name, [args...]]``."""
        return [self.type_name, list(self._args)]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ParameterExpression):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"{self.type_name}({', '.join(repr(arg) for arg in self._args)})"

    def _key(self) -> tuple[Any, ...]:
        return (self.type_name, self._args)

    def _finite_size(self, method: str) -> int:
        size = self.size
        if size is None:
            kind = "unbounded" if self.is_discrete else "continuous"
            raise TypeError(f"{method} needs a finite discrete expression; {self!r} is {kind}")
        return size

    @abc.abstractmethod
    def _draw(self, rng: np.random.Generator, n: int) -> list[Any]:
        """Draw ``n`` values."""

    @abc.abstractmethod
    def _from_unit(self, u: float) -> Any:
        """Map ``u`` in ``[0, 1]`` to a value."""

    def _value_at(self, index: int) -> Scalar:
        raise NotImplementedError

    def _index_of(self, value: object) -> int | None:
        raise NotImplementedError


class _FiniteExpression(ParameterExpression):
    """A discrete expression of ``size`` values ``value_at(0) ...``, each equally likely."""

    is_discrete = True

    @property
    @abc.abstractmethod
    def size(self) -> int:
        """The number of distinct values."""

    def neighbors(self, value: Any) -> Iterator[Scalar]:
        index = self.index_of(value)
        for distance in range(1, self.size):
            if index + distance < self.size:
                yield self._value_at(index + distance)
            if index - distance >= 0:
                yield self._value_at(index - distance)

    def _draw(self, rng: np.random.Generator, n: int) -> list[Any]:
        return [self._value_at(int(index)) for index in rng.integers(self.size, size=n)]

    def _from_unit(self, u: float) -> Any:
        return self._value_at(min(int(u * self.size), self.size - 1))


class _Choice(_FiniteExpression):
    def __init__(self, values: tuple[Scalar, ...]) -> None:
        super().__init__("choice", values)
        self._positions = {value: index for index, value in enumerate(values)}

    @property
    def size(self) -> int:
        return len(self._args)

    @property
    def bounds(self) -> tuple[float, float] | None:
        numeric = all(
            isinstance(value, (int, float)) and not isinstance(value, bool) for value in self._args
        )
        if not numeric:
            return None
        return float(min(self._args)), float(max(self._args))

    def to_list(self) -> list[Any]:
        return ["choice", [list(self._args)]]

    def _key(self) -> tuple[Any, ...]:
        # 1 and 1.0 reach the script as different strings, so the value types count.
        return ("choice", tuple((type(value), value) for value in self._args))

    def _value_at(self, index: int) -> Scalar:
        value: Scalar = self._args[index]
        return value

    def _index_of(self, value: object) -> int | None:
        try:
            index = self._positions.get(value)  # type: ignore[call-overload]
        except TypeError:  # an unhashable value is no choice value
            return None
        if index is None or type(self._args[index]) is not type(value):
            return None
        return index


class _RandInt(_FiniteExpression):
    def __init__(self, upper: int) -> None:
        super().__init__("randint", (upper,))
        self._upper = upper

    @property
    def size(self) -> int:
        return self._upper

    @property
    def bounds(self) -> tuple[float, float]:
        return 0.0, float(self._upper - 1)

    def _value_at(self, index: int) -> int:
        return index

    def _index_of(self, value: object) -> int | None:
        if type(value) is not int or not 0 <= value < self._upper:
            return None
        return value


class _Continuous(ParameterExpression):
    """A continuous distribution of ``x`` or, with ``log=True``, of ``exp(x)``."""

    is_discrete = False

    def __init__(self, type_name: str, args: tuple[Any, ...], *, log: bool) -> None:
        super().__init__(type_name, args)
        self.log = log

    @property
    def bounds(self) -> tuple[float, float]:
        low, high = self._raw_bounds()
        if self.log:
            return math.exp(low), math.exp(high)
        return float(low), float(high)

    def draw_array(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draw ``n`` values as a float array (used by the q-expressions)."""
        raw = self._draw_raw(rng, n)
        return np.exp(raw) if self.log else raw

    def _draw(self, rng: np.random.Generator, n: int) -> list[Any]:
        values: list[Any] = self.draw_array(rng, n).tolist()
        return values

    def _from_unit(self, u: float) -> float:
        raw = self._raw_from_unit(u)
        return math.exp(raw) if self.log else raw

    @abc.abstractmethod
    def _raw_bounds(self) -> tuple[float, float]:
        """Return the bounds of ``x``, before ``exp``."""

    @abc.abstractmethod
    def _draw_raw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draw ``n`` values of ``x``."""

    @abc.abstractmethod
    def _raw_from_unit(self, u: float) -> float:
        """Map ``u`` to ``x``."""


class _Uniform(_Continuous):
    def __init__(self, type_name: str, low: float, high: float, *, log: bool) -> None:
        super().__init__(type_name, (low, high), log=log)
        self._low = low
        self._high = high

    def _raw_bounds(self) -> tuple[float, float]:
        return self._low, self._high

    def _draw_raw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.uniform(self._low, self._high, size=n)

    def _raw_from_unit(self, u: float) -> float:
        return min(self._low + u * (self._high - self._low), float(self._high))


class _Normal(_Continuous):
    def __init__(self, type_name: str, mu: float, sigma: float, *, log: bool) -> None:
        super().__init__(type_name, (mu, sigma), log=log)
        self._mu = mu
        self._sigma = sigma

    def _raw_bounds(self) -> tuple[float, float]:
        return -math.inf, math.inf

    def _draw_raw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        z = np.clip(rng.standard_normal(n), -_Z_MAX, _Z_MAX)
        return self._mu + self._sigma * z

    def _raw_from_unit(self, u: float) -> float:
        z = float(ndtri(min(max(u, _U_MIN), _U_MAX)))
        return self._mu + self._sigma * z


class _Quantized(ParameterExpression):
    """``round(base / q) * q``; kept inside the base's range when that range is bounded."""

    is_discrete = True

    def __init__(self, type_name: str, args: tuple[Any, ...], base: _Continuous, q: float) -> None:
        super().__init__(type_name, args)
        self._base = base
        self._grid = QGrid(q)

        low, high = base.bounds
        self._span: tuple[int, int] | None = None
        self._lowest: int | None = None
        if math.isfinite(low) and math.isfinite(high):
            interval = f"[{args[0]!r}, {args[1]!r}]"
            if base.log:
                interval = f"[exp({args[0]!r}), exp({args[1]!r})] = [{low!r}, {high!r}]"

            if not math.isfinite(max(abs(low), abs(high)) / q):
                raise InvalidConfigError(
                    f"{type_name}: q={q!r} is too small for the range {interval}; use a larger q"
                )

            self._span = self._grid.span(low, high)
            if self._span is None:
                raise InvalidConfigError(
                    f"{type_name}: no multiple of q={q!r} lies in {interval}; "
                    "widen the range or use a smaller q"
                )
            self._lowest = self._span[0]
        elif low == 0.0:
            # qlognormal: exp() is positive, so the multiples start at 0.
            self._lowest = 0

    @property
    def size(self) -> int | None:
        if self._span is None:
            return None
        first, last = self._span
        return last - first + 1

    @property
    def bounds(self) -> tuple[float, float]:
        if self._span is None:
            return self._base.bounds
        first, last = self._span
        return float(self._grid.value(first)), float(self._grid.value(last))

    def neighbors(self, value: Any) -> Iterator[Scalar]:
        k = self._grid.index_of(value)
        if k is None or not self._contains(k):
            raise ValueError(f"{value!r} is not a value of {self!r}")

        highest = None if self._span is None else self._span[1]
        for multiple in self._grid.outward(k, self._lowest, highest):
            yield self._grid.value(multiple)

    def _draw(self, rng: np.random.Generator, n: int) -> list[Any]:
        return [self._quantize(float(x)) for x in self._base.draw_array(rng, n)]

    def _from_unit(self, u: float) -> Any:
        return self._quantize(self._base.from_unit(u))

    def _quantize(self, x: float) -> int | float:
        k = self._grid.multiple(x)
        if self._span is not None:
            # Rounding can step one multiple past either end of the range.
            first, last = self._span
            k = min(max(k, first), last)
        elif self._lowest is not None:
            k = max(k, self._lowest)
        return self._grid.value(k)

    def _contains(self, k: int) -> bool:
        if self._span is not None:
            return self._span[0] <= k <= self._span[1]
        return self._lowest is None or k >= self._lowest

    def _value_at(self, index: int) -> Scalar:
        if self._span is None:
            raise TypeError(f"{self!r} is unbounded and has no list of values")
        return self._grid.value(self._span[0] + index)

    def _index_of(self, value: object) -> int | None:
        k = self._grid.index_of(value)
        if k is None or self._span is None or not self._contains(k):
            return None
        return k - self._span[0]


# Constructors. Each checks its arguments and names the expression in its messages.


def choice(*values: Any) -> ParameterExpression:
    """Return an expression that draws one of ``values``, each equally likely.

    Pass one or more values (``choice(16, 32, 64)``), exactly one list (``choice([16, 32, 64])``,
    a tuple or a 1-D NumPy array too) or exactly one range (``choice(range(1, 5))``). Values are
    int, float, str, bool or None.
    """
    return _Choice(_checks.choice_values(values))


def randint(upper: int) -> ParameterExpression:
    """Return an expression that draws an integer in ``[0, upper)``, each equally likely."""
    return _RandInt(_checks.positive_int("randint", "upper", upper))


def uniform(low: float, high: float) -> ParameterExpression:
    """Return an expression that draws a real number uniformly from ``[low, high]``."""
    low, high = _uniform_bounds("uniform", low, high, strict=True)
    return _Uniform("uniform", low, high, log=False)


def loguniform(low: float, high: float) -> ParameterExpression:
    """Return ``exp(uniform(low, high))``: the bounds are natural-log exponents, not values."""
    low, high = _uniform_bounds("loguniform", low, high, strict=False)
    return _Uniform("loguniform", low, high, log=True)


def normal(mu: float, sigma: float) -> ParameterExpression:
    """Return an expression that draws from a normal distribution N(``mu``, ``sigma``)."""
    mu, sigma = _normal_parameters("normal", mu, sigma, log=False)
    return _Normal("normal", mu, sigma, log=False)


def lognormal(mu: float, sigma: float) -> ParameterExpression:
    """Return ``exp(normal(mu, sigma))``: ``mu`` and ``sigma`` describe the log of the value."""
    mu, sigma = _normal_parameters("lognormal", mu, sigma, log=True)
    return _Normal("lognormal", mu, sigma, log=True)


def quniform(low: float, high: float, q: float) -> ParameterExpression:
    """Return ``round(uniform(low, high) / q) * q``, kept inside ``[low, high]``."""
    low, high = _uniform_bounds("quniform", low, high, strict=True)
    q = _checks.positive("quniform", "q", q)
    base = _Uniform("uniform", low, high, log=False)
    return _Quantized("quniform", (low, high, q), base, q)


def qloguniform(low: float, high: float, q: float) -> ParameterExpression:
    """Return ``round(exp(uniform(low, high)) / q) * q``, kept in ``[exp(low), exp(high)]``."""
    low, high = _uniform_bounds("qloguniform", low, high, strict=False)
    q = _checks.positive("qloguniform", "q", q)
    base = _Uniform("loguniform", low, high, log=True)
    return _Quantized("qloguniform", (low, high, q), base, q)


def qnormal(mu: float, sigma: float, q: float) -> ParameterExpression:
    """Return ``round(normal(mu, sigma) / q) * q``."""
    mu, sigma = _normal_parameters("qnormal", mu, sigma, log=False)
    q = _checks.positive("qnormal", "q", q)
    base = _Normal("normal", mu, sigma, log=False)
    return _Quantized("qnormal", (mu, sigma, q), base, q)


def qlognormal(mu: float, sigma: float, q: float) -> ParameterExpression:
    """Return ``round(exp(normal(mu, sigma)) / q) * q``."""
    mu, sigma = _normal_parameters("qlognormal", mu, sigma, log=True)
    q = _checks.positive("qlognormal", "q", q)
    base = _Normal("lognormal", mu, sigma, log=True)
    return _Quantized("qlognormal", (mu, sigma, q), base, q)


def _uniform_bounds(
    expression: str, low: object, high: object, *, strict: bool
) -> tuple[int | float, int | float]:
    low = _checks.real(expression, "low", low)
    high = _checks.real(expression, "high", high)

    if strict and not low < high:
        raise InvalidConfigError(f"{expression}: low={low!r} must be less than high={high!r}")

    if not strict and not low <= high:
        raise InvalidConfigError(
            f"{expression}: low={low!r} must be less than or equal to high={high!r}"
        )

    if not math.isfinite(float(high) - float(low)):
        raise InvalidConfigError(
            f"{expression}: the range [{low!r}, {high!r}] is too wide for a float; narrow it"
        )

    if not strict and high > _LOG_MAX:
        raise InvalidConfigError(
            f"{expression}: high={high!r} makes exp(high) overflow a float; the bounds are "
            f"natural-log exponents (pass math.log(value)), at most {_LOG_MAX:.4f}"
        )
    return low, high


def _normal_parameters(
    expression: str, mu: object, sigma: object, *, log: bool
) -> tuple[int | float, int | float]:
    mu = _checks.real(expression, "mu", mu)
    sigma = _checks.non_negative(expression, "sigma", sigma)

    extreme = abs(mu) + _Z_MAX * sigma
    if not math.isfinite(extreme):
        raise InvalidConfigError(
            f"{expression}: mu={mu!r} and sigma={sigma!r} are too large for a float"
        )

    if log and mu + _Z_MAX * sigma > _LOG_MAX:
        raise InvalidConfigError(
            f"{expression}: mu={mu!r} and sigma={sigma!r} make exp(value) overflow a float; mu "
            "and sigma are the mean and standard deviation of the natural log of the value"
        )
    return mu, sigma
