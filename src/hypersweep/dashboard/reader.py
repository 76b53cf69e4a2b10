"""Read-only access to the run store, for the dashboard, the HTML report and the Jupyter view.

The dashboard reads the store while a controller writes it, so it must never write, lock or
upgrade it. :class:`hypersweep.store.Store` opens a read-write connection and creates or upgrades
the schema on open, so this module opens SQLite's read-only mode instead (``mode=ro``), where
any write fails inside SQLite itself. It reads the tables of schema version
:data:`hypersweep.store.SCHEMA_VERSION` directly, with the aggregate and paged queries that a
sweep of 10,000 runs needs; the record classes are those of :mod:`hypersweep.store`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import sqlite3
import urllib.parse
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from hypersweep.enums import RunStatus
from hypersweep.errors import HyperSweepError, RunNotFoundError, StoreVersionError
from hypersweep.store import (
    SCHEMA_VERSION,
    ChildRunRecord,
    ExperimentRecord,
    ParentRunRecord,
)

__all__ = ["ScoredRun", "Snapshot", "StoreNotFoundError", "StoreReader", "SweepVersion"]

# A reader waits this long for SQLite's locks; in WAL mode only a checkpoint can make it wait.
_BUSY_TIMEOUT_SECONDS = 5.0

_JSON_COLUMNS = frozenset({"config", "warnings", "hyperparameters", "arguments", "termination"})
_PARENT_COLUMNS = tuple(field.name for field in dataclasses.fields(ParentRunRecord))
_CHILD_COLUMNS = tuple(field.name for field in dataclasses.fields(ChildRunRecord))

_Record = TypeVar("_Record", ParentRunRecord, ChildRunRecord)

SweepVersion = tuple[Any, ...]
"""A value that changes whenever a sweep or one of its child runs changes (see
:meth:`Snapshot.sweep_version`)."""


class StoreNotFoundError(HyperSweepError):
    """The workspace has no run store yet."""


class StoreReader:
    """Opens read-only snapshots of the run store at ``path``.

    Each :meth:`snapshot` opens its own SQLite connection, so one reader may serve many threads.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser().resolve()

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[Snapshot]:
        """Yield a :class:`Snapshot` that reads one consistent state of the store.

        Raises :class:`StoreNotFoundError` when the file does not exist and
        :class:`~hypersweep.errors.StoreVersionError` when its schema version is not the one that
        this hypersweep reads.
        """
        if not self.path.is_file():
            raise StoreNotFoundError(
                f"No run store at {str(self.path)!r} yet. Start a sweep in this workspace "
                "(hypersweep run SWEEP.yml), or pass --workspace with the folder of another one."
            )

        uri = f"file:{urllib.parse.quote(str(self.path))}?mode=ro"
        connection = sqlite3.connect(uri, uri=True, timeout=_BUSY_TIMEOUT_SECONDS,
                                     isolation_level=None, check_same_thread=False)
        try:
            # One read transaction, so every query below reads the same committed state. In WAL
            # mode a reader never blocks the controller that writes.
            connection.execute("BEGIN")
            _check_schema(connection, self.path)
            yield Snapshot(connection, self.path)
        finally:
            connection.close()

    def __repr__(self) -> str:
        return f"StoreReader({str(self.path)!r})"


