"""YAML sweep files in the Azure ML v2 sweep job schema, turned into a ``HyperDriveConfig``.

Keys that only mean something on Azure (``$schema``, ``environment``, ``display_name``...) are
accepted and reported as notices. Unknown keys are errors that name the key and its line.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from hypersweep.api.hyperdrive_config import HyperDriveConfig
from hypersweep.api.script_run_config import ScriptRunConfig
from hypersweep.config.yaml_loader import LineMapping, load_yaml
from hypersweep.errors import InvalidConfigError
from hypersweep.launchers import parse_compute_target
from hypersweep.policies import EarlyTerminationPolicy, policy_from_yaml
from hypersweep.sampling import (
    BayesianParameterSampling,
    GridParameterSampling,
    ParameterSampling,
    RandomParameterSampling,
)
from hypersweep.space import SearchSpace, parse_expression

__all__ = ["SweepFile", "apply_override", "load_sweep_file"]

DEFAULT_EXPERIMENT_NAME = "default"

_TOP_LEVEL_KEYS = ("type", "experiment_name", "trial", "compute", "sampling_algorithm",
                   "search_space", "objective", "early_termination", "limits", "inputs")
_TOP_LEVEL_AZURE_ONLY = ("$schema", "name", "display_name", "description", "tags",
                         "properties", "identity", "outputs", "queue_settings", "resources",
                         "services")
_TRIAL_KEYS = ("code", "command", "environment_variables", "resources", "python")
_TRIAL_AZURE_ONLY = ("environment", "distribution", "type", "services")
_OBJECTIVE_KEYS = ("goal", "primary_metric")
_LIMITS_KEYS = ("max_total_trials", "max_concurrent_trials", "timeout", "trial_timeout",
                "cancel_grace_period")
_SAMPLING_KEYS = ("type", "seed", "rule", "logbase")
_SECTION_EXAMPLES = {
    "trial": "trial: {code: ., command: 'python train.py --lr ${{search_space.lr}}'}",
    "search_space": "search_space: {lr: {type: loguniform, min_value: -9, max_value: -2}}",
    "objective": "objective: {goal: maximize, primary_metric: accuracy}",
    "limits": "limits: {max_total_trials: 20, max_concurrent_trials: 2}",
}
_INPUT_PLACEHOLDER = re.compile(r"\$\{\{\s*inputs\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


@dataclass
class SweepFile:
    """A parsed sweep file: the experiment name, the configuration and the notices."""

    path: Path
    experiment_name: str
    config: HyperDriveConfig
    notices: list[str] = field(default_factory=list)


class _Context:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.notices: list[str] = []

    def where(self, mapping: object, key: str | None = None) -> str:
        line = None
        if isinstance(mapping, LineMapping):
            if key is not None and key in mapping.overrides:
                return mapping.overrides[key]
            line = mapping.line_of(key) if key is not None else mapping.line
        return f"{self.path.name}:{line}" if line is not None else self.path.name

    def fail(self, mapping: object, key: str | None, message: str) -> InvalidConfigError:
        return InvalidConfigError(f"{self.where(mapping, key)}: {message}")

    def check_keys(self, mapping: Mapping[str, Any], section: str, accepted: Sequence[str],
                   azure_only: Sequence[str] = ()) -> None:
        for key in mapping:
            if key in accepted:
                continue
            if key in azure_only:
                self.notices.append(f"{self.where(mapping, key)}: {section}{key} is used only "
                                    "on Azure and is ignored")
                continue
            close = difflib.get_close_matches(key, [*accepted, *azure_only], n=1)
            hint = f"; did you mean {close[0]!r}?" if close else "."
            raise self.fail(mapping, key, f"unknown key {section + key!r}{hint} Accepted keys: "
                                          f"{', '.join(accepted)}")

    def mapping(self, parent: Mapping[str, Any], key: str, *, required: bool,
                ) -> Mapping[str, Any] | None:
        value = parent.get(key)
        if value is None:
            if required:
                example = _SECTION_EXAMPLES.get(key, "")
                raise self.fail(parent, key, f"{key} is missing; add it, for example {example}")
            return None
        if not isinstance(value, Mapping):
            raise self.fail(parent, key, f"{key} must be a mapping, got {value!r}")
        return value


def apply_override(data: dict[str, Any], assignment: str) -> None:
    """Apply one ``--set key.path=value`` override; the value is parsed as YAML."""
    if "=" not in assignment:
        raise InvalidConfigError(f"--set {assignment!r} is invalid; write key.path=value, "
                                 "for example limits.max_total_trials=10")

    path_text, value_text = assignment.split("=", 1)
    keys = [part for part in path_text.strip().split(".") if part]
    if not keys:
        raise InvalidConfigError(f"--set {assignment!r} has no key; write key.path=value")

    try:
        value = yaml.safe_load(value_text) if value_text.strip() else ""
    except yaml.YAMLError as exc:
        raise InvalidConfigError(f"--set {assignment!r}: the value is not valid YAML "
                                 f"({exc})") from None

    target: Any = data
    for depth, key in enumerate(keys[:-1]):
        nested = target.get(key)
        if key == "sampling_algorithm" and depth == 0 and isinstance(nested, str):
            # "random" is short for {type: random}; expand it so that a seed can be set.
            nested = LineMapping(type=nested)
            target[key] = nested
        if nested is None:
            nested = LineMapping()
            target[key] = nested
        if not isinstance(nested, dict):
            where = ".".join(keys[:depth + 1])
            raise InvalidConfigError(f"--set {assignment!r}: {where} is not a mapping")
        target = nested
    target[keys[-1]] = value
    if isinstance(target, LineMapping):
        target.overrides[keys[-1]] = f"--set {'.'.join(keys)}"


def load_sweep_file(path: str | Path, overrides: Sequence[str] = ()) -> SweepFile:
    """Read and validate a YAML sweep file. Every error names the key and its line."""
    path = Path(path)
    data = load_yaml(path)
    if not isinstance(data, dict):
        raise InvalidConfigError(f"{path.name}: a sweep file must be a YAML mapping with "
                                 "type: sweep, trial, search_space, objective and limits")

    for assignment in overrides:
        apply_override(data, assignment)

    context = _Context(path)
    context.check_keys(data, "", _TOP_LEVEL_KEYS, _TOP_LEVEL_AZURE_ONLY)

    job_type = data.get("type", "sweep")
    if job_type != "sweep":
        raise context.fail(data, "type", f"type={job_type!r} is not supported; use type: sweep")

    experiment_name = data.get("experiment_name", DEFAULT_EXPERIMENT_NAME)
    if not isinstance(experiment_name, str) or not experiment_name.strip():
        raise context.fail(data, "experiment_name",
                           f"experiment_name={experiment_name!r} must be a non-empty string")

    inputs = _parse_inputs(context, data)
    space_mapping = context.mapping(data, "search_space", required=True)
    assert space_mapping is not None
    space = _parse_search_space(context, space_mapping)
    compute = _parse_compute(context, data)
    run_config = _parse_trial(context, data, path.parent, inputs, compute)
    sampling = _parse_sampling(context, data, space)
    metric_name, goal = _parse_objective(context, data)
    limits = _parse_limits(context, data)
    policy = _parse_policy(context, data)

    try:
        config = HyperDriveConfig(
            run_config=run_config, hyperparameter_sampling=sampling,
            primary_metric_name=metric_name, primary_metric_goal=goal, policy=policy, **limits,
        )
    except InvalidConfigError as exc:
        raise InvalidConfigError(f"{path.name}: {exc}") from None

    return SweepFile(path=path, experiment_name=experiment_name, config=config,
                     notices=context.notices)


def _parse_inputs(context: _Context, data: Mapping[str, Any]) -> dict[str, str]:
    inputs = context.mapping(data, "inputs", required=False) or {}
    values: dict[str, str] = {}

    for name, value in inputs.items():
        if isinstance(value, Mapping):
            if "path" in value:
                values[name] = str(value["path"])
            elif "default" in value:
                values[name] = str(value["default"])
            else:
                raise context.fail(inputs, name, f"inputs.{name} needs a path or a value")
        elif isinstance(value, (str, int, float, bool)):
            values[name] = str(value)
        else:
            raise context.fail(inputs, name, f"inputs.{name}={value!r} is not supported; give "
                                             "a scalar or a mapping with path")
    return values


def _parse_search_space(context: _Context, mapping: Mapping[str, Any]) -> SearchSpace:
    expressions = {}
    for name, value in mapping.items():
        try:
            expressions[name] = parse_expression(name, value)
        except InvalidConfigError as exc:
            raise context.fail(mapping, name, f"search_space.{exc}") from None

    try:
        return SearchSpace(expressions)
    except InvalidConfigError as exc:
        raise context.fail(mapping, None, f"search_space: {exc}") from None


def _parse_trial(context: _Context, data: Mapping[str, Any], base: Path,
                 inputs: Mapping[str, str], compute: str) -> ScriptRunConfig:
    trial = context.mapping(data, "trial", required=True)
    assert trial is not None
    context.check_keys(trial, "trial.", _TRIAL_KEYS, _TRIAL_AZURE_ONLY)

    command = trial.get("command")
    if not isinstance(command, str) or not command.strip():
        raise context.fail(trial, "command",
                           f"trial.command={command!r} must be a command line such as "
                           "'python train.py --lr ${{search_space.lr}}'")

    def substitute_input(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in inputs:
            raise context.fail(trial, "command", f"trial.command refers to inputs.{name}, "
                                                 "which the inputs section does not define")
        return inputs[name]

    command = _INPUT_PLACEHOLDER.sub(substitute_input, command.strip())
    code = trial.get("code", ".")
    if not isinstance(code, str):
        raise context.fail(trial, "code", f"trial.code={code!r} must be a folder path")

    try:
        return ScriptRunConfig(
            source_directory=(base / code).resolve(), command=command,
            environment_variables=trial.get("environment_variables"),
            resources=trial.get("resources"), python=trial.get("python"),
            compute_target=compute,
        )
    except InvalidConfigError as exc:
        if "compute_target" in str(exc):
            raise context.fail(data, "compute", str(exc).replace("compute_target=", "compute=")
                               ) from None
        key = "code" if "source_directory" in str(exc) else None
        key = "resources" if "resources" in str(exc) and "resources" in trial else key
        raise context.fail(trial, key, f"trial: {exc}") from None


def _parse_sampling(context: _Context, data: Mapping[str, Any],
                    space: SearchSpace) -> ParameterSampling:
    value = data.get("sampling_algorithm", "random")
    options: Mapping[str, Any] = {}
    if isinstance(value, Mapping):
        context.check_keys(value, "sampling_algorithm.", _SAMPLING_KEYS)
        options = value
        value = value.get("type")

    kind = value.lower() if isinstance(value, str) else value
    if kind in ("grid", "bayesian"):
        for key in ("seed", "rule") if kind == "grid" else ("rule",):
            if key in options:
                raise context.fail(options, key, f"sampling_algorithm.{key} does not apply to "
                                                 f"{kind} sampling; remove it")
    try:
        if kind == "random":
            return RandomParameterSampling(space, seed=options.get("seed"),
                                           rule=options.get("rule", "random"))
        if kind == "grid":
            return GridParameterSampling(space)
        if kind == "bayesian":
            return BayesianParameterSampling(space, seed=options.get("seed"))
    except InvalidConfigError as exc:
        raise context.fail(data, "sampling_algorithm", f"sampling_algorithm: {exc}") from None

    raise context.fail(data, "sampling_algorithm",
                       f"sampling_algorithm={value!r} is not supported; use random, grid or "
                       "bayesian")


def _parse_objective(context: _Context, data: Mapping[str, Any]) -> tuple[str, str]:
    objective = context.mapping(data, "objective", required=True)
    assert objective is not None
    context.check_keys(objective, "objective.", _OBJECTIVE_KEYS)

    for key in _OBJECTIVE_KEYS:
        if key not in objective:
            raise context.fail(objective, None, f"objective.{key} is missing; write for "
                                                "example goal: maximize and primary_metric: "
                                                "accuracy")

    goal = objective["goal"]
    if not isinstance(goal, str) or goal.lower() not in ("maximize", "minimize"):
        raise context.fail(objective, "goal",
                           f"objective.goal={goal!r} is invalid; use maximize or minimize")

    metric = objective["primary_metric"]
    if not isinstance(metric, str) or not metric.strip():
        raise context.fail(objective, "primary_metric",
                           f"objective.primary_metric={metric!r} must be the metric name the "
                           "script logs")
    return metric, goal


def _parse_limits(context: _Context, data: Mapping[str, Any]) -> dict[str, Any]:
    limits = context.mapping(data, "limits", required=True)
    assert limits is not None
    context.check_keys(limits, "limits.", _LIMITS_KEYS)

    if "max_total_trials" not in limits:
        raise context.fail(limits, None, "limits.max_total_trials is missing; give the number "
                                         "of child runs, for example 20")

    result: dict[str, Any] = {"max_total_runs": limits["max_total_trials"],
                              "max_concurrent_runs": limits.get("max_concurrent_trials")}
    for key, target in (("timeout", "max_duration_minutes"),
                        ("trial_timeout", "max_run_duration_minutes")):
        if key not in limits:
            continue
        seconds = limits[key]
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds <= 0:
            raise context.fail(limits, key, f"limits.{key}={seconds!r} is invalid; give a "
                                            "number of seconds > 0")
        result[target] = seconds / 60

    if "cancel_grace_period" in limits:
        grace = limits["cancel_grace_period"]
        if isinstance(grace, bool) or not isinstance(grace, (int, float)) or grace < 0:
            raise context.fail(limits, "cancel_grace_period",
                               f"limits.cancel_grace_period={grace!r} is invalid; give a "
                               "number of seconds >= 0")
        result["cancel_grace_seconds"] = grace

    for key, target in (("max_total_trials", "max_total_runs"),
                        ("max_concurrent_trials", "max_concurrent_runs")):
        value = result[target]
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or value < 1):
            raise context.fail(limits, key, f"limits.{key}={value!r} is invalid; give an "
                                            "int >= 1")
    return result


def _parse_policy(context: _Context, data: Mapping[str, Any]) -> EarlyTerminationPolicy | None:
    mapping = context.mapping(data, "early_termination", required=False)
    if mapping is None:
        return None

    try:
        return policy_from_yaml(mapping, where="early_termination")
    except InvalidConfigError as exc:
        raise context.fail(mapping, None, str(exc)) from None


def _parse_compute(context: _Context, data: Mapping[str, Any]) -> str:
    """Return the compute target: ``local``, ``ray``, ``ray://HOST:PORT`` or ``HOST:PORT``."""
    compute = data.get("compute", "local")
    if compute is None:
        return "local"

    if isinstance(compute, str) and compute.startswith("azureml:"):
        context.notices.append(f"{context.where(data, 'compute')}: compute={compute!r} is an "
                               "Azure compute; the sweep runs on this machine")
        return "local"

    try:
        return str(parse_compute_target(compute))
    except InvalidConfigError as exc:
        raise context.fail(data, "compute", str(exc).replace("compute_target=", "compute=")
                           ) from None
