"""A YAML loader that remembers the line of every mapping key, for error messages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from hypersweep.errors import InvalidConfigError

__all__ = ["LineMapping", "load_yaml"]


class LineMapping(dict[str, Any]):
    """A dict that also records the 1-based line of each key (``lines``) and its own ``line``.

    ``overrides`` maps a key whose value came from the command line to the option that set it,
    such as ``--set limits.max_total_trials``, so that an error about it names that option.
    """

    line: int | None
    lines: dict[str, int]
    overrides: dict[str, str]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.line = None
        self.lines = {}
        self.overrides = {}

    def line_of(self, key: str) -> int | None:
        """Return the line of ``key``, or of the mapping itself when the key is absent."""
        return self.lines.get(key, self.line)


class _LineLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineMapping:
    loader.flatten_mapping(node)
    mapping = LineMapping()
    mapping.line = node.start_mark.line + 1

    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            key = str(key)
        if key in mapping:
            raise InvalidConfigError(
                f"line {key_node.start_mark.line + 1}: key {key!r} appears twice; keep one"
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.lines[key] = key_node.start_mark.line + 1

    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml(path: Path) -> Any:
    """Parse a YAML file; syntax errors become :class:`InvalidConfigError` with the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidConfigError(f"sweep file {str(path)!r} was not found; give the path of "
                                 "a YAML sweep file") from None
    except (IsADirectoryError, UnicodeDecodeError) as exc:
        raise InvalidConfigError(f"sweep file {str(path)!r} cannot be read: {exc}") from None

    try:
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - the loader derives from SafeLoader
    except InvalidConfigError as exc:
        raise InvalidConfigError(f"{path.name}: {exc}") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown line"
        raise InvalidConfigError(f"{path}: invalid YAML at {where}: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise InvalidConfigError(f"{path}: invalid YAML: {exc}") from None
