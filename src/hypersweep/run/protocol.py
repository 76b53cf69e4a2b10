"""The wire between a child run and its sweep: JSON lines appended to a file.

A child run finds the file in the ``HYPERSWEEP_METRICS_FILE`` environment variable and appends
one JSON object per line, each line written with a single ``write`` call and ended by ``\\n``::

    {"type": "metric", "name": "accuracy", "value": 0.93, "time": 1733338800.5}
    {"type": "tag", "name": "phase", "value": "warmup"}

``time`` (Unix seconds) is optional; the reader uses its own clock when it is missing. Non-finite
values may be written as the JSON tokens ``NaN``, ``Infinity`` and ``-Infinity`` or as the strings
``"NaN"``, ``"Infinity"`` and ``"-Infinity"``. The reader consumes complete lines only, so a line
that is still being written is picked up on a later read. docs/metric-protocol.md is the
reference for authors of scripts in other languages.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "ENV_METRICS_FILE",
    "ENV_OUTPUTS_DIR",
    "ENV_PARENT_RUN_ID",
    "ENV_RUN_ID",
    "ENV_WORKSPACE",
    "MetricsFileReader",
    "ProtocolError",
    "ProtocolRecord",
    "encode_record",
    "parse_line",
]

ENV_RUN_ID = "HYPERSWEEP_RUN_ID"
ENV_PARENT_RUN_ID = "HYPERSWEEP_PARENT_RUN_ID"
ENV_METRICS_FILE = "HYPERSWEEP_METRICS_FILE"
ENV_OUTPUTS_DIR = "HYPERSWEEP_OUTPUTS_DIR"
ENV_WORKSPACE = "HYPERSWEEP_WORKSPACE"

RECORD_TYPES = ("metric", "tag")

_NON_FINITE_STRINGS = {"nan": math.nan, "infinity": math.inf, "-infinity": -math.inf,
                       "inf": math.inf, "-inf": -math.inf}


class ProtocolError(ValueError):
    """A line of a metrics file does not follow the protocol."""


@dataclass(frozen=True)
class ProtocolRecord:
    """One decoded line: a metric value or a tag."""

    type: str
    name: str
    value: float | str | None
    time: float


def encode_record(type_: str, name: str, value: float | str | None,
                  when: float | None = None) -> str:
    """Return the protocol line (with its trailing newline) for one record."""
    payload: dict[str, object] = {"type": type_, "name": name, "value": value}
    payload["time"] = time.time() if when is None else when

    # json.dumps writes NaN and Infinity as bare tokens, which the protocol accepts.
    return json.dumps(payload, ensure_ascii=False) + "\n"


def parse_line(line: str, *, default_time: float | None = None) -> ProtocolRecord:
    """Decode one line of a metrics file, or raise :class:`ProtocolError` saying what is wrong."""
    try:
        payload = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ProtocolError(f"not valid JSON ({exc.msg} at column {exc.colno})") from None

    if not isinstance(payload, dict):
        raise ProtocolError(f"expected a JSON object, got {type(payload).__name__}")

    record_type = payload.get("type", "metric")
    if record_type not in RECORD_TYPES:
        raise ProtocolError(f"type={record_type!r} is not one of {list(RECORD_TYPES)}")

    name = payload.get("name")
    if not isinstance(name, str) or not name:
        raise ProtocolError(f"name={name!r} must be a non-empty string")

    when = payload.get("time", default_time if default_time is not None else time.time())
    if isinstance(when, bool) or not isinstance(when, (int, float)):
        raise ProtocolError(f"time={when!r} must be a number of seconds since the Unix epoch")

    value = payload.get("value")
    if record_type == "metric":
        value = _metric_value(name, value)
    elif value is not None:
        value = str(value)

    return ProtocolRecord(type=record_type, name=name, value=value, time=float(when))


def _metric_value(name: str, value: object) -> float:
    if isinstance(value, str) and value.strip().lower() in _NON_FINITE_STRINGS:
        return _NON_FINITE_STRINGS[value.strip().lower()]

    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ProtocolError(f"metric {name!r}: value {value!r} is not a number")

    return float(value)


class MetricsFileReader:
    """Reads the complete lines that were appended to a metrics file since the last read.

    The reader remembers a byte offset, so a controller that stores the offset together with the
    values it ingested can restart without losing or repeating a value.
    """

    def __init__(self, path: str | os.PathLike[str], offset: int = 0) -> None:
        self.path = Path(path)
        self.offset = offset

    def read(self) -> Iterator[tuple[int, str]]:
        """Yield ``(end_offset, line)`` for each new complete line and advance the offset."""
        try:
            with open(self.path, "rb") as stream:
                stream.seek(self.offset)
                data = stream.read()
        except FileNotFoundError:
            return

        position = self.offset
        while True:
            newline = data.find(b"\n", position - self.offset)
            if newline < 0:
                break

            raw = data[position - self.offset:newline]
            position = self.offset + newline + 1
            text = raw.decode("utf-8", errors="replace").strip()
            if text:
                yield position, text

        self.offset = position

    def complete_last_line(self) -> bool:
        """Append the missing newline to a final line; return whether there was one.

        Call it only once the writer has exited: a line without a newline is then complete.
        """
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            return False

        if size <= self.offset:
            return False

        with open(self.path, "rb+") as stream:
            stream.seek(-1, os.SEEK_END)
            if stream.read(1) == b"\n":
                return False
            stream.write(b"\n")
        return True
