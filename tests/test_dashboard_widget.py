"""The Jupyter view, without a notebook server: ``RunDetails`` builds its widgets, and
``refresh()`` and the background refresh follow the store while a sweep runs."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("ipywidgets")
pytest.importorskip("jinja2")

from test_dashboard_support import (  # noqa: E402
    add_child,
    add_parent,
    completed_runs,
    small_sweep,
)

from hypersweep import Experiment, HyperDriveRun, Run, Workspace  # noqa: E402
from hypersweep.enums import RunStatus  # noqa: E402
from hypersweep.widgets import PLOTLY_MIME_TYPE, RunDetails  # noqa: E402

SPACE = {"lr": ["loguniform", [-9.0, -2.0]], "units": ["choice", [[16, 32]]],
         "dropout": ["uniform", [0.0, 0.5]]}


def running_sweep(tmp_path: Path, runs: int = 2) -> tuple[Workspace, HyperDriveRun]:
    workspace = Workspace(tmp_path / "workspace")
    with workspace.open_store() as store:
        add_parent(store, "HD_live", experiment="live", status=RunStatus.RUNNING, space=SPACE,
                   max_total_runs=5)
        for number in range(runs):
            add_child(store, "HD_live", number,
                      {"lr": 0.001 * (number + 1), "units": 16, "dropout": 0.1 * number},
                      [0.1 * step + number for step in range(4)])
    return workspace, HyperDriveRun(Experiment(workspace, "live"), "HD_live")


def row_count(details: RunDetails) -> int:
    return details.table.value.count("<tr data-run-id=")


def test_builds_from_real_sweep(tmp_path_factory: pytest.TempPathFactory) -> None:
    workspace, run_id = small_sweep(tmp_path_factory)

    details = RunDetails(HyperDriveRun(Experiment(workspace, "digits-demo"), run_id))

    assert not details.is_running
    assert row_count(details) == 8
    assert "8/8 runs done" in details.header.value
    assert len(details.figures["curves"]["data"]) == 8
    assert details.figures["parallel"]["data"][0]["type"] == "parcoords"
    assert details.figures["scatter3d"]["data"][0]["type"] == "scatter3d"
    assert len(details.figures["importance"]["data"]) == 1
    output = details.outputs["curves"].outputs[0]
    assert output["output_type"] == "display_data"
    assert output["data"][PLOTLY_MIME_TYPE]["data"] == details.figures["curves"]["data"]
    assert details.widget._repr_mimebundle_() is not None


def test_child_run_view(tmp_path_factory: pytest.TempPathFactory) -> None:
    workspace, run_id = small_sweep(tmp_path_factory)

    child_id = completed_runs((workspace, run_id))[1]
    details = RunDetails(Run(Experiment(workspace, "digits-demo"), child_id))

    assert child_id in details.header.value
    assert "accuracy" in details.header.value
    assert "loss" in details.header.value
    assert len(details.outputs["metrics"].outputs) == 2


def test_refresh_follows_store(tmp_path: Path) -> None:
    workspace, sweep = running_sweep(tmp_path)
    details = RunDetails(sweep)
    assert details.is_running
    assert row_count(details) == 2
    assert len(details.figures["curves"]["data"]) == 2
    assert "2/5 runs done" in details.header.value

    with workspace.open_store() as store:
        add_child(store, "HD_live", 2, {"lr": 0.01, "units": 32, "dropout": 0.4}, [5.0, 6.0])

    assert details.refresh() is True
    assert row_count(details) == 3
    assert len(details.figures["curves"]["data"]) == 3
    assert "3/5 runs done" in details.header.value

    with workspace.open_store() as store:
        store.update_parent_run("HD_live", status=RunStatus.COMPLETED, ended_at=time.time())

    assert details.refresh() is False
    assert not details.is_running
    assert "Completed" in details.header.value


def test_table_controls(tmp_path: Path) -> None:
    workspace, sweep = running_sweep(tmp_path, runs=7)
    details = RunDetails(sweep, page_size=3)
    assert row_count(details) == 3
    assert "page 1 of 3" in details.table.value
    assert details.previous.disabled

    details.next.click()
    assert "page 2 of 3" in details.table.value

    details.sort.value = "param:lr"
    assert "page 1 of 3" in details.table.value
    assert details.table.value.index("HD_live_0") < details.table.value.index("HD_live_1")

    details.status.value = "Canceled"
    assert row_count(details) == 0
    assert "No run matches the filter." in details.table.value

    details.axis_x.value = "dropout"
    layout = details.figures["scatter2d"]["layout"]
    assert layout["xaxis"]["title"]["text"] == "dropout"


def test_background_refresh_stops_at_end(tmp_path: Path) -> None:
    workspace, sweep = running_sweep(tmp_path)
    details = RunDetails(sweep, refresh_seconds=0.1)
    details.start()
    try:
        with workspace.open_store() as store:
            add_child(store, "HD_live", 2, {"lr": 0.01, "units": 32, "dropout": 0.4}, [1.0])

        deadline = time.monotonic() + 10
        while row_count(details) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert row_count(details) == 3

        with workspace.open_store() as store:
            store.update_parent_run("HD_live", status=RunStatus.COMPLETED, ended_at=time.time())

        assert details.is_refreshing
        deadline = time.monotonic() + 10
        while details.is_refreshing and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not details.is_refreshing
        assert not details.is_running
    finally:
        details.stop()


@pytest.mark.parametrize(("arguments", "message"), [
    ({"refresh_seconds": 0}, "refresh_seconds=0"),
    ({"page_size": 0}, "page_size=0"),
])
def test_rejects_bad_arguments(tmp_path: Path, arguments: dict[str, float],
                               message: str) -> None:
    _, sweep = running_sweep(tmp_path)
    with pytest.raises(ValueError, match=message):
        RunDetails(sweep, **arguments)  # type: ignore[arg-type]


def test_rejects_other_objects() -> None:
    with pytest.raises(TypeError, match="HyperDriveRun or a Run"):
        RunDetails("HD_x")  # type: ignore[arg-type]


def test_warns_when_controller_stopped(tmp_path: Path) -> None:
    workspace, sweep = running_sweep(tmp_path)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    with workspace.open_store() as store:
        store.update_parent_run("HD_live", controller_pid=gone.pid,
                                controller_started_at=time.time() - 5)

    details = RunDetails(sweep)

    assert "controller of this sweep is not running" in details.header.value
    assert "hypersweep resume HD_live" in details.header.value
