"""The search space: an ordered, immutable mapping from hyperparameter name to expression."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

from hypersweep.errors import InvalidConfigError
from hypersweep.space._checks import Scalar
from hypersweep.space._parse import parse_expression
from hypersweep.space.expressions import ParameterExpression

__all__ = ["SearchSpace"]


class SearchSpace(Mapping[str, ParameterExpression]):
    """An ordered, immutable mapping from hyperparameter name to :class:`ParameterExpression`.

    Values may be given in any form that :func:`parse_expression` accepts. A name is a Python
    identifier (``learning_rate``, passed to the script as ``--learning_rate``) or starts with
    ``-`` (``--learning-rate``, passed verbatim). The declaration order is kept: it is the order
    of the script's arguments and of grid enumeration.

    For finite discrete spaces a *point* is a tuple of values in declaration order, and the points
    are numbered in mixed radix with the last parameter varying fastest (see :meth:`point_at`).
    """

    def __init__(self, mapping: Mapping[str, Any]) -> None:
        if not isinstance(mapping, Mapping):
            raise InvalidConfigError(
                f"search space: {mapping!r} must be a mapping from name to expression, "
                "e.g. {'learning_rate': uniform(0.05, 0.1)}"
            )

        if len(mapping) == 0:
            raise InvalidConfigError(
                "search space: no hyperparameters given; give at least one, "
                "e.g. {'learning_rate': uniform(0.05, 0.1)}"
            )

        expressions: dict[str, ParameterExpression] = {}
        for name, value in mapping.items():
            _check_name(name)
            expressions[name] = parse_expression(name, value)
        _check_argument_clashes(expressions)

        self._expressions = expressions
        self._names = tuple(expressions)

        sizes = [expression.size for expression in expressions.values()]
        self._size = None if None in sizes else math.prod(size or 0 for size in sizes)

    @classmethod
    def from_dict(cls, mapping: Mapping[str, Any]) -> SearchSpace:
        """Build a search space from a mapping in any accepted form, e.g. :meth:`to_dict`'s."""
        return cls(mapping)

    @property
    def names(self) -> tuple[str, ...]:
        """The hyperparameter names, in declaration order."""
        return self._names

    @property
    def is_discrete(self) -> bool:
        """Whether every expression is discrete with a finite number of values."""
        return self._size is not None

    @property
    def size(self) -> int | None:
        """The number of distinct configurations, or None when some expression is not finite."""
        return self._size

    def point_at(self, index: int) -> tuple[Scalar, ...]:
        """Return the ``index``-th point of a finite discrete space, last parameter fastest."""
        size = self._finite_size("point_at()")
        if not 0 <= index < size:
            raise IndexError(f"index {index} is out of range for a space of {size} points")

        values: list[Scalar] = []
        for expression in reversed(self._expressions.values()):
            index, digit = divmod(index, expression.size or 0)
            values.append(expression.value_at(digit))
        return tuple(reversed(values))

    def index_of(self, point: tuple[Any, ...]) -> int:
        """Return the number of ``point`` (see :meth:`point_at`); ValueError if not in the space."""
        self._finite_size("index_of()")
        if len(point) != len(self._names):
            raise ValueError(
                f"point {point!r} has {len(point)} values; this space has {len(self._names)} "
                f"parameters ({', '.join(self._names)})"
            )

        index = 0
        for expression, value in zip(self._expressions.values(), point, strict=True):
            index = index * (expression.size or 0) + expression.index_of(value)
        return index

    def to_dict(self) -> dict[str, list[Any]]:
        """Return the space as ``{name: [type, [args...]]}``, serialisable as JSON."""
        return {name: expression.to_list() for name, expression in self._expressions.items()}

    def __getitem__(self, name: str) -> ParameterExpression:
        return self._expressions[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SearchSpace):
            return NotImplemented
        # Order matters: it decides the argument order and the grid order.
        return list(self._expressions.items()) == list(other._expressions.items())

    def __hash__(self) -> int:
        return hash(tuple(self._expressions.items()))

    def __repr__(self) -> str:
        return f"SearchSpace({self._expressions!r})"

    def _finite_size(self, method: str) -> int:
        if self._size is None:
            raise TypeError(f"{method} needs a space of finite discrete expressions; {self!r}")
        return self._size


def _check_name(name: object) -> None:
    if not isinstance(name, str):
        raise InvalidConfigError(
            f"search space: name {name!r} ({type(name).__name__}) must be a string"
        )

    if name.isidentifier():
        return

    if name.startswith("-") and name.strip("-") and not any(c.isspace() for c in name):
        return

    raise InvalidConfigError(
        f"search space: name {name!r} is invalid; use a Python identifier such as "
        "'learning_rate' or a command-line option that starts with '-' such as '--learning-rate'"
    )


def _check_argument_clashes(expressions: Mapping[str, ParameterExpression]) -> None:
    # A name that is not an option gets "--" prepended on the command line, so "lr" and "--lr"
    # would both become the argument --lr.
    for name in expressions:
        if name.startswith("--") and name[2:] in expressions:
            raise InvalidConfigError(
                f"search space: names {name[2:]!r} and {name!r} both become the script "
                f"argument {name}; keep one of them"
            )
