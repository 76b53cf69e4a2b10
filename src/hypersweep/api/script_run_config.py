"""``ScriptRunConfig``: what one child run executes."""

from __future__ import annotations

import math
import os
import re
import shlex
import sys
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import psutil

from hypersweep.api._program_check import check_command_program, check_interpreter
from hypersweep.errors import InvalidConfigError
from hypersweep.launchers import (
    RunResources,
    TargetKind,
    check_resources,
    parse_compute_target,
    ray_is_installed,
)
from hypersweep.launchers._gpus import detect_gpus
from hypersweep.launchers._resources import local_capacity
from hypersweep.launchers._targets import RAY_INSTALL_HINT

__all__ = ["ScriptRunConfig", "format_argument_value"]

PLACEHOLDER = re.compile(r"\$\{\{\s*search_space\.([A-Za-z_][A-Za-z0-9_\-]*)\s*\}\}")
_SHELL_OPERATORS = re.compile(r"&&|\|\||[|;<>`]|\$\(")
_PYTHON_NAMES = ("python", "python3")


def format_argument_value(value: object) -> str:
    """Write a hyperparameter value so that the script parses back the same value."""
    if isinstance(value, bool) or value is None:
        return str(value)

    if isinstance(value, float):
        # repr() is the shortest text that parses back to the same float.
        return repr(value) if math.isfinite(value) else str(value)

    return str(value)


