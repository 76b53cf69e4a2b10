"""Checks and conversions of the arguments of parameter expressions.

Every message starts with the expression's name (``uniform: ...``). The parameter name is
prefixed later, by :func:`hypersweep.space.parse_expression`, where it is known.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from hypersweep.errors import InvalidConfigError

Scalar = int | float | str | bool | None
"""The types of the values that expressions produce."""


def real(expression: str, field: str, value: object) -> int | float:
    """Return ``value`` as a builtin finite ``int`` or ``float``, or raise InvalidConfigError."""
    if isinstance(value, (bool, np.bool_)):
        raise InvalidConfigError(
            f"{expression}: {field}={value!r} is a bool; it must be a finite real number"
        )

    if isinstance(value, numbers.Integral):
        return int(value)

    if not isinstance(value, numbers.Real):
        raise InvalidConfigError(
            f"{expression}: {field}={value!r} ({type(value).__name__}) must be a finite real number"
        )

    converted = float(value)
    if not math.isfinite(converted):
        raise InvalidConfigError(f"{expression}: {field}={value!r} must be a finite real number")
    return converted


def positive_int(expression: str, field: str, value: object) -> int:
    """Return ``value`` as a builtin ``int`` > 0, or raise InvalidConfigError."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise InvalidConfigError(
            f"{expression}: {field}={value!r} ({type(value).__name__}) must be an int > 0"
        )

    converted = int(value)
    if converted <= 0:
        raise InvalidConfigError(f"{expression}: {field}={converted!r} must be an int > 0")
    return converted


def positive(expression: str, field: str, value: object) -> int | float:
    """Return ``value`` as a finite real number > 0, or raise InvalidConfigError."""
    converted = real(expression, field, value)
    if converted <= 0:
        raise InvalidConfigError(f"{expression}: {field}={converted!r} must be greater than 0")
    return converted


def non_negative(expression: str, field: str, value: object) -> int | float:
    """Return ``value`` as a finite real number >= 0, or raise InvalidConfigError."""
    converted = real(expression, field, value)
    if converted < 0:
        raise InvalidConfigError(f"{expression}: {field}={converted!r} must be >= 0")
    return converted


def choice_value(index: int, value: object) -> Scalar:
    """Return one value of a choice as a builtin scalar, or raise InvalidConfigError."""
    if isinstance(value, np.generic):
        value = value.item()

    if value is None or isinstance(value, bool):
        return value

    if isinstance(value, str):
        return str(value)

    if isinstance(value, int):
        return int(value)

    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidConfigError(f"choice: value {value!r} (index {index}) must be finite")
        return float(value)

    raise InvalidConfigError(
        f"choice: value {value!r} (index {index}) is a {type(value).__name__}; "
        "choice values must be int, float, str, bool or None"
    )


def choice_values(values: tuple[object, ...]) -> tuple[Scalar, ...]:
    """Return the values of ``choice(*values)`` expanded, converted and checked."""
    if not values:
        raise InvalidConfigError(
            "choice: no values given; pass one or more values, one list or one range"
        )

    if len(values) == 1 and isinstance(values[0], np.ndarray) and values[0].ndim == 1:
        values = (values[0].tolist(),)

    if len(values) == 1 and isinstance(values[0], (list, tuple, range)):
        container = values[0]
        if len(container) == 0:
            raise InvalidConfigError(
                f"choice: the {type(container).__name__} {container!r} is empty; "
                "pass one or more values"
            )
        values = tuple(container)

    converted = tuple(choice_value(index, value) for index, value in enumerate(values))

    # Equal values would be proposed as distinct configurations that the script cannot tell
    # apart; 1, 1.0 and True are equal in Python and so count as duplicates.
    first_index: dict[Scalar, int] = {}
    for index, value in enumerate(converted):
        if value in first_index:
            earlier = first_index[value]
            raise InvalidConfigError(
                f"choice: value {value!r} (index {index}) repeats value "
                f"{converted[earlier]!r} (index {earlier}); list each value once"
            )
        first_index[value] = index
    return converted


@contextmanager
def named(name: str) -> Iterator[None]:
    """Prefix the message of an InvalidConfigError raised inside the block with ``name``."""
    try:
        yield
    except InvalidConfigError as exc:
        raise InvalidConfigError(f"{name}: {exc}") from exc