class Snapshot:
    """Read queries over one consistent state of the run store."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._connection = connection
        self.path = path

    def fetch_all(self, sql: str, parameters: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        """Run one read query with bound parameters and return its rows."""
        return self._connection.execute(sql, parameters).fetchall()

    # Experiments and sweeps

    def experiments(self) -> list[ExperimentRecord]:
        """Return every experiment, oldest first."""
        rows = self.fetch_all("SELECT name, created_at FROM experiments ORDER BY created_at, name")
        return [ExperimentRecord(*row) for row in rows]

    def parent_runs(self) -> list[ParentRunRecord]:
        """Return every sweep, newest first."""
        rows = self.fetch_all(
            f"SELECT {', '.join(_PARENT_COLUMNS)} FROM parent_runs "
            "ORDER BY created_at DESC, rowid DESC"
        )
        return [_decode(ParentRunRecord, _PARENT_COLUMNS, row) for row in rows]

    def parent_run(self, run_id: str) -> ParentRunRecord:
        """Return the sweep ``run_id``; raise :class:`RunNotFoundError` if there is none."""
        rows = self.fetch_all(
            f"SELECT {', '.join(_PARENT_COLUMNS)} FROM parent_runs WHERE run_id = ?", (run_id,)
        )
        if not rows:
            raise RunNotFoundError(f"No sweep with id {run_id!r} in {str(self.path)!r}.")

        return _decode(ParentRunRecord, _PARENT_COLUMNS, rows[0])

    def status_counts(self, parent_id: str | None = None) -> dict[str, dict[RunStatus, int]]:
        """Return ``{sweep id: {status: child runs}}`` for one sweep or for all of them."""
        sql = "SELECT parent_id, status, COUNT(*) FROM child_runs"
        parameters: tuple[str, ...] = ()
        if parent_id is not None:
            sql += " WHERE parent_id = ?"
            parameters = (parent_id,)

        counts: dict[str, dict[RunStatus, int]] = {}
        for parent, status, count in self.fetch_all(sql + " GROUP BY parent_id, status",
                                                    parameters):
            counts.setdefault(parent, dict.fromkeys(RunStatus, 0))[RunStatus(status)] = count
        return counts

    def sweep_version(self, parent: ParentRunRecord) -> SweepVersion:
        """Return a value that changes whenever the sweep or one of its child runs changes.

        A child run changes its start or end time, or its number of primary metric values, with
        every step that the charts show, so one aggregate query over the child runs is enough.
        """
        (row,) = self.fetch_all(
            "SELECT COUNT(*), COUNT(started_at), COUNT(ended_at), TOTAL(last_interval), "
            "MAX(started_at), MAX(ended_at), TOTAL(best_score) FROM child_runs WHERE parent_id = ?",
            (parent.run_id,),
        )
        return (parent.run_id, parent.status.value, parent.best_child_id, parent.ended_at, *row)

    # Child runs

    def child_run(self, run_id: str) -> ChildRunRecord:
        """Return the child run ``run_id``; raise :class:`RunNotFoundError` if there is none."""
        rows = self.fetch_all(
            f"SELECT {', '.join(_CHILD_COLUMNS)} FROM child_runs WHERE run_id = ?", (run_id,)
        )
        if not rows:
            raise RunNotFoundError(f"No child run with id {run_id!r} in {str(self.path)!r}.")

        return _decode(ChildRunRecord, _CHILD_COLUMNS, rows[0])

    def scored_runs(self, parent_id: str) -> list[ScoredRun]:
        """Return every child run of a sweep in start order, with its hyperparameters and score."""
        rows = self.fetch_all(
            "SELECT run_id, number, status, best_score, hyperparameters, started_at, ended_at "
            "FROM child_runs WHERE parent_id = ? ORDER BY number",
            (parent_id,),
        )
        return [
            ScoredRun(run_id, number, RunStatus(status), _finite(score), json.loads(parameters),
                      started_at, ended_at)
            for run_id, number, status, score, parameters, started_at, ended_at in rows
        ]

    def first_hyperparameters(self, parent_id: str) -> dict[str, Any]:
        """Return the hyperparameters of the first child run (empty when there is none)."""
        rows = self.fetch_all(
            "SELECT hyperparameters FROM child_runs WHERE parent_id = ? ORDER BY number LIMIT 1",
            (parent_id,),
        )
        return json.loads(rows[0][0]) if rows else {}

    # Metrics and tags

    def metric_values(self, run_ids: Sequence[str], name: str) -> dict[str, list[float]]:
        """Return ``{run id: values}`` of one metric for the given child runs, in logged order.

        NaN stands for a NaN that was logged. Runs that never logged the metric are left out.
        """
        values: dict[str, list[float]] = {}
        # SQLite allows 999 bound parameters in older versions, so long lists go in chunks.
        for start in range(0, len(run_ids), 500):
            chunk = list(run_ids[start:start + 500])
            placeholders = ", ".join("?" * len(chunk))
            rows = self.fetch_all(
                "SELECT c.run_id, m.value FROM child_runs c "
                "JOIN metric_series s ON s.child_id = c.id AND s.name = ? "
                "JOIN metrics m ON m.series_id = s.id "
                f"WHERE c.run_id IN ({placeholders}) ORDER BY c.id, m.value_index",
                (name, *chunk),
            )
            for run_id, value in rows:
                values.setdefault(run_id, []).append(math.nan if value is None else value)
        return values

    def metrics(self, run_id: str) -> dict[str, list[tuple[float, float]]]:
        """Return ``{metric name: [(value, time), ...]}`` of a child run, names in logged order."""
        rows = self.fetch_all(
            "SELECT s.name, m.value, m.time FROM child_runs c "
            "JOIN metric_series s ON s.child_id = c.id "
            "JOIN metrics m ON m.series_id = s.id "
            "WHERE c.run_id = ? ORDER BY s.id, m.value_index",
            (run_id,),
        )
        metrics: dict[str, list[tuple[float, float]]] = {}
        for name, value, logged_at in rows:
            metrics.setdefault(name, []).append((math.nan if value is None else value, logged_at))
        return metrics

    def tags(self, run_id: str) -> dict[str, str | None]:
        """Return the tags of a sweep or child run in the order they were first set."""
        return dict(self.fetch_all(
            "SELECT key, value FROM tags WHERE run_id = ? ORDER BY rowid", (run_id,)
        ))


@dataclasses.dataclass(frozen=True)
class ScoredRun:
    """The fields of a child run that the charts use; ``score`` is None unless finite."""

    run_id: str
    number: int
    status: RunStatus
    score: float | None
    hyperparameters: dict[str, Any]
    started_at: float | None
    ended_at: float | None


def _check_schema(connection: sqlite3.Connection, path: Path) -> None:
    # NOTE: the queries of this module follow the tables of one schema version, so a new version
    # needs them checked; until then any other version is rejected here rather than misread.
    try:
        row = connection.execute(
            "SELECT value FROM meta WHERE key = 'schema_version'"
        ).fetchone()
    except sqlite3.DatabaseError as error:
        raise StoreNotFoundError(
            f"{str(path)!r} is not a hypersweep run store ({error}); pass --workspace with the "
            "folder of a hypersweep workspace."
        ) from error

    version = int(row[0]) if row is not None and str(row[0]).isdigit() else None
    if version == SCHEMA_VERSION:
        return

    raise StoreVersionError(
        f"The run store {str(path)!r} has schema version {version}, but this hypersweep reads "
        f"version {SCHEMA_VERSION}. A newer store needs a newer hypersweep (pip install "
        "--upgrade hypersweep); an older one is upgraded by any other hypersweep command, for "
        "example `hypersweep list`."
    )


def _decode(cls: type[_Record], columns: tuple[str, ...], row: Sequence[Any]) -> _Record:
    values = {
        name: json.loads(value) if name in _JSON_COLUMNS and value is not None else value
        for name, value in zip(columns, row, strict=True)
    }
    return cls(**values)


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None