class ScriptRunConfig:
    """The training script of a sweep, its fixed arguments and where it runs.

    Give either ``script`` (run with the Python interpreter) or ``command`` (a command line with
    ``${{search_space.NAME}}`` placeholders, as in YAML sweeps). ``environment`` and other Azure
    arguments are accepted and ignored with a warning.

    ``compute_target`` is ``"local"``, ``"ray"`` (the cluster that ``RAY_ADDRESS`` names, else a
    local Ray instance, as ``ray.init()`` picks), ``"ray://HOST:PORT"`` (Ray Client) or
    ``"HOST:PORT"`` (a Ray cluster's GCS address). ``resources`` is what each run reserves:
    ``cpu`` cores (default 1), ``gpu`` GPUs (default 0) and ``memory`` in GiB.
    """

    def __init__(
        self,
        source_directory: str | os.PathLike[str] = ".",
        script: str | None = None,
        arguments: Sequence[object] | None = None,
        environment_variables: Mapping[str, object] | None = None,
        compute_target: str = "local",
        resources: Mapping[str, float] | None = None,
        python: str | None = None,
        *,
        command: str | Sequence[str] | None = None,
        environment: object = None,
        **azure_arguments: object,
    ) -> None:
        if environment is not None:
            warnings.warn("ScriptRunConfig: environment is ignored; child runs use the "
                          "interpreter that runs hypersweep unless python= names another",
                          stacklevel=2)
        for key in azure_arguments:
            warnings.warn(f"ScriptRunConfig: the Azure argument {key!r} is ignored", stacklevel=2)

        self.source_directory = _check_source_directory(source_directory)
        self.script, self.command = _check_script_or_command(self.source_directory, script,
                                                             command)
        self.arguments = _check_arguments(arguments)
        self.environment_variables = _check_environment(environment_variables)
        self.compute_target = _check_compute_target(compute_target)
        self.resources = check_resources(resources)
        _check_resources_fit(self.compute_target, self.resources)
        self.python = _check_python(python)
        if self.command is not None:
            check_command_program(self.source_directory, self.command)

    @property
    def interpreter(self) -> str:
        """The Python interpreter that runs the script."""
        return self.python or sys.executable

    def build_argv(self, hyperparameters: Mapping[str, object]) -> tuple[list[str], list[str]]:
        """Return the full command line and the argument list the script receives."""
        if self.command is not None:
            return self._build_command_argv(hyperparameters)

        assert self.script is not None  # one of them is set at construction
        arguments = merge_arguments(self.arguments, hyperparameters)
        return [self.interpreter, self.script, *arguments], arguments

    def _build_command_argv(self, hyperparameters: Mapping[str, object],
                            ) -> tuple[list[str], list[str]]:
        assert self.command is not None

        def substitute(text: str, quote: bool) -> str:
            def replace(match: re.Match[str]) -> str:
                value = format_argument_value(hyperparameters[match.group(1)])
                return shlex.quote(value) if quote else value
            return PLACEHOLDER.sub(replace, text)

        if _SHELL_OPERATORS.search(self.command):
            shell_command = substitute(self.command, quote=True)
            return ["/bin/sh", "-c", shell_command], [shell_command]

        argv = [substitute(token, quote=False) for token in shlex.split(self.command)]
        if argv and argv[0] in _PYTHON_NAMES:
            argv[0] = self.interpreter
        return argv, argv[2:] if len(argv) > 1 and argv[0] == self.interpreter else argv[1:]

    def placeholders(self) -> list[str]:
        """Return the hyperparameter names that the command refers to."""
        return PLACEHOLDER.findall(self.command or "")

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable form of this configuration."""
        return {
            "source_directory": str(self.source_directory),
            "script": self.script,
            "command": self.command,
            "arguments": list(self.arguments),
            "environment_variables": dict(self.environment_variables),
            "compute_target": self.compute_target,
            "resources": dict(self.resources) if self.resources is not None else None,
            "python": self.python,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScriptRunConfig:
        """Rebuild a configuration from :meth:`to_dict`."""
        return cls(
            source_directory=data["source_directory"],
            script=data.get("script"),
            arguments=data.get("arguments") or [],
            environment_variables=data.get("environment_variables") or {},
            compute_target=data.get("compute_target", "local"),
            resources=data.get("resources"),
            python=data.get("python"),
            command=data.get("command"),
        )

    def __repr__(self) -> str:
        what = f"script={self.script!r}" if self.script else f"command={self.command!r}"
        return f"ScriptRunConfig(source_directory={str(self.source_directory)!r}, {what})"


def merge_arguments(fixed: Sequence[str], hyperparameters: Mapping[str, object]) -> list[str]:
    """Append ``--name value`` for each hyperparameter to the fixed arguments.

    A fixed argument that names the same parameter (``--lr 0.1`` or ``--lr=0.1``) is dropped
    with a warning, because the sampled value must win.
    """
    arguments = list(fixed)

    for name, value in hyperparameters.items():
        flag = name if name.startswith("-") else f"--{name}"
        arguments = _drop_flag(arguments, flag)
        arguments.extend([flag, format_argument_value(value)])

    return arguments


def _drop_flag(arguments: list[str], flag: str) -> list[str]:
    kept: list[str] = []
    skip_next = False

    for index, token in enumerate(arguments):
        if skip_next:
            skip_next = False
            continue

        if token == flag:
            warnings.warn(f"fixed argument {flag} is replaced by the sampled value of the same "
                          "hyperparameter", stacklevel=3)
            following = arguments[index + 1] if index + 1 < len(arguments) else None
            skip_next = following is not None and not following.startswith("--")
            continue

        if token.startswith(flag + "="):
            warnings.warn(f"fixed argument {token} is replaced by the sampled value of the same "
                          "hyperparameter", stacklevel=3)
            continue

        kept.append(token)

    return kept


def _check_source_directory(source_directory: object) -> Path:
    if not isinstance(source_directory, (str, os.PathLike)):
        raise InvalidConfigError(
            f"source_directory={source_directory!r} is invalid; give the path of the folder "
            "that holds the training script"
        )

    path = Path(source_directory).expanduser().resolve()
    if not path.is_dir():
        raise InvalidConfigError(
            f"source_directory={str(source_directory)!r} is not an existing folder; give the "
            "path of the folder that holds the training script"
        )

    return path


def _check_script_or_command(source_directory: Path, script: object, command: object,
                             ) -> tuple[str | None, str | None]:
    if script is not None and command is not None:
        raise InvalidConfigError("ScriptRunConfig: give either script= or command=, not both")

    if script is None and command is None:
        raise InvalidConfigError(
            "ScriptRunConfig: script is missing; give script='train.py' (a file in "
            "source_directory) or a command"
        )

    if command is not None:
        if not isinstance(command, (str, list, tuple)) or not command:
            raise InvalidConfigError(f"command={command!r} is invalid; give a non-empty string")
        text = command if isinstance(command, str) else shlex.join(str(part) for part in command)
        return None, text

    if not isinstance(script, str) or not script:
        raise InvalidConfigError(f"script={script!r} is invalid; give a file name such as "
                                 "'train.py'")

    if not (source_directory / script).is_file():
        raise InvalidConfigError(
            f"script={script!r} was not found in source_directory={str(source_directory)!r}; "
            "give a path relative to source_directory"
        )

    return script, None


def _check_arguments(arguments: object) -> list[str]:
    if arguments is None:
        return []

    if isinstance(arguments, (str, bytes)) or not isinstance(arguments, Sequence):
        raise InvalidConfigError(
            f"arguments={arguments!r} is invalid; give a list such as ['--epochs', 20]"
        )

    return [format_argument_value(item) for item in arguments]


def _check_environment(variables: object) -> dict[str, str]:
    if variables is None:
        return {}

    if not isinstance(variables, Mapping):
        raise InvalidConfigError(
            f"environment_variables={variables!r} is invalid; give a mapping of names to values"
        )

    checked: dict[str, str] = {}
    for key, value in variables.items():
        if not isinstance(key, str) or not key or "=" in key:
            raise InvalidConfigError(
                f"environment_variables: name {key!r} is invalid; use a non-empty string "
                "without '='"
            )
        checked[key] = "" if value is None else str(value)

    return checked


def _check_compute_target(compute_target: object) -> str:
    if isinstance(compute_target, str) and compute_target.startswith("azureml:"):
        warnings.warn(f"compute_target={compute_target!r} is an Azure compute; the sweep runs "
                      "on this machine", stacklevel=4)
        return "local"

    azure_name = getattr(compute_target, "name", None)
    if isinstance(azure_name, str) or _is_azure_compute_name(compute_target):
        # Azure SDK v1 code passes a ComputeTarget object or a cluster name such as
        # "cpu-cluster"; neither means anything here.
        name = azure_name if isinstance(azure_name, str) else compute_target
        warnings.warn(f"compute_target={name!r} names an Azure compute, not a hypersweep target "
                      "('local', 'ray', 'ray://HOST:PORT'); the sweep runs on this machine",
                      stacklevel=4)
        return "local"

    target = parse_compute_target(compute_target)
    if target.kind is TargetKind.RAY and not ray_is_installed():
        raise InvalidConfigError(f"compute_target={str(target)!r} needs Ray, which is not "
                                 f"installed; install it with: {RAY_INSTALL_HINT}")

    return str(target)


def _check_resources_fit(compute_target: str, resources: dict[str, float] | None) -> None:
    """On the local target, check that one run fits on this machine (GPUs and memory).

    A Ray cluster is checked when the sweep starts, against the nodes it has then.
    """
    if resources is None or compute_target != "local":
        return

    local_capacity(RunResources.from_mapping(resources), cores=os.cpu_count() or 1,
                   gpus=detect_gpus(), memory_bytes=psutil.virtual_memory().total)


def _check_python(python: object) -> str | None:
    if python is None:
        return None

    if not isinstance(python, str) or not python:
        raise InvalidConfigError(f"python={python!r} is invalid; give the path of an "
                                 "interpreter")

    check_interpreter(python)
    return python


def _is_azure_compute_name(value: object) -> bool:
    """Whether ``value`` looks like an Azure compute name rather than a hypersweep target."""
    if not isinstance(value, str) or value.strip().lower() in ("local", "ray"):
        return False
    return re.fullmatch(r"[A-Za-z][A-Za-z0-9-]{1,31}", value.strip()) is not None
