"""The run context that a training script reaches through ``Run.get_context()``.

Inside a sweep the context appends every logged value to the metrics file of the metric protocol
(see :mod:`hypersweep.run.protocol`). Outside a sweep it is an offline run that keeps the values
in memory and prints them, so the same script runs unchanged on its own.
"""

from __future__ import annotations

import math
import numbers
import os
import sys
import threading
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from hypersweep.errors import InvalidMetricError
from hypersweep.run.protocol import (
    ENV_METRICS_FILE,
    ENV_OUTPUTS_DIR,
    ENV_PARENT_RUN_ID,
    ENV_RUN_ID,
    encode_record,
)

__all__ = ["OfflineRun", "RunContext", "SubmittedRun", "get_context", "to_metric_value"]


def to_metric_value(name: str, value: object) -> float:
    """Convert a logged value to a float, or raise ``TypeError`` naming the metric.

    Python, NumPy and PyTorch scalars (and one-element arrays or tensors) are numbers. Strings,
    ``None``, booleans and sequences are rejected.
    """
    if isinstance(value, bool):
        raise InvalidMetricError(
            f"metric {name!r}: value {value!r} is a bool; log a number such as 1 or 0.93"
        )

    if isinstance(value, numbers.Real):
        return float(value)

    item = getattr(value, "item", None)
    size = getattr(value, "size", None)
    if callable(size):
        size = size()
        size = math.prod(size) if isinstance(size, tuple) else size
    if callable(item) and (size is None or size == 1):
        try:
            scalar = item()
        except (TypeError, ValueError, RuntimeError):
            scalar = None
        if isinstance(scalar, numbers.Real) and not isinstance(scalar, bool):
            return float(scalar)

    raise InvalidMetricError(
        f"metric {name!r}: value {value!r} of type {type(value).__name__} is not a number; "
        "log an int, a float, or a NumPy or PyTorch scalar"
    )


def _check_name(name: object) -> str:
    if not isinstance(name, str) or not name:
        raise InvalidMetricError(f"metric name {name!r} is invalid; use a non-empty string")
    return name


class RunContext:
    """Common behaviour of the online and the offline run context."""

    def __init__(self, run_id: str, outputs_dir: Path) -> None:
        self.id = run_id
        self.outputs_dir = outputs_dir
        self._metrics: dict[str, list[float]] = {}
        self._tags: dict[str, str | None] = {}
        self._lock = threading.Lock()

    @property
    def is_offline(self) -> bool:
        """Whether the script runs outside a sweep."""
        return isinstance(self, OfflineRun)

    def log(self, name: str, value: Any, description: str = "") -> None:
        """Log one value of a metric; each call adds the next interval of that metric."""
        name = _check_name(name)
        number = to_metric_value(name, value)
        self._record(name, [number])

    def log_list(self, name: str, value: Iterable[Any], description: str = "") -> None:
        """Log several values of a metric at once, in order, as successive intervals."""
        name = _check_name(name)
        if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
            raise InvalidMetricError(
                f"metric {name!r}: log_list expects a list of numbers, got {type(value).__name__}"
            )

        numbers_ = [to_metric_value(name, item) for item in value]
        self._record(name, numbers_)

    def tag(self, key: str, value: Any = None) -> None:
        """Set a tag on the run; the value is stored as a string (or ``None``)."""
        key = _check_name(key)
        text = None if value is None else str(value)
        with self._lock:
            self._tags[key] = text
            self._write_tag(key, text)

    def set_tags(self, tags: dict[str, Any]) -> None:
        """Set several tags."""
        for key, value in tags.items():
            self.tag(key, value)

    def get_metrics(self) -> dict[str, float | list[float]]:
        """Return what this process logged: a value per metric logged once, a list otherwise."""
        with self._lock:
            return {name: values[0] if len(values) == 1 else list(values)
                    for name, values in self._metrics.items()}

    def get_tags(self) -> dict[str, str | None]:
        """Return the tags this process set."""
        with self._lock:
            return dict(self._tags)

    def complete(self) -> None:
        """Accepted for compatibility: a run completes when its script exits with status 0."""

    def flush(self) -> None:
        """Accepted for compatibility: every value is written when it is logged."""

    def _record(self, name: str, values: list[float]) -> None:
        with self._lock:
            self._metrics.setdefault(name, []).extend(values)
            self._write_metrics(name, values)

    def _write_metrics(self, name: str, values: list[float]) -> None:
        raise NotImplementedError

    def _write_tag(self, key: str, value: str | None) -> None:
        raise NotImplementedError


class SubmittedRun(RunContext):
    """The context of a child run started by a sweep: values go to the metrics file."""

    def __init__(self, run_id: str, parent_id: str | None, metrics_file: Path,
                 outputs_dir: Path) -> None:
        super().__init__(run_id, outputs_dir)
        self.parent_id = parent_id
        self.metrics_file = metrics_file

    def _append(self, lines: list[str]) -> None:
        # One write per call with O_APPEND keeps lines whole even if the script logs from
        # several processes at once.
        data = "".join(lines).encode("utf-8")
        fd = os.open(self.metrics_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)

    def _write_metrics(self, name: str, values: list[float]) -> None:
        self._append([encode_record("metric", name, value) for value in values])

    def _write_tag(self, key: str, value: str | None) -> None:
        self._append([encode_record("tag", key, value)])


class OfflineRun(RunContext):
    """The context of a script run outside a sweep: values are kept and printed."""

    def __init__(self) -> None:
        super().__init__(f"OfflineRun_{uuid.uuid4()}", Path("outputs"))

    def _write_metrics(self, name: str, values: list[float]) -> None:
        # NOTE: printing is the documented behaviour of an offline run, so that a script run
        # on its own still shows what it would report to a sweep.
        for value in values:
            print(f"[hypersweep offline run] {name} = {value!r}", file=sys.stderr)

    def _write_tag(self, key: str, value: str | None) -> None:
        print(f"[hypersweep offline run] tag {key} = {value!r}", file=sys.stderr)


_context: RunContext | None = None
_context_lock = threading.Lock()


def get_context() -> RunContext:
    """Return the run context of this process, built once from the environment."""
    global _context

    with _context_lock:
        if _context is None:
            _context = _context_from_environment()
        return _context


def _context_from_environment() -> RunContext:
    metrics_file = os.environ.get(ENV_METRICS_FILE)
    run_id = os.environ.get(ENV_RUN_ID)
    if not metrics_file or not run_id:
        return OfflineRun()

    outputs_dir = Path(os.environ.get(ENV_OUTPUTS_DIR, "outputs"))
    return SubmittedRun(run_id, os.environ.get(ENV_PARENT_RUN_ID), Path(metrics_file), outputs_dir)
