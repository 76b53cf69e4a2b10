"""Conversion of the list and YAML mapping forms of an expression into an expression object."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from hypersweep.errors import InvalidConfigError
from hypersweep.space import expressions as ex
from hypersweep.space._checks import named

__all__ = ["EXPRESSION_TYPES", "parse_expression"]


@dataclass(frozen=True)
class _Form:
    """The constructor, argument names and YAML keys of one expression type."""

    build: Callable[..., ex.ParameterExpression]
    arguments: tuple[str, ...]
    keys: tuple[str, ...]


_FORMS: dict[str, _Form] = {
    "choice": _Form(ex.choice, ("values",), ("values",)),
    "randint": _Form(ex.randint, ("upper",), ("upper",)),
    "uniform": _Form(ex.uniform, ("low", "high"), ("min_value", "max_value")),
    "loguniform": _Form(ex.loguniform, ("low", "high"), ("min_value", "max_value")),
    "normal": _Form(ex.normal, ("mu", "sigma"), ("mu", "sigma")),
    "lognormal": _Form(ex.lognormal, ("mu", "sigma"), ("mu", "sigma")),
    "quniform": _Form(ex.quniform, ("low", "high", "q"), ("min_value", "max_value", "q")),
    "qloguniform": _Form(ex.qloguniform, ("low", "high", "q"), ("min_value", "max_value", "q")),
    "qnormal": _Form(ex.qnormal, ("mu", "sigma", "q"), ("mu", "sigma", "q")),
    "qlognormal": _Form(ex.qlognormal, ("mu", "sigma", "q"), ("mu", "sigma", "q")),
}

EXPRESSION_TYPES: tuple[str, ...] = tuple(_FORMS)
"""The names of every expression type."""

_EXAMPLES = (
    "uniform(0.05, 0.1), ['uniform', [0.05, 0.1]] or "
    "{'type': 'uniform', 'min_value': 0.05, 'max_value': 0.1}"
)


def parse_expression(name: str, value: Any) -> ex.ParameterExpression:
    """Return the expression that ``value`` describes for the parameter ``name``.

    ``value`` is an expression object, the list form ``[type, [args...]]`` (a tuple too) or the
    Azure ML v2 YAML mapping form such as ``{"type": "uniform", "min_value": 0, "max_value": 1}``.
    Errors raise InvalidConfigError with messages that start with ``name``.
    """
    if isinstance(value, ex.ParameterExpression):
        return value

    if isinstance(value, (list, tuple)):
        return _parse_list(name, value)

    if isinstance(value, Mapping):
        return _parse_mapping(name, value)

    raise InvalidConfigError(
        f"{name}: {value!r} is not a parameter expression; write e.g. {_EXAMPLES}"
    )


def _form(name: str, type_name: object) -> _Form:
    form = _FORMS.get(type_name) if isinstance(type_name, str) else None
    if form is None:
        raise InvalidConfigError(
            f"{name}: unknown expression type {type_name!r}; use one of "
            f"{', '.join(EXPRESSION_TYPES)}"
        )
    return form


def _parse_list(name: str, value: list[Any] | tuple[Any, ...]) -> ex.ParameterExpression:
    if len(value) != 2 or not isinstance(value[1], (list, tuple)):
        raise InvalidConfigError(
            f"{name}: {value!r} is not a parameter expression; the list form is "
            "[type, [args...]], e.g. ['uniform', [0.05, 0.1]] or ['choice', [[16, 32, 64]]]"
        )

    type_name, args = value
    form = _form(name, type_name)

    if type_name != "choice" and len(args) != len(form.arguments):
        raise InvalidConfigError(
            f"{name}: {type_name} takes {len(form.arguments)} arguments "
            f"({', '.join(form.arguments)}); got {len(args)}: {list(args)!r}"
        )

    with named(name):
        return form.build(*args)


def _parse_mapping(name: str, value: Mapping[Any, Any]) -> ex.ParameterExpression:
    if "type" not in value:
        raise InvalidConfigError(
            f"{name}: the mapping {dict(value)!r} has no 'type' key; use one of "
            f"{', '.join(EXPRESSION_TYPES)}"
        )

    type_name = value["type"]
    form = _form(name, type_name)
    accepted = ("type", *form.keys)

    for key in value:
        if key not in accepted:
            raise InvalidConfigError(
                f"{name}: unknown key {key!r} for type {type_name}; "
                f"accepted keys: {', '.join(accepted)}"
            )

    for key in form.keys:
        if key not in value:
            raise InvalidConfigError(
                f"{name}: missing key {key!r} for type {type_name}; "
                f"accepted keys: {', '.join(accepted)}"
            )

    if type_name == "choice" and not isinstance(value["values"], (list, tuple)):
        raise InvalidConfigError(
            f"{name}: values={value['values']!r} must be a list, e.g. values: [16, 32, 64]"
        )

    try:
        with named(name):
            return form.build(*(value[key] for key in form.keys))
    except InvalidConfigError as exc:
        # Errors of the builders use the Python argument names (low, high); a YAML author
        # wrote min_value and max_value.
        message = str(exc)
        for argument, key in zip(form.arguments, form.keys, strict=True):
            if argument != key:
                message = re.sub(rf"\b{argument}=", f"{key}=", message)
        raise InvalidConfigError(message) from None
