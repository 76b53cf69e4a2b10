"""The grid of multiples of ``q`` that the q-expressions round to."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from decimal import Decimal

_BOUND_TOLERANCE = 1e-12


class QGrid:
    """Multiples ``k * q`` of a step ``q > 0``, built without float noise.

    An integral ``q`` (``4`` or ``4.0``) gives Python ``int`` values. Any other ``q`` gives floats
    computed from the shortest decimal form of ``q`` (its ``repr``), so that ``q=0.1`` and
    ``k=3`` give ``0.3`` and never ``0.30000000000000004``.
    """

    def __init__(self, q: float) -> None:
        self.q = q
        self.integral = float(q).is_integer()
        self._int_q = int(q) if self.integral else 0

        # q == mantissa * 10**exponent exactly, read from the shortest repr of q.
        digits = Decimal(repr(float(q))).as_tuple()
        self._mantissa = int("".join(str(d) for d in digits.digits))
        self._exponent = int(digits.exponent)

    def multiple(self, x: float) -> int:
        """Return ``round(x / q)``, rounding half to even."""
        return round(x / self.q)

    def value(self, k: int) -> int | float:
        """Return the ``k``-th multiple of ``q``."""
        if self.integral:
            return k * self._int_q

        # float() of a decimal string rounds correctly, so the result is the float nearest k * q.
        return float(f"{k * self._mantissa}e{self._exponent}")

    def index_of(self, value: object) -> int | None:
        """Return ``k`` with ``value(k) == value``, or None when ``value`` is not on the grid."""
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return None

        if isinstance(value, int) != self.integral or not math.isfinite(value):
            return None

        k = self.multiple(value)
        if self.value(k) != value:
            return None
        return k

    def span(self, low: float, high: float) -> tuple[int, int] | None:
        """Return the first and last ``k`` with a value in ``[low, high]``, or None if none.

        The bounds are widened by a relative 1e-12, because bounds such as ``exp(log(128))``
        come out of float arithmetic a few ulps away from the multiple they were meant to be.
        """
        low -= abs(low) * _BOUND_TOLERANCE
        high += abs(high) * _BOUND_TOLERANCE
        first = math.ceil(low / self.q)
        while self.value(first - 1) >= low:
            first -= 1
        while self.value(first) < low:
            first += 1

        last = math.floor(high / self.q)
        while self.value(last + 1) <= high:
            last += 1
        while self.value(last) > high:
            last -= 1

        if first > last:
            return None
        return first, last

    def outward(self, k: int, lowest: int | None, highest: int | None) -> Iterator[int]:
        """Yield the multiples around ``k`` in ``[lowest, highest]``, nearest first, above first."""
        for distance in itertools.count(1):
            above, below = k + distance, k - distance
            above_ok = highest is None or above <= highest
            below_ok = lowest is None or below >= lowest
            if not above_ok and not below_ok:
                return
            if above_ok:
                yield above
            if below_ok:
                yield below
