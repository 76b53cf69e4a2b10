"""The run store: a SQLite database in WAL mode that stores experiments, sweeps, runs and metrics.

While a sweep runs, its controller is the only writer. Readers (the CLI, the dashboard, other
threads) use their own :class:`Store` and never block it: in WAL mode a reader works on the last
committed state while the writer appends to the log. Every change that spans several rows is one
transaction, so a reader never sees a half-written run.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import math
import os
import sqlite3
import threading
import time
from collections.abc import Collection, Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from hypersweep.enums import PrimaryMetricGoal, RunStatus
from hypersweep.errors import InvalidMetricError, RunNotFoundError, StoreError
from hypersweep.store.records import (
    ChildRunRecord,
    ExperimentRecord,
    MetricRecord,
    ParentRunRecord,
)
from hypersweep.store.schema import ensure_schema

__all__ = ["BUSY_TIMEOUT_SECONDS", "CHILD_MUTABLE_FIELDS", "PARENT_MUTABLE_FIELDS", "Store"]

logger = logging.getLogger(__name__)

BUSY_TIMEOUT_SECONDS = 30.0
"""How long a statement waits for a lock held by another connection before it fails."""

_PARENT_FIELDS = tuple(field.name for field in dataclasses.fields(ParentRunRecord))
_CHILD_FIELDS = tuple(field.name for field in dataclasses.fields(ChildRunRecord))

PARENT_MUTABLE_FIELDS = frozenset(
    {
        "status",
        "started_at",
        "ended_at",
        "end_reason",
        "best_child_id",
        "best_score",
        "controller_pid",
        "controller_started_at",
        "next_child_number",
        "sampler_count",
        "warnings",
        "config",
    }
)
CHILD_MUTABLE_FIELDS = frozenset(
    {
        "status",
        "started_at",
        "ended_at",
        "exit_code",
        "reason",
        "log_tail",
        "termination",
        "best_score",
        "last_interval",
        "metrics_offset",
        "pid",
        "run_dir",
        "hyperparameters",
        "arguments",
    }
)

# Structured fields are stored as JSON text, with the Python type each must have.
_JSON_FIELDS: dict[str, type | tuple[type, ...]] = {
    "config": dict,
    "warnings": list,
    "hyperparameters": dict,
    "arguments": list,
    "termination": (dict, type(None)),
}

# U+10FFFF sorts after every other character in SQLite's binary collation, so the ids that
# start with a prefix P are exactly those in [P, P + U+10FFFF).
_MAX_CHARACTER = "\U0010ffff"
_MAX_LISTED_CANDIDATES = 10

_Record = TypeVar("_Record", ParentRunRecord, ChildRunRecord)


class Store:
    """A connection to the run store of one workspace.

    One ``Store`` owns one SQLite connection and may be shared by threads: a lock serialises
    its calls, and a :meth:`transaction` or :meth:`snapshot` keeps the lock until it ends.
    Several processes may open the same file; only one should write at a time.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        """Open (and if needed create) the store at ``path``; prefer :meth:`Store.open`."""
        self._path = Path(path)
        self._lock = threading.RLock()
        self._depth = 0
        self._writing = False
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._connection: sqlite3.Connection | None = _connect(self._path)
        logger.debug("Opened run store %s", self._path)

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> Store:
        """Open the store at ``path``, creating the file and its parent folders if missing.

        Raises :class:`~hypersweep.errors.StoreVersionError` if a newer hypersweep wrote it.
        """
        return cls(path)

    @property
    def path(self) -> Path:
        """The database file."""
        return self._path

    def close(self) -> None:
        """Close the connection; closing twice is harmless."""
        with self._lock:
            if self._depth:
                raise StoreError(
                    f"Cannot close the run store {str(self._path)!r} inside a transaction or "
                    "snapshot; close it after the with block."
                )

            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({str(self._path)!r})"

    # Transactions

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Group several writes into one atomic change.

        Either every write inside the ``with`` block is committed, or, if it raises, none is.
        Nested use is allowed: an inner block that raises undoes only its own writes (it is a
        savepoint) and the exception goes on to the outer block. Other threads that use this
        ``Store`` wait until the outermost block ends.
        """
        with self._lock:
            connection = self._open_connection()
            if self._depth == 0:
                yield from self._outer_transaction(connection)
                return

            if not self._writing:
                raise StoreError(
                    "Cannot write inside Store.snapshot(), which is read-only; "
                    "use Store.transaction() for the whole block instead."
                )

            savepoint = f"hypersweep_{self._depth}"
            connection.execute(f"SAVEPOINT {savepoint}")
            self._depth += 1
            try:
                yield
            except BaseException:
                connection.execute(f"ROLLBACK TO {savepoint}")
                connection.execute(f"RELEASE {savepoint}")
                raise
            else:
                connection.execute(f"RELEASE {savepoint}")
            finally:
                self._depth -= 1

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        """Read several times from one consistent state of the store, without blocking writers.

        The reads inside the ``with`` block see the store as it was at the first of them, even
        if another process commits in between. Writing inside a snapshot raises
        :class:`~hypersweep.errors.StoreError`. Inside :meth:`transaction` it changes nothing.
        """
        with self._lock:
            connection = self._open_connection()
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return

            # A deferred transaction takes no lock until its first read, and a read lock never
            # blocks the writer in WAL mode.
            connection.execute("BEGIN DEFERRED")
            self._depth = 1
            try:
                yield
            finally:
                self._depth = 0
                connection.execute("COMMIT")

    def _outer_transaction(self, connection: sqlite3.Connection) -> Iterator[None]:
        # IMMEDIATE takes the write lock at once. A deferred transaction that reads first and
        # writes later could fail with SQLITE_BUSY when another process wrote in between.
        try:
            connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            hint = "Check that the file and its folder are writable."
            if "locked" in str(error):
                hint = (
                    f"Another process kept it locked for {BUSY_TIMEOUT_SECONDS:g} s. Check that "
                    "no other hypersweep controller serves the same sweep."
                )
            raise StoreError(
                f"Cannot write to the run store {str(self._path)!r}: {error}. {hint}"
            ) from error

        self._depth = 1
        self._writing = True
        try:
            yield
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        else:
            try:
                connection.execute("COMMIT")
            except sqlite3.Error:
                connection.execute("ROLLBACK")
                raise
        finally:
            self._depth = 0
            self._writing = False

    def _open_connection(self) -> sqlite3.Connection:
        if self._connection is None:
            raise StoreError(
                f"The run store {str(self._path)!r} is closed; open it again with Store.open()."
            )

        return self._connection

    def _execute(self, sql: str, parameters: Sequence[object] = ()) -> sqlite3.Cursor:
        return self._open_connection().execute(sql, parameters)

    # Experiments

    def ensure_experiment(self, name: str) -> ExperimentRecord:
        """Return the experiment called ``name``, creating it if it does not exist."""
        _check_name("experiment name", name)
        with self.transaction():
            self._execute(
                "INSERT OR IGNORE INTO experiments (name, created_at) VALUES (?, ?)",
                (name, time.time()),
            )
            row = self._execute(
                "SELECT name, created_at FROM experiments WHERE name = ?", (name,)
            ).fetchone()

        return ExperimentRecord(*row)

    def list_experiments(self) -> list[ExperimentRecord]:
        """Return every experiment, oldest first."""
        with self.snapshot():
            rows = self._execute(
                "SELECT name, created_at FROM experiments ORDER BY created_at, name"
            ).fetchall()

        return [ExperimentRecord(*row) for row in rows]

    # Parent runs

    def create_parent_run(self, record: ParentRunRecord) -> None:
        """Store a new sweep, creating its experiment if needed."""
        if not isinstance(record, ParentRunRecord):
            raise TypeError(f"create_parent_run expects a ParentRunRecord, got {record!r}")

        _check_name("run_id", record.run_id)
        values = [_encode(name, getattr(record, name)) for name in _PARENT_FIELDS]
        with self.transaction():
            if self._parent_exists(record.run_id):
                raise StoreError(
                    f"A sweep with id {record.run_id!r} already exists in the run store "
                    f"{str(self._path)!r}; give the new sweep another id."
                )

            self._execute(
                "INSERT OR IGNORE INTO experiments (name, created_at) VALUES (?, ?)",
                (record.experiment_name, record.created_at),
            )
            self._execute(
                f"INSERT INTO parent_runs ({', '.join(_PARENT_FIELDS)}) "
                f"VALUES ({', '.join('?' * len(_PARENT_FIELDS))})",
                values,
            )

    def get_parent_run(self, run_id: str) -> ParentRunRecord:
        """Return the sweep ``run_id``; raise :class:`RunNotFoundError` if there is none."""
        with self.snapshot():
            row = self._execute(
                f"SELECT {', '.join(_PARENT_FIELDS)} FROM parent_runs WHERE run_id = ?",
                (run_id,),
            ).fetchone()

        if row is None:
            raise self._parent_not_found(run_id)

        return _decode(ParentRunRecord, _PARENT_FIELDS, row)

    def list_parent_runs(self, experiment_name: str | None = None) -> list[ParentRunRecord]:
        """Return the sweeps of one experiment, or of all, newest first."""
        sql = f"SELECT {', '.join(_PARENT_FIELDS)} FROM parent_runs"
        parameters: tuple[str, ...] = ()
        if experiment_name is not None:
            sql += " WHERE experiment_name = ?"
            parameters = (experiment_name,)

        with self.snapshot():
            rows = self._execute(
                sql + " ORDER BY created_at DESC, rowid DESC", parameters
            ).fetchall()

        return [_decode(ParentRunRecord, _PARENT_FIELDS, row) for row in rows]

    def update_parent_run(self, run_id: str, **fields: object) -> ParentRunRecord:
        """Change some fields of a sweep and return the updated record.

        Only these fields can change: status, started_at, ended_at, end_reason, best_child_id,
        best_score, controller_pid, controller_started_at, next_child_number, sampler_count,
        warnings, config. Any other name raises ``TypeError``.
        """
        assignments = _assignments("update_parent_run", PARENT_MUTABLE_FIELDS, fields)
        with self.transaction():
            if assignments:
                self._update("parent_runs", run_id, assignments)
            return self.get_parent_run(run_id)

    def find_run(self, run_id_or_prefix: str) -> ParentRunRecord | ChildRunRecord:
        """Return the sweep or child run with this exact id, or the sweep whose id starts so.

        Raises :class:`RunNotFoundError` if nothing matches or if the prefix fits several
        sweeps (the message lists them).
        """
        prefix = run_id_or_prefix
        with self.snapshot():
            if self._parent_exists(prefix):
                return self.get_parent_run(prefix)

            if self._child_key(prefix) is not None:
                return self.get_child_run(prefix)

            matches: list[str] = []
            total = 0
            if prefix:
                bounds = (prefix, prefix + _MAX_CHARACTER)
                where = "FROM parent_runs WHERE run_id >= ? AND run_id < ?"
                matches = [
                    row[0]
                    for row in self._execute(
                        f"SELECT run_id {where} ORDER BY run_id LIMIT ?",
                        (*bounds, _MAX_LISTED_CANDIDATES),
                    )
                ]
                total = self._execute(f"SELECT COUNT(*) {where}", bounds).fetchone()[0]

            if len(matches) == 1:
                return self.get_parent_run(matches[0])

        if not matches:
            raise RunNotFoundError(
                f"no run whose id is or starts with {prefix!r} in the run store "
                f"{str(self._path)!r}. Run `hypersweep list` to see the sweeps of this workspace."
            )

        listed = ", ".join(matches)
        if total > len(matches):
            listed += f" and {total - len(matches)} more"
        raise RunNotFoundError(
            f"The id prefix {prefix!r} is ambiguous: it matches {total} sweeps ({listed}). "
            "Give more characters of the id; `hypersweep list` shows the full ids."
        )

    # Child runs

    def create_child_run(self, record: ChildRunRecord) -> None:
        """Store a new child run of an existing sweep."""
        if not isinstance(record, ChildRunRecord):
            raise TypeError(f"create_child_run expects a ChildRunRecord, got {record!r}")

        _check_name("run_id", record.run_id)
        values = [_encode(name, getattr(record, name)) for name in _CHILD_FIELDS]
        with self.transaction():
            if not self._parent_exists(record.parent_id):
                raise self._parent_not_found(record.parent_id)

            if self._child_key(record.run_id) is not None:
                raise StoreError(
                    f"A child run with id {record.run_id!r} already exists in the run store "
                    f"{str(self._path)!r}; give the new run another id."
                )

            existing = self._execute(
                "SELECT run_id FROM child_runs WHERE parent_id = ? AND number = ?",
                (record.parent_id, record.number),
            ).fetchone()
            if existing is not None:
                raise StoreError(
                    f"Sweep {record.parent_id!r} already has child number {record.number} "
                    f"({existing[0]!r}); use the sweep's next_child_number."
                )

            self._execute(
                f"INSERT INTO child_runs ({', '.join(_CHILD_FIELDS)}) "
                f"VALUES ({', '.join('?' * len(_CHILD_FIELDS))})",
                values,
            )

    def get_child_run(self, run_id: str) -> ChildRunRecord:
        """Return the child run ``run_id``; raise :class:`RunNotFoundError` if there is none."""
        with self.snapshot():
            row = self._execute(
                f"SELECT {', '.join(_CHILD_FIELDS)} FROM child_runs WHERE run_id = ?", (run_id,)
            ).fetchone()

        if row is None:
            raise self._child_not_found(run_id)

        return _decode(ChildRunRecord, _CHILD_FIELDS, row)

    def list_child_runs(
        self, parent_id: str, statuses: Collection[RunStatus] | None = None
    ) -> list[ChildRunRecord]:
        """Return the child runs of a sweep in start order, or only those in ``statuses``."""
        sql = f"SELECT {', '.join(_CHILD_FIELDS)} FROM child_runs WHERE parent_id = ?"
        parameters: list[object] = [parent_id]
        if statuses is not None:
            selected = sorted({RunStatus(status).value for status in statuses})
            sql += f" AND status IN ({', '.join('?' * len(selected))})"
            parameters.extend(selected)

        with self.snapshot():
            self._require_parent(parent_id)
            rows = self._execute(sql + " ORDER BY number", parameters).fetchall()

        return [_decode(ChildRunRecord, _CHILD_FIELDS, row) for row in rows]

    def update_child_run(self, run_id: str, **fields: object) -> ChildRunRecord:
        """Change some fields of a child run and return the updated record.

        Only these fields can change: status, started_at, ended_at, exit_code, reason,
        log_tail, termination, best_score, last_interval, metrics_offset, pid, run_dir,
        hyperparameters, arguments. Any other name raises ``TypeError``.
        """
        assignments = _assignments("update_child_run", CHILD_MUTABLE_FIELDS, fields)
        with self.transaction():
            if assignments:
                self._update("child_runs", run_id, assignments)
            return self.get_child_run(run_id)

    def count_child_runs(self, parent_id: str) -> dict[RunStatus, int]:
        """Return how many child runs of a sweep are in each status (every status is a key)."""
        with self.snapshot():
            self._require_parent(parent_id)
            rows = self._execute(
                "SELECT status, COUNT(*) FROM child_runs WHERE parent_id = ? GROUP BY status",
                (parent_id,),
            ).fetchall()

        counts = dict.fromkeys(RunStatus, 0)
        for status, count in rows:
            counts[RunStatus(status)] = count
        return counts

    # Metrics

    def add_metrics(
        self,
        run_id: str,
        values: Sequence[tuple[str, float, float]],
        *,
        metrics_offset: int | None = None,
        child_updates: Mapping[str, object] | None = None,
    ) -> list[MetricRecord]:
        """Append metric values ``(name, value, time)`` of a child run, in order.

        Each value gets the next index of its (run, name) series. ``metrics_offset`` and
        ``child_updates`` change the child run in the same transaction, so that a controller
        which records how far it has read the run's metrics file ingests every value exactly
        once, even if it is killed halfway.
        """
        updates = dict(child_updates or {})
        if metrics_offset is not None:
            if "metrics_offset" in updates:
                raise TypeError(
                    "add_metrics got metrics_offset both as an argument and in child_updates; "
                    "give it once."
                )
            updates["metrics_offset"] = metrics_offset

        assignments = _assignments("add_metrics child_updates", CHILD_MUTABLE_FIELDS, updates)
        logged = [_metric(item) for item in values]

        with self.transaction():
            child_key = self._child_key(run_id)
            if child_key is None:
                raise self._child_not_found(run_id)

            records = self._insert_metrics(run_id, child_key, logged)
            if assignments:
                self._update("child_runs", run_id, assignments)

        return records

    def discard_metrics(self, run_id: str, **child_updates: object) -> int:
        """Delete every metric value of a child run and apply ``child_updates``, atomically.

        A run that is started again from the beginning (after its controller died) logs its
        values anew, so the values of the interrupted attempt are dropped rather than doubled.
        Returns the number of values deleted.
        """
        assignments = _assignments("discard_metrics", CHILD_MUTABLE_FIELDS, child_updates)

        with self.transaction():
            child_key = self._child_key(run_id)
            if child_key is None:
                raise self._child_not_found(run_id)

            (count,) = self._execute(
                "SELECT COUNT(*) FROM metrics WHERE series_id IN "
                "(SELECT id FROM metric_series WHERE child_id = ?)", (child_key,)
            ).fetchone()
            self._execute("DELETE FROM metric_series WHERE child_id = ?", (child_key,))
            if assignments:
                self._update("child_runs", run_id, assignments)

        return int(count)

    def _insert_metrics(
        self, run_id: str, child_key: int, logged: list[tuple[str, float, float]]
    ) -> list[MetricRecord]:
        # The next index of each series named in this batch: (series id, next index).
        series: dict[str, list[int]] = {}
        for name, _, _ in logged:
            if name in series:
                continue

            row = self._execute(
                "SELECT id FROM metric_series WHERE child_id = ? AND name = ?", (child_key, name)
            ).fetchone()
            if row is None:
                cursor = self._execute(
                    "INSERT INTO metric_series (child_id, name) VALUES (?, ?)", (child_key, name)
                )
                series[name] = [int(cursor.lastrowid or 0), 0]
                continue

            (next_index,) = self._execute(
                "SELECT COALESCE(MAX(value_index) + 1, 0) FROM metrics WHERE series_id = ?",
                (row[0],),
            ).fetchone()
            series[name] = [row[0], next_index]

        records = []
        rows = []
        for name, value, logged_at in logged:
            entry = series[name]
            records.append(MetricRecord(run_id, name, entry[1], value, logged_at))
            # SQLite stores NaN as NULL anyway, so None makes that explicit.
            rows.append((entry[0], entry[1], None if math.isnan(value) else value, logged_at))
            entry[1] += 1

        self._open_connection().executemany(
            "INSERT INTO metrics (series_id, value_index, value, time) VALUES (?, ?, ?, ?)", rows
        )
        return records

    def get_metrics(self, run_id: str) -> dict[str, list[MetricRecord]]:
        """Return every metric value of a run: names in first-logged order, values by index.

        A sweep (parent run) has no metric values of its own and returns an empty mapping.
        """
        with self.snapshot():
            child_key = self._require_run(run_id)
            rows = self._execute(
                "SELECT s.name, m.value_index, m.value, m.time FROM metric_series s "
                "JOIN metrics m ON m.series_id = s.id WHERE s.child_id = ? "
                "ORDER BY s.id, m.value_index",
                (child_key,),
            ).fetchall()

        metrics: dict[str, list[MetricRecord]] = {}
        for name, index, value, logged_at in rows:
            record = MetricRecord(run_id, name, index, _float(value), logged_at)
            metrics.setdefault(name, []).append(record)
        return metrics

    def get_metric_values(self, run_id: str, name: str) -> list[float]:
        """Return the values of one metric of a run in logged order (empty if never logged)."""
        with self.snapshot():
            child_key = self._require_run(run_id)
            rows = self._execute(
                "SELECT m.value FROM metric_series s JOIN metrics m ON m.series_id = s.id "
                "WHERE s.child_id = ? AND s.name = ? ORDER BY m.value_index",
                (child_key, name),
            ).fetchall()

        return [_float(value) for (value,) in rows]

    def get_parent_metric_values(self, parent_id: str, name: str) -> dict[str, list[float]]:
        """Return ``{child run id: values}`` of one metric for every child run of a sweep.

        Children are in start order; those that never logged the metric are left out.
        """
        nan = math.nan
        result: dict[str, list[float]] = {}
        current: list[float] = []
        with self.snapshot():
            self._require_parent(parent_id)
            # One index walk: children by (parent_id, number), then each child's series by
            # (child_id, name) and its values by primary key, already in the wanted order.
            # The run id comes only with value 0 (indexes start at 0 without gaps), because a
            # million copies of it would take longer than the query. Streaming the cursor
            # instead of fetchall() avoids building a million row tuples at once.
            cursor = self._execute(
                "SELECT CASE WHEN m.value_index = 0 THEN c.run_id END, m.value "
                "FROM child_runs c "
                "JOIN metric_series s ON s.child_id = c.id AND s.name = ? "
                "JOIN metrics m ON m.series_id = s.id "
                "WHERE c.parent_id = ? ORDER BY c.number, m.value_index",
                (name, parent_id),
            )
            for run_id, value in cursor:
                if run_id is not None:
                    current = result[run_id] = []
                current.append(nan if value is None else value)

        return result

    def metric_names(self, run_id: str) -> list[str]:
        """Return the names of the metrics that a run logged, in first-logged order."""
        with self.snapshot():
            child_key = self._require_run(run_id)
            rows = self._execute(
                "SELECT name FROM metric_series WHERE child_id = ? ORDER BY id", (child_key,)
            ).fetchall()

        return [name for (name,) in rows]

    # Tags

    def set_tag(self, run_id: str, key: str, value: str | None) -> None:
        """Set (or replace) one tag of a sweep or child run."""
        _check_name("tag key", key)
        if value is not None and not isinstance(value, str):
            raise TypeError(f"Tag {key!r} has value {value!r}; a tag value must be a str or None.")

        with self.transaction():
            self._require_run(run_id)
            self._execute(
                "INSERT INTO tags (run_id, key, value) VALUES (?, ?, ?) "
                "ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value",
                (run_id, key, value),
            )

    def get_tags(self, run_id: str) -> dict[str, str | None]:
        """Return the tags of a sweep or child run in the order they were first set."""
        with self.snapshot():
            self._require_run(run_id)
            rows = self._execute(
                "SELECT key, value FROM tags WHERE run_id = ? ORDER BY rowid", (run_id,)
            ).fetchall()

        return dict(rows)

    # Lookups shared by the methods above; callers hold a transaction or snapshot.

    def _parent_exists(self, run_id: str) -> bool:
        return (
            self._execute("SELECT 1 FROM parent_runs WHERE run_id = ?", (run_id,)).fetchone()
            is not None
        )

    def _child_key(self, run_id: str) -> int | None:
        row = self._execute("SELECT id FROM child_runs WHERE run_id = ?", (run_id,)).fetchone()
        return None if row is None else int(row[0])

    def _require_parent(self, parent_id: str) -> None:
        if not self._parent_exists(parent_id):
            raise self._parent_not_found(parent_id)

    def _require_run(self, run_id: str) -> int | None:
        """Return the child key of a child run, None for a sweep; raise if it is neither."""
        child_key = self._child_key(run_id)
        if child_key is not None or self._parent_exists(run_id):
            return child_key

        raise RunNotFoundError(
            f"No run with id {run_id!r} in the run store {str(self._path)!r}. "
            "Run `hypersweep list` to see the sweeps of this workspace."
        )

    def _update(self, table: str, run_id: str, assignments: dict[str, object]) -> None:
        # Callers check that the row exists, or read it back and so raise RunNotFoundError.
        columns = ", ".join(f"{name} = ?" for name in assignments)
        self._execute(
            f"UPDATE {table} SET {columns} WHERE run_id = ?", [*assignments.values(), run_id]
        )

    def _parent_not_found(self, run_id: str) -> RunNotFoundError:
        return RunNotFoundError(
            f"No sweep (parent run) with id {run_id!r} in the run store {str(self._path)!r}. "
            "Run `hypersweep list` to see the sweeps of this workspace."
        )

    def _child_not_found(self, run_id: str) -> RunNotFoundError:
        return RunNotFoundError(
            f"No child run with id {run_id!r} in the run store {str(self._path)!r}. "
            "Run `hypersweep list` to see the sweeps of this workspace, and "
            "`hypersweep show SWEEP_ID` to see their child runs."
        )


def _connect(path: Path) -> sqlite3.Connection:
    try:
        # isolation_level=None leaves transactions to Store, which begins and ends them itself;
        # timeout sets SQLite's busy timeout.
        connection = sqlite3.connect(
            path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False
        )
    except sqlite3.Error as error:
        raise StoreError(
            f"Cannot open the run store {str(path)!r}: {error}. Check that the folder exists "
            "and is writable, or use another workspace path."
        ) from error

    try:
        mode = connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise StoreError(
                f"Cannot switch the run store {str(path)!r} to write-ahead logging (SQLite "
                f"kept journal mode {mode!r}); put the workspace on a local file system."
            )

        connection.execute("PRAGMA synchronous = NORMAL")
        connection.execute("PRAGMA foreign_keys = ON")
        ensure_schema(connection, path)
    except sqlite3.DatabaseError as error:
        connection.close()
        raise StoreError(
            f"Cannot open the run store {str(path)!r}: {error}. If the file is not a "
            "hypersweep workspace database, use another workspace path."
        ) from error
    except BaseException:
        connection.close()
        raise

    return connection


def _check_name(field: str, value: object) -> None:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{field}={value!r} is invalid; it must be a non-empty str.")


def _assignments(
    caller: str, allowed: frozenset[str], fields: Mapping[str, object]
) -> dict[str, object]:
    """Check field names against ``allowed`` and encode their values as column values."""
    for name in fields:
        if name not in allowed:
            raise TypeError(
                f"{caller}() got an unknown or read-only field {name!r}; "
                f"the fields that can change are: {', '.join(sorted(allowed))}."
            )

    return {name: _encode(name, value) for name, value in fields.items()}


def _encode(field: str, value: object) -> object:
    """Convert a record field to the value of its column."""
    if field in _JSON_FIELDS:
        expected = _JSON_FIELDS[field]
        if not isinstance(value, expected):
            raise TypeError(f"{field}={value!r} is invalid; expected {_type_names(expected)}.")

        if value is None:
            return None

        try:
            # ensure_ascii=False keeps non-ASCII text readable in the file; allow_nan keeps
            # NaN and infinities, which Python's json reads back.
            return json.dumps(value, ensure_ascii=False, allow_nan=True)
        except (TypeError, ValueError) as error:
            raise TypeError(
                f"{field} cannot be stored: {error}. Use JSON types (dict, list, str, int, "
                "float, bool, None)."
            ) from error

    if field == "status":
        return RunStatus(value).value

    if field == "goal":
        return PrimaryMetricGoal.parse(value, field="goal").value

    return value


def _decode(cls: type[_Record], fields: tuple[str, ...], row: Sequence[Any]) -> _Record:
    """Build a record from the columns of ``fields``, in order."""
    values: dict[str, Any] = {}
    for name, value in zip(fields, row, strict=True):
        if name in _JSON_FIELDS and value is not None:
            value = json.loads(value)
        values[name] = value

    return cls(**values)


def _type_names(expected: type | tuple[type, ...]) -> str:
    types = expected if isinstance(expected, tuple) else (expected,)
    return " or ".join("None" if kind is type(None) else kind.__name__ for kind in types)


def _metric(item: tuple[str, float, float]) -> tuple[str, float, float]:
    """Check one ``(name, value, time)`` entry and return it with float value and time."""
    try:
        name, value, logged_at = item
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"Metric entry {item!r} is invalid; give (name, value, time) tuples."
        ) from error

    _check_name("metric name", name)
    if isinstance(value, (str, bytes)) or value is None:
        raise InvalidMetricError(f"Metric {name!r} has value {value!r}, which is not a number.")

    try:
        return name, float(value), float(logged_at)
    except (TypeError, ValueError) as error:
        raise InvalidMetricError(
            f"Metric {name!r} has value {value!r} at time {logged_at!r}; both must be numbers."
        ) from error


def _float(value: float | None) -> float:
    return math.nan if value is None else value
