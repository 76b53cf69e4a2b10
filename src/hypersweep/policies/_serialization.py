"""Build policies from their dict form (:meth:`to_dict`) and from Azure ML v2 YAML."""

from __future__ import annotations

import inspect
import numbers
from collections.abc import Mapping
from typing import Any

from hypersweep.errors import InvalidConfigError
from hypersweep.policies.asha import AshaPolicy
from hypersweep.policies.bandit import BanditPolicy
from hypersweep.policies.base import EarlyTerminationPolicy
from hypersweep.policies.median_stopping import MedianStoppingPolicy
from hypersweep.policies.no_termination import NoTerminationPolicy
from hypersweep.policies.truncation_selection import TruncationSelectionPolicy

__all__ = ["policy_from_dict", "policy_from_yaml"]

_POLICY_CLASSES: dict[str, type[EarlyTerminationPolicy]] = {
    cls.type_name: cls
    for cls in (
        BanditPolicy,
        MedianStoppingPolicy,
        TruncationSelectionPolicy,
        NoTerminationPolicy,
        AshaPolicy,
    )
}

_SCHEDULE_KEYS = {
    "evaluation_interval": "evaluation_interval",
    "delay_evaluation": "delay_evaluation",
}

# The keys of each YAML policy type, mapped to the constructor argument that receives them.
_YAML_KEYS: dict[str, dict[str, str]] = {
    "bandit": {"slack_factor": "slack_factor", "slack_amount": "slack_amount", **_SCHEDULE_KEYS},
    "median_stopping": dict(_SCHEDULE_KEYS),
    "truncation_selection": {
        "truncation_percentage": "truncation_percentage",
        **_SCHEDULE_KEYS,
        "exclude_finished_jobs": "exclude_finished_runs",
    },
    "asha": {
        "min_interval": "min_interval",
        "reduction_factor": "reduction_factor",
        "max_interval": "max_interval",
    },
}

# Azure ML's v2 SDK defaults these fields to 0 and writes that 0 into the YAML it produces, where
# it means "not set". Reading it as a real slack or interval would reject or change such files.
_ZERO_MEANS_UNSET = frozenset({"slack_factor", "slack_amount", "evaluation_interval"})


def _parameter_names(cls: type[EarlyTerminationPolicy]) -> list[str]:
    parameters = inspect.signature(cls.__init__).parameters
    return [name for name in parameters if name != "self"]


def policy_from_dict(data: Mapping[str, Any]) -> EarlyTerminationPolicy:
    """Rebuild a policy from the output of its :meth:`~EarlyTerminationPolicy.to_dict`."""
    accepted_types = ", ".join(sorted(_POLICY_CLASSES))
    if not isinstance(data, Mapping):
        raise InvalidConfigError(
            f"policy={data!r} is invalid; use a dict with a 'type' key ({accepted_types})"
        )

    type_name = data.get("type")
    cls = _POLICY_CLASSES.get(type_name) if isinstance(type_name, str) else None
    if cls is None:
        raise InvalidConfigError(
            f"policy type={type_name!r} is invalid; use one of: {accepted_types}"
        )

    accepted = _parameter_names(cls)
    for key in data:
        if key != "type" and key not in accepted:
            raise InvalidConfigError(
                f"{key!r} is not a parameter of {cls.__name__}; accepted keys: "
                f"{', '.join(['type', *accepted])}"
            )

    return cls(**{key: value for key, value in data.items() if key != "type"})


def _yaml_type(value: object, where: str) -> str:
    accepted = ", ".join(_YAML_KEYS)

    # Azure spells the types in snake case in YAML and in camel case in its REST API, so both
    # "median_stopping" and "MedianStopping" are accepted.
    normalised = value.replace("_", "").lower() if isinstance(value, str) else None
    for type_name in _YAML_KEYS:
        if type_name.replace("_", "") == normalised:
            return type_name

    raise InvalidConfigError(f"{where}.type={value!r} is invalid; use one of: {accepted}")


def _is_zero(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and value == 0


def policy_from_yaml(
    mapping: Mapping[str, Any], *, where: str = "early_termination"
) -> EarlyTerminationPolicy:
    """Build a policy from the ``early_termination`` mapping of an Azure ML v2 sweep YAML.

    Accepted types: ``bandit`` (``slack_factor`` or ``slack_amount``, ``evaluation_interval``,
    ``delay_evaluation``), ``median_stopping`` (``evaluation_interval``, ``delay_evaluation``),
    ``truncation_selection`` (``truncation_percentage``, ``evaluation_interval``,
    ``delay_evaluation``, ``exclude_finished_jobs``) and ``asha`` (``min_interval``,
    ``reduction_factor``, ``max_interval``). A key set to null is treated as absent, and so is a
    ``slack_factor``, ``slack_amount`` or ``evaluation_interval`` of 0, which is how Azure writes
    "not set". Errors start with ``where`` and name the key and the accepted keys.
    """
    if not isinstance(mapping, Mapping):
        raise InvalidConfigError(
            f"{where}={mapping!r} is invalid; use a mapping such as "
            "{type: bandit, slack_factor: 0.1}"
        )

    if "type" not in mapping:
        raise InvalidConfigError(f"{where}.type is missing; use one of: {', '.join(_YAML_KEYS)}")

    type_name = _yaml_type(mapping["type"], where)
    keys = _YAML_KEYS[type_name]
    arguments: dict[str, Any] = {}
    for key, value in mapping.items():
        if key == "type":
            continue

        if key not in keys:
            raise InvalidConfigError(
                f"{where}.{key} is not a key of a {type_name} policy; accepted keys: "
                f"{', '.join(['type', *keys])}"
            )

        if value is None or (key in _ZERO_MEANS_UNSET and _is_zero(value)):
            continue

        arguments[keys[key]] = value

    try:
        return _POLICY_CLASSES[type_name](**arguments)
    except InvalidConfigError as error:
        message = str(error)
        for key, argument in keys.items():
            message = message.replace(f"{argument}=", f"{key}=")
        raise InvalidConfigError(f"{where}: {message}") from None
