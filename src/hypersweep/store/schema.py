"""The versioned SQLite schema of the run store, its version check and its migrations.

A database is created at the current :data:`SCHEMA_VERSION`. A database from an older version is
upgraded by running the steps of :data:`MIGRATIONS` that it lacks, in one transaction. A database
from a newer version is rejected with :class:`~hypersweep.errors.StoreVersionError`, because an
older hypersweep cannot know what the newer one stored.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Callable

from hypersweep.errors import StoreError, StoreVersionError

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "ensure_schema"]

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1
"""The schema version that this hypersweep reads and writes."""

# Metric values are the bulk of the data (a sweep of 10,000 runs x 100 values is 1,000,000 rows),
# so they refer to their series by integer id: a row is a few numbers, not two repeated strings.
# Each (run, metric name) pair is one series. New rowids exceed every existing one, so series
# ids grow in the order in which the names were first logged.
_CREATE_STATEMENTS = (
    """
    CREATE TABLE experiments (
        name TEXT PRIMARY KEY,
        created_at REAL NOT NULL
    )
    """,
    """
    CREATE TABLE parent_runs (
        run_id TEXT PRIMARY KEY,
        experiment_name TEXT NOT NULL REFERENCES experiments (name) ON DELETE CASCADE,
        config TEXT NOT NULL,
        primary_metric_name TEXT NOT NULL,
        goal TEXT NOT NULL,
        status TEXT NOT NULL,
        created_at REAL NOT NULL,
        started_at REAL,
        ended_at REAL,
        end_reason TEXT,
        best_child_id TEXT,
        best_score REAL,
        controller_pid INTEGER,
        controller_started_at REAL,
        next_child_number INTEGER NOT NULL,
        sampler_count INTEGER NOT NULL,
        warnings TEXT NOT NULL
    )
    """,
    "CREATE INDEX parent_runs_by_experiment ON parent_runs (experiment_name, created_at)",
    "CREATE INDEX parent_runs_by_time ON parent_runs (created_at)",
    """
    CREATE TABLE child_runs (
        id INTEGER PRIMARY KEY,
        run_id TEXT NOT NULL UNIQUE,
        parent_id TEXT NOT NULL REFERENCES parent_runs (run_id) ON DELETE CASCADE,
        number INTEGER NOT NULL,
        hyperparameters TEXT NOT NULL,
        arguments TEXT NOT NULL,
        status TEXT NOT NULL,
        created_at REAL NOT NULL,
        started_at REAL,
        ended_at REAL,
        exit_code INTEGER,
        reason TEXT,
        log_tail TEXT,
        termination TEXT,
        best_score REAL,
        last_interval INTEGER NOT NULL,
        metrics_offset INTEGER NOT NULL,
        pid INTEGER,
        run_dir TEXT,
        UNIQUE (parent_id, number)
    )
    """,
    """
    CREATE TABLE metric_series (
        id INTEGER PRIMARY KEY,
        child_id INTEGER NOT NULL REFERENCES child_runs (id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        UNIQUE (child_id, name)
    )
    """,
    # SQLite cannot store NaN: a NULL value is a NaN that was logged.
    """
    CREATE TABLE metrics (
        series_id INTEGER NOT NULL REFERENCES metric_series (id) ON DELETE CASCADE,
        value_index INTEGER NOT NULL,
        value REAL,
        time REAL NOT NULL,
        PRIMARY KEY (series_id, value_index)
    ) WITHOUT ROWID
    """,
    # Tags belong to parent or child runs, so run_id has no foreign key; the rowid keeps the
    # order in which the tags were first set.
    """
    CREATE TABLE tags (
        run_id TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT,
        PRIMARY KEY (run_id, key)
    )
    """,
)

Migration = Callable[[sqlite3.Connection], None]

MIGRATIONS: list[Migration] = []
"""Upgrade steps: ``MIGRATIONS[i]`` turns a version ``i + 1`` database into version ``i + 2``.

A new schema version appends one step here, raises :data:`SCHEMA_VERSION` by one and changes
``_CREATE_STATEMENTS`` so that new databases start at the new version directly.
"""


def ensure_schema(connection: sqlite3.Connection, path: str | os.PathLike[str]) -> None:
    """Create, check or upgrade the schema of an open database.

    The connection must be in autocommit mode. Readers of an up-to-date database take no write
    lock here, so opening a store never blocks a running controller.
    """
    try:
        version = _read_version(connection, path)
        if version == SCHEMA_VERSION:
            return

        _check_not_newer(version, path)
        # Creating or upgrading writes, so take the write lock and look again: another process
        # may have done the work in between.
        connection.execute("BEGIN IMMEDIATE")
        try:
            version = _read_version(connection, path)
            _check_not_newer(version, path)
            if version is None:
                _create(connection)
                logger.debug("Created run store schema version %s in %s", SCHEMA_VERSION, path)
            elif version < SCHEMA_VERSION:
                _migrate(connection, version)
                logger.info(
                    "Upgraded run store %s from schema version %s to %s",
                    path,
                    version,
                    SCHEMA_VERSION,
                )
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
    except sqlite3.DatabaseError as error:
        raise StoreError(
            f"Cannot open the run store {os.fspath(path)!r}: {error}. If the file is not a "
            "hypersweep workspace database, use another workspace path."
        ) from error


def _read_version(connection: sqlite3.Connection, path: str | os.PathLike[str]) -> int | None:
    """Return the stored schema version, or None for a database without tables."""
    tables = {
        row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    }
    if not tables:
        return None

    if "meta" not in tables:
        raise StoreError(
            f"{os.fspath(path)!r} is an SQLite database but not a hypersweep run store (it has "
            "no 'meta' table); use another workspace path."
        )

    row = connection.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    if row is None or not str(row[0]).isdigit() or int(row[0]) < 1:
        found = "nothing" if row is None else repr(row[0])
        raise StoreError(
            f"The run store {os.fspath(path)!r} has an invalid schema_version ({found}); "
            "use another workspace path."
        )

    return int(row[0])


def _check_not_newer(version: int | None, path: str | os.PathLike[str]) -> None:
    if version is None or version <= SCHEMA_VERSION:
        return

    raise StoreVersionError(
        f"The run store {os.fspath(path)!r} has schema version {version}, but this hypersweep "
        f"reads schema version {SCHEMA_VERSION} at most: it was written by a newer hypersweep. "
        "Upgrade hypersweep (pip install --upgrade hypersweep), or use another workspace."
    )


def _create(connection: sqlite3.Connection) -> None:
    connection.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    for statement in _CREATE_STATEMENTS:
        connection.execute(statement)

    connection.execute(
        "INSERT INTO meta (key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
    )


def _migrate(connection: sqlite3.Connection, version: int) -> None:
    for step in MIGRATIONS[version - 1 :]:
        step(connection)

    connection.execute(
        "UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),)
    )
