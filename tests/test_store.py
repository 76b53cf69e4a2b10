"""Tests of the SQLite run store: records, schema version, lookups, metrics, tags, transactions."""

from __future__ import annotations

import dataclasses
import math
import sqlite3
import threading
from pathlib import Path

import numpy as np
import pytest

import hypersweep.store as store_package
import hypersweep.store.sqlite as sqlite_store
from hypersweep.enums import PrimaryMetricGoal, RunStatus
from hypersweep.errors import InvalidMetricError
from hypersweep.store import (
    MIGRATIONS,
    SCHEMA_VERSION,
    ChildRunRecord,
    MetricRecord,
    ParentRunRecord,
    RunNotFoundError,
    Store,
    StoreError,
    StoreVersionError,
    schema,
)

TRICKY_TEXT = "é 日本語 </script><script>alert('x')</script> \"quoted\" \\ \u2028"


def make_parent(run_id: str = "HD_1111", **fields: object) -> ParentRunRecord:
    values: dict[str, object] = {
        "run_id": run_id,
        "experiment_name": "exp",
        "config": {"max_total_runs": 4},
        "primary_metric_name": "accuracy",
        "goal": PrimaryMetricGoal.MAXIMIZE,
        "status": RunStatus.RUNNING,
        "created_at": 1000.0,
    }
    values.update(fields)
    return ParentRunRecord(**values)  # type: ignore[arg-type]


def make_child(parent_id: str = "HD_1111", number: int = 0, **fields: object) -> ChildRunRecord:
    values: dict[str, object] = {
        "run_id": f"{parent_id}_{number}",
        "parent_id": parent_id,
        "number": number,
        "hyperparameters": {"lr": 0.1},
        "arguments": ["--lr", "0.1"],
        "status": RunStatus.QUEUED,
        "created_at": 1001.0 + number,
    }
    values.update(fields)
    return ChildRunRecord(**values)  # type: ignore[arg-type]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    with Store.open(tmp_path / "workspace" / "runs.db") as opened:
        yield opened


@pytest.fixture
def parent(store: Store) -> ParentRunRecord:
    record = make_parent()
    store.create_parent_run(record)
    return record


@pytest.fixture
def child(store: Store, parent: ParentRunRecord) -> ChildRunRecord:
    record = make_child(parent.run_id)
    store.create_child_run(record)
    return record


# Opening, WAL mode and the schema version


def test_public_names_are_importable() -> None:
    for name in store_package.__all__:
        assert hasattr(store_package, name), name


