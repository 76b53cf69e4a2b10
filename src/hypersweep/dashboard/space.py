"""Chart axes of hyperparameters: categories, a log scale or a linear one."""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from hypersweep.store import ParentRunRecord

__all__ = ["ParamAxis", "display_value", "param_axes", "search_space"]

AxisKind = Literal["categorical", "log", "linear"]

# Expressions whose values spread over orders of magnitude, so a log axis shows them evenly.
_LOG_EXPRESSIONS = frozenset({"loguniform", "lognormal", "qloguniform", "qlognormal"})


@dataclasses.dataclass(frozen=True)
class ParamAxis:
    """One hyperparameter as a chart axis.

    ``categories`` lists the values of a ``choice`` (or of a parameter with non-numeric values)
    in the order of the search space. A categorical axis places value ``i`` at position ``i``.
    """

    name: str
    kind: AxisKind
    categories: tuple[Any, ...] = ()

    def position(self, value: Any) -> float | None:
        """Return where ``value`` sits on this axis, or None when it cannot be placed."""
        if self.kind == "categorical":
            key = _category_key(value)
            for index, category in enumerate(self.categories):
                if _category_key(category) == key:
                    return float(index)
            return None

        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None

        number = float(value)
        if not math.isfinite(number) or (self.kind == "log" and number <= 0):
            return None
        return number


def search_space(parent: ParentRunRecord) -> dict[str, list[Any]]:
    """Return the sweep's search space as ``{name: [expression, arguments]}`` (may be empty)."""
    sampling = parent.config.get("hyperparameter_sampling")
    space = sampling.get("space") if isinstance(sampling, Mapping) else None
    if not isinstance(space, Mapping):
        return {}

    return {str(name): list(expression) if isinstance(expression, (list, tuple)) else [expression]
            for name, expression in space.items()}


def param_axes(parent: ParentRunRecord, values: Iterable[Mapping[str, Any]]) -> list[ParamAxis]:
    """Return one axis per hyperparameter, in search-space order.

    A ``choice`` gives a categorical axis; the log-distributed expressions give a log axis when
    every value is positive. A parameter missing from the recorded search space gets an axis
    from its values: linear when all are numbers, categorical otherwise.
    """
    space = search_space(parent)
    seen: dict[str, list[Any]] = {}
    for parameters in values:
        for name, value in parameters.items():
            seen.setdefault(name, []).append(value)

    names = list(space) + [name for name in seen if name not in space]
    return [_axis(name, space.get(name), seen.get(name, [])) for name in names]


def display_value(value: Any) -> str:
    """Format a hyperparameter value for a table cell: strings as they are, floats to 6 digits."""
    if isinstance(value, str):
        return value

    if isinstance(value, bool) or value is None:
        return str(value)

    if isinstance(value, float):
        return f"{value:.6g}"

    if isinstance(value, int):
        return str(value)

    return json.dumps(value, ensure_ascii=False)


def _axis(name: str, expression: list[Any] | None, values: list[Any]) -> ParamAxis:
    kind = expression[0] if expression else None
    arguments = expression[1] if expression and len(expression) > 1 else []

    if kind == "choice":
        categories = _choice_values(arguments)
        return ParamAxis(name, "categorical", _with_unlisted(categories, values))

    numeric = all(isinstance(value, (int, float)) and not isinstance(value, bool)
                  for value in values)
    if kind is None and not numeric:
        return ParamAxis(name, "categorical", _with_unlisted([], values))

    if kind in _LOG_EXPRESSIONS and numeric and all(value > 0 for value in values):
        return ParamAxis(name, "log")

    return ParamAxis(name, "linear")


def _choice_values(arguments: Any) -> list[Any]:
    # The canonical form is ["choice", [[v1, v2, ...]]]; a bare list of values is read too.
    if isinstance(arguments, list) and len(arguments) == 1 and isinstance(arguments[0], list):
        return list(arguments[0])
    return list(arguments) if isinstance(arguments, list) else []


def _with_unlisted(categories: list[Any], values: Iterable[Any]) -> tuple[Any, ...]:
    """Append values that the runs have but the listed categories lack, in order of appearance."""
    keys = {_category_key(category) for category in categories}
    result = list(categories)
    for value in values:
        key = _category_key(value)
        if key not in keys:
            keys.add(key)
            result.append(value)
    return tuple(result)


def _category_key(value: Any) -> str:
    # JSON text distinguishes True from 1 and "1" from 1, which Python's == and hash() do not.
    return json.dumps(value, sort_keys=True, ensure_ascii=False)
