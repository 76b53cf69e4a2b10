"""Tests of the run store under a writer in another process, and with sweep-sized data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import hypersweep.store
from hypersweep.enums import PrimaryMetricGoal, RunStatus
from hypersweep.store import ChildRunRecord, ParentRunRecord, Store

PARENT_ID = "HD_concurrent"
VALUES_PER_CHILD = 20

# The writer behaves like a controller: one transaction per finished batch of a child run, which
# creates the child, adds its metric values with the file offset, and moves the sweep's counter.
WRITER_SCRIPT = """
import json, sys, time
from hypersweep.enums import RunStatus
from hypersweep.store import ChildRunRecord, Store

path, parent_id, per_child, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
latencies = []
with Store.open(path) as store:
    deadline = time.monotonic() + seconds
    number = 0
    while time.monotonic() < deadline:
        run_id = f"{parent_id}_{number}"
        record = ChildRunRecord(
            run_id, parent_id, number, {"n": number}, [], RunStatus.RUNNING, time.time()
        )
        values = [("acc", number + i / per_child, time.time()) for i in range(per_child)]
        started = time.perf_counter()
        with store.transaction():
            store.create_child_run(record)
            store.add_metrics(
                run_id,
                values,
                metrics_offset=10 * per_child,
                child_updates={"status": RunStatus.COMPLETED, "last_interval": per_child},
            )
            store.update_parent_run(parent_id, next_child_number=number + 1)
        latencies.append(time.perf_counter() - started)
        number += 1
        time.sleep(0.001)
print(json.dumps({"count": number, "max_latency": max(latencies)}))
"""


def make_parent(run_id: str) -> ParentRunRecord:
    return ParentRunRecord(
        run_id=run_id,
        experiment_name="exp",
        config={},
        primary_metric_name="acc",
        goal=PrimaryMetricGoal.MAXIMIZE,
        status=RunStatus.RUNNING,
        created_at=time.time(),
    )


def check_consistent_view(store: Store) -> int:
    """Read the sweep in one snapshot, check that no run is half-written; return the run count."""
    with store.snapshot():
        parent = store.get_parent_run(PARENT_ID)
        children = store.list_child_runs(PARENT_ID)
        values = store.get_parent_metric_values(PARENT_ID, "acc")

    assert parent.next_child_number == len(children)
    assert list(values) == [child.run_id for child in children]
    for child in children:
        assert child.status is RunStatus.COMPLETED
        assert child.metrics_offset == 10 * VALUES_PER_CHILD
        assert len(values[child.run_id]) == VALUES_PER_CHILD

    # Outside a snapshot, a later read sees at least what an earlier one saw.
    if children:
        later = store.get_metric_values(children[-1].run_id, "acc")
        assert len(later) == VALUES_PER_CHILD
    return len(children)


def test_readers_never_block_or_see_half_written_runs(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    with Store.open(path) as setup:
        setup.create_parent_run(make_parent(PARENT_ID))

    source_root = Path(hypersweep.store.__file__).resolve().parents[2]
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(
        [str(source_root), *filter(None, [environment.get("PYTHONPATH")])]
    )
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER_SCRIPT, str(path), PARENT_ID, str(VALUES_PER_CHILD), "3"],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )

    errors: list[BaseException] = []
    counts_seen: set[int] = set()
    reads = [0]

    def read_continuously() -> None:
        try:
            with Store.open(path) as reader:
                while writer.poll() is None:
                    counts_seen.add(check_consistent_view(reader))
                    reads[0] += 1
        except BaseException as error:
            errors.append(error)

    def reopen_continuously() -> None:
        # Opening checks the schema version, which must not need the write lock either.
        try:
            while writer.poll() is None:
                with Store.open(path) as reader:
                    reader.count_child_runs(PARENT_ID)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=read_continuously) for _ in range(3)]
    threads.append(threading.Thread(target=reopen_continuously))
    for thread in threads:
        thread.start()
    stdout, stderr = writer.communicate(timeout=60)
    for thread in threads:
        thread.join(timeout=60)

    assert writer.returncode == 0, stderr
    assert errors == []
    result = json.loads(stdout)
    # Measured writes take milliseconds (under 40 ms on a 2-core machine). Readers that held
    # the writer up would push this towards the 30 s busy timeout.
    assert result["max_latency"] < 2.0
    assert result["count"] > 10
    assert reads[0] > 10
    assert len(counts_seen) > 2
    with Store.open(path) as final:
        assert check_consistent_view(final) == result["count"]


def test_sweep_sized_metrics_are_fast(tmp_path: Path) -> None:
    children, per_child = 10_000, 100
    with Store.open(tmp_path / "runs.db") as store:
        store.create_parent_run(make_parent("HD_big"))
        started = time.perf_counter()
        for first in range(0, children, 500):
            with store.transaction():
                for number in range(first, first + 500):
                    run_id = f"HD_big_{number}"
                    store.create_child_run(
                        ChildRunRecord(
                            run_id, "HD_big", number, {"n": number}, [], RunStatus.COMPLETED, 0.0
                        )
                    )
                    values = [("acc", number + i / per_child, float(i)) for i in range(per_child)]
                    values.append(("loss", 1.0, 0.0))
                    store.add_metrics(run_id, values)
        insert_seconds = time.perf_counter() - started

        started = time.perf_counter()
        values_by_run = store.get_parent_metric_values("HD_big", "acc")
        query_seconds = time.perf_counter() - started

        started = time.perf_counter()
        runs = store.list_child_runs("HD_big")
        list_seconds = time.perf_counter() - started

    assert len(values_by_run) == children
    assert all(len(values) == per_child for values in values_by_run.values())
    assert values_by_run["HD_big_9999"][-1] == 9999 + 99 / 100
    assert len(runs) == children
    assert insert_seconds < 40
    assert query_seconds < 5
    assert list_seconds < 5