def test_open_creates_folders_and_wal_database(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "runs.db"
    with Store.open(path) as opened:
        assert opened.path == path

    assert path.is_file()
    connection = sqlite3.connect(path)
    try:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        version = connection.execute("SELECT value FROM meta WHERE key = 'schema_version'")
        assert version.fetchone()[0] == str(SCHEMA_VERSION)
    finally:
        connection.close()


def test_reopen_keeps_data(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    with Store.open(path) as first:
        first.create_parent_run(make_parent())

    with Store.open(path) as second:
        assert second.get_parent_run("HD_1111") == make_parent()


def test_newer_schema_version_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    Store.open(path).close()
    connection = sqlite3.connect(path)
    with connection:
        connection.execute(
            "UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),)
        )
    connection.close()

    with pytest.raises(StoreVersionError) as caught:
        Store.open(path)

    message = str(caught.value)
    assert str(path) in message
    assert f"schema version {SCHEMA_VERSION + 1}" in message
    assert f"schema version {SCHEMA_VERSION} at most" in message
    assert "Upgrade hypersweep" in message
    assert "another workspace" in message


def test_every_older_version_has_a_migration() -> None:
    assert len(MIGRATIONS) == SCHEMA_VERSION - 1


def test_older_version_is_migrated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "runs.db"
    with Store.open(path) as old:
        old.create_parent_run(make_parent())

    def add_column(connection: sqlite3.Connection) -> None:
        connection.execute("ALTER TABLE parent_runs ADD COLUMN note TEXT")

    monkeypatch.setattr(schema, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    monkeypatch.setattr(schema, "MIGRATIONS", [*MIGRATIONS, add_column])
    with Store.open(path) as upgraded:
        assert upgraded.get_parent_run("HD_1111").run_id == "HD_1111"

    connection = sqlite3.connect(path)
    try:
        columns = [row[1] for row in connection.execute("PRAGMA table_info(parent_runs)")]
        version = connection.execute("SELECT value FROM meta WHERE key = 'schema_version'")
        assert "note" in columns
        assert version.fetchone()[0] == str(SCHEMA_VERSION + 1)
    finally:
        connection.close()


def test_foreign_sqlite_database_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE things (x)")
    connection.commit()
    connection.close()

    with pytest.raises(StoreError, match="not a hypersweep run store"):
        Store.open(path)


def test_garbage_file_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    path.write_bytes(b"this is not a database, just text" * 100)

    with pytest.raises(StoreError, match="runs.db"):
        Store.open(path)


def test_closed_store_raises(tmp_path: Path) -> None:
    opened = Store.open(tmp_path / "runs.db")
    opened.close()
    opened.close()

    with pytest.raises(StoreError, match="closed"):
        opened.list_experiments()


# Experiments and parent runs


def test_ensure_experiment_gets_or_creates(store: Store) -> None:
    first = store.ensure_experiment("mnist")
    again = store.ensure_experiment("mnist")

    assert first == again
    assert [record.name for record in store.list_experiments()] == ["mnist"]


def test_create_parent_creates_experiment(store: Store, parent: ParentRunRecord) -> None:
    assert [record.name for record in store.list_experiments()] == [parent.experiment_name]


def test_parent_round_trip_with_none_fields(store: Store, parent: ParentRunRecord) -> None:
    loaded = store.get_parent_run(parent.run_id)

    assert loaded == parent
    assert loaded.started_at is None
    assert loaded.warnings == []


def test_parent_round_trip_with_every_field(store: Store) -> None:
    record = ParentRunRecord(
        run_id="HD_full",
        experiment_name=TRICKY_TEXT,
        config={"space": {"lr": ["uniform", [0.05, 0.1]]}, "note": TRICKY_TEXT, "n": [1, 2.5]},
        primary_metric_name="accuracy",
        goal=PrimaryMetricGoal.MINIMIZE,
        status=RunStatus.COMPLETED,
        created_at=1.5,
        started_at=2.25,
        ended_at=3.125,
        end_reason=TRICKY_TEXT,
        best_child_id="HD_full_3",
        best_score=-0.75,
        controller_pid=4242,
        controller_started_at=2.0,
        next_child_number=7,
        sampler_count=9,
        warnings=["No run logged 'accuracy'.", TRICKY_TEXT],
    )
    store.create_parent_run(record)

    loaded = store.get_parent_run("HD_full")
    assert loaded == record
    assert isinstance(loaded.goal, PrimaryMetricGoal)
    assert isinstance(loaded.status, RunStatus)


def test_duplicate_parent_is_rejected(store: Store, parent: ParentRunRecord) -> None:
    with pytest.raises(StoreError, match="already exists"):
        store.create_parent_run(parent)


def test_list_parent_runs_newest_first(store: Store) -> None:
    store.create_parent_run(make_parent("HD_old", created_at=1.0))
    store.create_parent_run(make_parent("HD_new", created_at=3.0))
    store.create_parent_run(make_parent("HD_mid", experiment_name="other", created_at=2.0))

    assert [run.run_id for run in store.list_parent_runs()] == ["HD_new", "HD_mid", "HD_old"]
    assert [run.run_id for run in store.list_parent_runs("exp")] == ["HD_new", "HD_old"]
    assert store.list_parent_runs("missing") == []


def test_update_parent_run(store: Store, parent: ParentRunRecord) -> None:
    updated = store.update_parent_run(
        parent.run_id,
        status=RunStatus.COMPLETED,
        ended_at=5.0,
        best_score=0.9,
        warnings=["one"],
        config={"changed": True},
    )

    assert updated == store.get_parent_run(parent.run_id)
    assert updated.status is RunStatus.COMPLETED
    assert updated.ended_at == 5.0
    assert updated.best_score == 0.9
    assert updated.warnings == ["one"]
    assert updated.config == {"changed": True}


def test_update_parent_unknown_field(store: Store, parent: ParentRunRecord) -> None:
    with pytest.raises(TypeError, match="'colour'"):
        store.update_parent_run(parent.run_id, colour="blue")

    with pytest.raises(TypeError, match="'run_id'"):
        store.update_parent_run(parent.run_id, run_id="HD_other")


def test_update_parent_wrong_json_type(store: Store, parent: ParentRunRecord) -> None:
    with pytest.raises(TypeError, match="warnings"):
        store.update_parent_run(parent.run_id, warnings="not a list")


def test_update_missing_parent_raises(store: Store) -> None:
    with pytest.raises(RunNotFoundError, match="HD_missing"):
        store.update_parent_run("HD_missing", status=RunStatus.FAILED)


def test_parent_not_found_message(store: Store) -> None:
    with pytest.raises(RunNotFoundError) as caught:
        store.get_parent_run("HD_nope")

    assert "'HD_nope'" in str(caught.value)
    assert "hypersweep list" in str(caught.value)
    assert isinstance(caught.value, LookupError)


# find_run


def test_find_run_exact_ids(store: Store, parent: ParentRunRecord, child: ChildRunRecord) -> None:
    assert store.find_run(parent.run_id) == parent
    assert store.find_run(child.run_id) == child


def test_find_run_unique_prefix(store: Store) -> None:
    store.create_parent_run(make_parent("HD_abc123"))
    store.create_parent_run(make_parent("HD_abd456"))

    assert store.find_run("HD_abc").run_id == "HD_abc123"
    assert store.find_run("HD_abd4").run_id == "HD_abd456"


def test_find_run_ambiguous_prefix_lists_candidates(store: Store) -> None:
    store.create_parent_run(make_parent("HD_abc123"))
    store.create_parent_run(make_parent("HD_abd456"))

    with pytest.raises(RunNotFoundError) as caught:
        store.find_run("HD_ab")

    message = str(caught.value)
    assert "ambiguous" in message
    assert "HD_abc123" in message
    assert "HD_abd456" in message


def test_find_run_long_candidate_list_is_cut(store: Store) -> None:
    for number in range(12):
        store.create_parent_run(make_parent(f"HD_x{number:02d}"))

    with pytest.raises(RunNotFoundError, match="matches 12 sweeps .* and 2 more"):
        store.find_run("HD_x")


def test_find_run_prefix_is_literal(store: Store) -> None:
    # "_" and "%" are LIKE wildcards; a prefix must match them literally.
    store.create_parent_run(make_parent("HDxabc"))

    with pytest.raises(RunNotFoundError):
        store.find_run("HD_")


def test_find_run_missing(store: Store, parent: ParentRunRecord) -> None:
    for run_id in ("HD_zzz", ""):
        with pytest.raises(RunNotFoundError, match="hypersweep list"):
            store.find_run(run_id)


def test_find_run_ignores_child_prefixes(store: Store, child: ChildRunRecord) -> None:
    with pytest.raises(RunNotFoundError):
        store.find_run(child.run_id[:-1])


# Child runs


def test_child_round_trip_with_none_fields(store: Store, child: ChildRunRecord) -> None:
    loaded = store.get_child_run(child.run_id)

    assert loaded == child
    assert loaded.termination is None
    assert loaded.exit_code is None


def test_child_round_trip_with_every_field(store: Store, parent: ParentRunRecord) -> None:
    record = ChildRunRecord(
        run_id="HD_1111_5",
        parent_id=parent.run_id,
        number=5,
        hyperparameters={"--learning-rate": 0.001, "layers": 3, "act": TRICKY_TEXT, "b": True},
        arguments=["--epochs", "3", "--act", TRICKY_TEXT],
        status=RunStatus.CANCELED,
        created_at=10.0,
        started_at=11.0,
        ended_at=12.0,
        exit_code=-15,
        reason=TRICKY_TEXT,
        log_tail="Traceback ...\n" + TRICKY_TEXT,
        termination={
            "policy": "BanditPolicy",
            "interval": 5,
            "value": 0.61,
            "reference": 0.667,
            "message": "cancelled at interval 5 <b>" + TRICKY_TEXT,
        },
        best_score=0.61,
        last_interval=5,
        metrics_offset=12345,
        pid=999,
        run_dir="/tmp/runs/HD_1111_5",
    )
    store.create_child_run(record)

    assert store.get_child_run(record.run_id) == record


def test_termination_keeps_non_finite_numbers(store: Store, child: ChildRunRecord) -> None:
    termination = {"value": float("-inf"), "reference": float("nan"), "interval": 2}
    loaded = store.update_child_run(child.run_id, termination=termination)

    assert loaded.termination is not None
    assert loaded.termination["value"] == float("-inf")
    assert math.isnan(loaded.termination["reference"])


def test_create_child_needs_parent(store: Store) -> None:
    with pytest.raises(RunNotFoundError, match="HD_orphan"):
        store.create_child_run(make_child("HD_orphan"))


def test_duplicate_child_is_rejected(store: Store, child: ChildRunRecord) -> None:
    with pytest.raises(StoreError, match="already exists"):
        store.create_child_run(child)

    with pytest.raises(StoreError, match="already has child number 0"):
        store.create_child_run(dataclasses.replace(child, run_id="HD_1111_other"))


def test_list_child_runs_by_number_and_status(store: Store, parent: ParentRunRecord) -> None:
    for number, status in ((2, RunStatus.RUNNING), (0, RunStatus.COMPLETED), (1, RunStatus.FAILED)):
        store.create_child_run(make_child(parent.run_id, number, status=status))

    every = store.list_child_runs(parent.run_id)
    finished = store.list_child_runs(parent.run_id, [RunStatus.COMPLETED, RunStatus.FAILED])

    assert [run.number for run in every] == [0, 1, 2]
    assert [run.number for run in finished] == [0, 1]
    assert store.list_child_runs(parent.run_id, []) == []


def test_list_child_runs_missing_parent(store: Store) -> None:
    with pytest.raises(RunNotFoundError, match="HD_missing"):
        store.list_child_runs("HD_missing")


def test_count_child_runs(store: Store, parent: ParentRunRecord) -> None:
    statuses = [RunStatus.RUNNING, RunStatus.COMPLETED, RunStatus.COMPLETED]
    for number, status in enumerate(statuses):
        store.create_child_run(make_child(parent.run_id, number, status=status))

    counts = store.count_child_runs(parent.run_id)

    assert counts[RunStatus.COMPLETED] == 2
    assert counts[RunStatus.RUNNING] == 1
    assert counts[RunStatus.QUEUED] == 0
    assert set(counts) == set(RunStatus)


def test_update_child_run(store: Store, child: ChildRunRecord) -> None:
    updated = store.update_child_run(
        child.run_id, status="Failed", exit_code=2, log_tail="boom", pid=None, arguments=["--x"]
    )

    assert updated == store.get_child_run(child.run_id)
    assert updated.status is RunStatus.FAILED
    assert updated.exit_code == 2
    assert updated.log_tail == "boom"
    assert updated.arguments == ["--x"]


def test_update_child_unknown_field(store: Store, child: ChildRunRecord) -> None:
    with pytest.raises(TypeError, match="'parent_id'"):
        store.update_child_run(child.run_id, parent_id="HD_other")


def test_child_not_found_message(store: Store) -> None:
    with pytest.raises(RunNotFoundError) as caught:
        store.get_child_run("HD_1111_9")

    assert "'HD_1111_9'" in str(caught.value)
    assert "hypersweep list" in str(caught.value)


# Metrics


def test_metrics_indexes_and_order(store: Store, child: ChildRunRecord) -> None:
    added = store.add_metrics(
        child.run_id, [("loss", 2.0, 1.0), ("accuracy", 0.5, 1.5), ("loss", 1.0, 2.0)]
    )
    store.add_metrics(child.run_id, [("accuracy", 0.7, 3.0)])

    assert added == [
        MetricRecord(child.run_id, "loss", 0, 2.0, 1.0),
        MetricRecord(child.run_id, "accuracy", 0, 0.5, 1.5),
        MetricRecord(child.run_id, "loss", 1, 1.0, 2.0),
    ]
    metrics = store.get_metrics(child.run_id)
    assert list(metrics) == ["loss", "accuracy"]
    assert metrics["accuracy"] == [
        MetricRecord(child.run_id, "accuracy", 0, 0.5, 1.5),
        MetricRecord(child.run_id, "accuracy", 1, 0.7, 3.0),
    ]
    assert store.get_metric_values(child.run_id, "loss") == [2.0, 1.0]
    assert store.metric_names(child.run_id) == ["loss", "accuracy"]


def test_non_finite_metrics_round_trip(store: Store, child: ChildRunRecord) -> None:
    values = [("m", float("nan"), 1.0), ("m", float("inf"), 2.0), ("m", float("-inf"), 3.0)]
    store.add_metrics(child.run_id, values)

    loaded = store.get_metric_values(child.run_id, "m")
    records = store.get_metrics(child.run_id)["m"]

    assert math.isnan(loaded[0])
    assert loaded[1:] == [float("inf"), float("-inf")]
    assert math.isnan(records[0].value)
    assert math.isnan(store.get_parent_metric_values(child.parent_id, "m")[child.run_id][0])


def test_nan_is_stored_as_null(store: Store, child: ChildRunRecord) -> None:
    store.add_metrics(child.run_id, [("m", float("nan"), 1.0)])

    connection = sqlite3.connect(store.path)
    try:
        stored = connection.execute("SELECT value FROM metrics").fetchall()
    finally:
        connection.close()
    assert stored == [(None,)]


def test_numpy_scalars_are_numbers(store: Store, child: ChildRunRecord) -> None:
    values = [("m", np.float32(0.5), np.float64(1.0)), ("m", np.int64(3), 2)]
    store.add_metrics(child.run_id, values)

    assert store.get_metric_values(child.run_id, "m") == [0.5, 3.0]


@pytest.mark.parametrize("bad", ["0.5", None, [1.0], b"1"])
def test_non_numeric_metric_is_rejected(store: Store, child: ChildRunRecord, bad: object) -> None:
    with pytest.raises(InvalidMetricError, match="'accuracy'"):
        store.add_metrics(child.run_id, [("loss", 1.0, 1.0), ("accuracy", bad, 2.0)])

    assert store.get_metrics(child.run_id) == {}


def test_metrics_of_missing_run(store: Store) -> None:
    with pytest.raises(RunNotFoundError, match="HD_missing_0"):
        store.add_metrics("HD_missing_0", [("m", 1.0, 1.0)])

    with pytest.raises(RunNotFoundError, match="HD_missing_0"):
        store.get_metrics("HD_missing_0")


def test_parent_has_no_metrics(store: Store, parent: ParentRunRecord) -> None:
    assert store.get_metrics(parent.run_id) == {}
    assert store.metric_names(parent.run_id) == []


def test_unlogged_metric_is_empty(store: Store, child: ChildRunRecord) -> None:
    assert store.get_metric_values(child.run_id, "never") == []


def test_parent_metric_values(store: Store, parent: ParentRunRecord) -> None:
    for number in (1, 0, 2):
        store.create_child_run(make_child(parent.run_id, number))
    store.add_metrics(f"{parent.run_id}_1", [("acc", 0.1, 1.0), ("acc", 0.2, 2.0)])
    store.add_metrics(f"{parent.run_id}_0", [("acc", 0.3, 1.0), ("loss", 9.0, 1.0)])
    store.add_metrics(f"{parent.run_id}_2", [("loss", 1.0, 1.0)])

    values = store.get_parent_metric_values(parent.run_id, "acc")

    assert values == {f"{parent.run_id}_0": [0.3], f"{parent.run_id}_1": [0.1, 0.2]}
    assert list(values) == [f"{parent.run_id}_0", f"{parent.run_id}_1"]


def test_add_metrics_updates_child_with_values(store: Store, child: ChildRunRecord) -> None:
    store.add_metrics(
        child.run_id,
        [("acc", 0.5, 1.0)],
        metrics_offset=120,
        child_updates={"best_score": 0.5, "last_interval": 1},
    )

    loaded = store.get_child_run(child.run_id)
    assert loaded.metrics_offset == 120
    assert loaded.best_score == 0.5
    assert loaded.last_interval == 1


def test_add_metrics_offset_without_values(store: Store, child: ChildRunRecord) -> None:
    assert store.add_metrics(child.run_id, [], metrics_offset=7) == []

    assert store.get_child_run(child.run_id).metrics_offset == 7


def test_add_metrics_offset_given_twice(store: Store, child: ChildRunRecord) -> None:
    with pytest.raises(TypeError, match="metrics_offset"):
        store.add_metrics(
            child.run_id, [("a", 1.0, 1.0)], metrics_offset=1, child_updates={"metrics_offset": 2}
        )


def test_add_metrics_bad_child_update_writes_nothing(store: Store, child: ChildRunRecord) -> None:
    with pytest.raises(TypeError, match="'colour'"):
        store.add_metrics(
            child.run_id, [("a", 1.0, 1.0)], metrics_offset=10, child_updates={"colour": 1}
        )

    assert store.get_metrics(child.run_id) == {}
    assert store.get_child_run(child.run_id).metrics_offset == 0


def test_add_metrics_is_exactly_once(store: Store, child: ChildRunRecord) -> None:
    # A controller that dies after reading a batch but before committing must find neither the
    # values nor the new offset, so that it reads the same batch again after a restart.
    lines = [("acc", 0.1, 1.0), ("acc", 0.2, 2.0)]
    with pytest.raises(KeyboardInterrupt):
        with store.transaction():
            store.add_metrics(child.run_id, lines, metrics_offset=40)
            raise KeyboardInterrupt

    assert store.get_metric_values(child.run_id, "acc") == []
    offset = store.get_child_run(child.run_id).metrics_offset
    assert offset == 0

    store.add_metrics(child.run_id, lines, metrics_offset=40)
    assert store.get_metric_values(child.run_id, "acc") == [0.1, 0.2]
    assert store.get_child_run(child.run_id).metrics_offset == 40


# Tags


def test_tags_round_trip(store: Store, parent: ParentRunRecord, child: ChildRunRecord) -> None:
    store.set_tag(child.run_id, "b", "1")
    store.set_tag(child.run_id, "a", None)
    store.set_tag(child.run_id, "b", TRICKY_TEXT)
    store.set_tag(parent.run_id, "kind", "sweep")

    assert store.get_tags(child.run_id) == {"b": TRICKY_TEXT, "a": None}
    assert list(store.get_tags(child.run_id)) == ["b", "a"]
    assert store.get_tags(parent.run_id) == {"kind": "sweep"}


def test_tag_errors(store: Store, child: ChildRunRecord) -> None:
    with pytest.raises(RunNotFoundError, match="HD_missing"):
        store.set_tag("HD_missing", "k", "v")

    with pytest.raises(TypeError, match="'k'"):
        store.set_tag(child.run_id, "k", 3)  # type: ignore[arg-type]

    with pytest.raises(ValueError, match="tag key"):
        store.set_tag(child.run_id, "", "v")


# Transactions and snapshots


def test_transaction_rollback_leaves_nothing(store: Store) -> None:
    with pytest.raises(RuntimeError, match="crash"):
        with store.transaction():
            store.create_parent_run(make_parent())
            store.create_child_run(make_child())
            store.add_metrics("HD_1111_0", [("acc", 1.0, 1.0)])
            store.set_tag("HD_1111_0", "k", "v")
            raise RuntimeError("crash")

    assert store.list_parent_runs() == []
    assert store.list_experiments() == []
    with pytest.raises(RunNotFoundError):
        store.get_child_run("HD_1111_0")


def test_transaction_commits_on_success(store: Store) -> None:
    with store.transaction():
        store.create_parent_run(make_parent())
        store.create_child_run(make_child())

    assert store.get_child_run("HD_1111_0") == make_child()


def test_nested_transaction_rolls_back_inner_only(store: Store, parent: ParentRunRecord) -> None:
    with store.transaction():
        store.create_child_run(make_child(parent.run_id, 0))
        with pytest.raises(ValueError, match="inner"):
            with store.transaction():
                store.create_child_run(make_child(parent.run_id, 1))
                raise ValueError("inner")
        with store.transaction():
            store.create_child_run(make_child(parent.run_id, 2))

    assert [run.number for run in store.list_child_runs(parent.run_id)] == [0, 2]


def test_failed_call_inside_transaction_keeps_earlier_writes(
    store: Store, parent: ParentRunRecord
) -> None:
    with store.transaction():
        store.create_child_run(make_child(parent.run_id, 0))
        with pytest.raises(StoreError):
            store.create_child_run(make_child(parent.run_id, 0))

    assert len(store.list_child_runs(parent.run_id)) == 1


def test_snapshot_is_read_only(store: Store, parent: ParentRunRecord) -> None:
    with store.snapshot():
        with pytest.raises(StoreError, match="read-only"):
            store.update_parent_run(parent.run_id, status=RunStatus.FAILED)

    assert store.get_parent_run(parent.run_id).status is RunStatus.RUNNING


def test_snapshot_sees_one_state(store: Store, parent: ParentRunRecord) -> None:
    with Store.open(store.path) as writer:
        with store.snapshot():
            before = store.list_child_runs(parent.run_id)
            writer.create_child_run(make_child(parent.run_id, 0))
            during = store.list_child_runs(parent.run_id)

        after = store.list_child_runs(parent.run_id)

    assert before == during == []
    assert len(after) == 1


def test_second_writer_times_out_clearly(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_store, "BUSY_TIMEOUT_SECONDS", 0.2)
    with Store.open(store.path) as other, store.transaction():
        store.ensure_experiment("held")
        with pytest.raises(StoreError, match="locked .* no other hypersweep controller"):
            other.ensure_experiment("blocked")


def test_threads_share_one_store(store: Store, parent: ParentRunRecord) -> None:
    errors: list[BaseException] = []

    def work(offset: int) -> None:
        try:
            for number in range(offset, offset + 20):
                with store.transaction():
                    store.create_child_run(make_child(parent.run_id, number))
                    store.add_metrics(f"{parent.run_id}_{number}", [("acc", 1.0, 1.0)])
                store.list_child_runs(parent.run_id)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=work, args=(start * 100,)) for start in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert store.count_child_runs(parent.run_id)[RunStatus.QUEUED] == 80
    assert len(store.get_parent_metric_values(parent.run_id, "acc")) == 80
