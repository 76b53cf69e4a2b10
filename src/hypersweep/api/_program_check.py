"""Checking, before anything starts, that a run's command names a program that exists."""

from __future__ import annotations

import os
import re
import shlex
import shutil
from pathlib import Path

from hypersweep.errors import InvalidConfigError

__all__ = ["check_command_program", "check_interpreter"]

_PYTHON_NAMES = ("python", "python3")
_PLACEHOLDER = re.compile(r"\$\{\{")
_SHELL_OPERATORS = re.compile(r"&&|\|\||[|;<>`]|\$\(")


def check_interpreter(python: str) -> None:
    """Raise when the interpreter path or name cannot be executed."""
    if os.sep in python:
        if not (os.path.isfile(python) and os.access(python, os.X_OK)):
            raise InvalidConfigError(f"python={python!r} is not an executable file; give the "
                                     "path of a Python interpreter")
        return

    if shutil.which(python) is None:
        raise InvalidConfigError(f"python={python!r} was not found on PATH; give the path of "
                                 "a Python interpreter")


def check_command_program(source_directory: Path, command: str) -> None:
    """Raise when the program (or the Python script) of a command line does not exist.

    Commands run by the shell, and programs or scripts chosen by a placeholder, are left to
    the run itself, because they cannot be resolved before the values are sampled.
    """
    if _SHELL_OPERATORS.search(command):
        return

    try:
        tokens = shlex.split(command)
    except ValueError as exc:
        raise InvalidConfigError(f"command={command!r} cannot be parsed: {exc}; check its "
                                 "quotes") from None

    if not tokens or _PLACEHOLDER.search(tokens[0]):
        return

    program = tokens[0]
    if program in _PYTHON_NAMES:
        script = tokens[1] if len(tokens) > 1 else None
        if script is None or script.startswith("-") or _PLACEHOLDER.search(script):
            return
        if not (source_directory / script).is_file():
            raise InvalidConfigError(
                f"command: script {script!r} was not found in the code folder "
                f"{str(source_directory)!r}; give a path relative to that folder"
            )
        return

    if os.sep in program:
        path = source_directory / program
        if not path.is_file():
            raise InvalidConfigError(
                f"command: program {program!r} was not found in the code folder "
                f"{str(source_directory)!r}; give a path relative to that folder"
            )
        if not os.access(path, os.X_OK):
            raise InvalidConfigError(f"command: program {program!r} is not executable; run "
                                     f"`chmod +x {program}`")
        return

    if shutil.which(program) is None:
        raise InvalidConfigError(f"command: program {program!r} was not found on PATH; "
                                 "install it or give its path")
