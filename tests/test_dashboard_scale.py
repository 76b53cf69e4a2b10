"""A sweep of 10,000 runs with 100 metric values each, filled through the Store API: the sweep
page and its data endpoints respond within 2 seconds, and the charts stay bounded."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("starlette")
httpx = pytest.importorskip("httpx")

from test_dashboard_support import (  # noqa: E402
    SCALE_RUN_ID,
    PageLog,
    chromium,
    plot_traces,
    scale_workspace,
    wait_ready,
)

from hypersweep import Workspace  # noqa: E402
from hypersweep.dashboard import DashboardServer, StoreReader  # noqa: E402
from hypersweep.dashboard.charts import (  # noqa: E402
    MAX_CURVE_POINTS,
    MAX_CURVES,
    MAX_PARALLEL_LINES,
)

pytestmark = pytest.mark.slow

RUNS = 10_000
VALUES = 100
# The response time that keeps the page usable. Measured on 2 shared cores: at most 0.03 s for
# the page and a table page, about 0.5 s for the charts before they are cached.
LIMIT_SECONDS = 2.0


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return scale_workspace(tmp_path_factory, RUNS, VALUES)


@pytest.fixture(scope="module")
def server(workspace: Workspace) -> Iterator[DashboardServer]:
    with DashboardServer(workspace, port=0) as running:
        yield running


@pytest.fixture(scope="module")
def client(server: DashboardServer) -> Iterator[Any]:
    with httpx.Client(base_url=server.url, timeout=60) as session:
        yield session


def timed_get(client: Any, path: str, **params: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    response = client.get(path, params=params)
    return response, time.perf_counter() - started


def test_store_holds_the_full_sweep(workspace: Workspace) -> None:
    with StoreReader(workspace.store_path).snapshot() as snapshot:
        (runs, values), = snapshot.fetch_all(
            "SELECT COUNT(DISTINCT s.child_id), COUNT(*) FROM metrics m "
            "JOIN metric_series s ON s.id = m.series_id")

    assert runs == RUNS
    assert values == RUNS * VALUES


def test_sweep_page_responds_fast(client: Any) -> None:
    response, seconds = timed_get(client, f"/sweeps/{SCALE_RUN_ID}")

    assert response.status_code == 200
    assert seconds < LIMIT_SECONDS, f"the sweep page took {seconds:.2f} s"


def test_data_endpoints_respond_fast(client: Any) -> None:
    # Cold first: the charts are computed here, then cached until the sweep changes.
    for path, params in [
        (f"/api/sweeps/{SCALE_RUN_ID}/charts", {}),
        (f"/api/sweeps/{SCALE_RUN_ID}", {}),
        (f"/api/sweeps/{SCALE_RUN_ID}/runs", {}),
        (f"/api/sweeps/{SCALE_RUN_ID}/runs", {"sort": "param:lr", "order": "desc",
                                              "page": 250, "page_size": 40}),
        (f"/api/sweeps/{SCALE_RUN_ID}/runs", {"param": "units", "value": "64",
                                              "score": ">=0.7", "sort": "duration"}),
        ("/api/experiments", {}),
        (f"/api/runs/{SCALE_RUN_ID}_9999", {}),
        ("/", {}),
    ]:
        response, seconds = timed_get(client, path, **params)
        assert response.status_code == 200, (path, response.text[:200])
        assert seconds < LIMIT_SECONDS, f"{path} {params} took {seconds:.2f} s"


def test_last_page_sorted_by_parameter(client: Any, workspace: Workspace) -> None:
    page = client.get(f"/api/sweeps/{SCALE_RUN_ID}/runs",
                      params={"sort": "param:lr", "order": "desc", "page": 250,
                              "page_size": 40}).json()

    with StoreReader(workspace.store_path).snapshot() as snapshot:
        runs = snapshot.scored_runs(SCALE_RUN_ID)
    expected = sorted(runs, key=lambda run: (-run.hyperparameters["lr"], run.number))[-40:]
    assert page["pages"] == 250
    assert [row["run_id"] for row in page["rows"]] == [run.run_id for run in expected]


def test_filtered_count_matches(client: Any, workspace: Workspace) -> None:
    page = client.get(f"/api/sweeps/{SCALE_RUN_ID}/runs",
                      params={"param": "units", "value": "64", "score": "0.7..0.8"}).json()

    with StoreReader(workspace.store_path).snapshot() as snapshot:
        runs = snapshot.scored_runs(SCALE_RUN_ID)
    expected = [run for run in runs if run.hyperparameters["units"] == 64
                and 0.7 <= (run.score or math.nan) <= 0.8]
    assert page["matched"] == len(expected)
    assert page["total"] == RUNS
    assert len(page["rows"]) == min(25, len(expected))


def test_charts_are_bounded(client: Any) -> None:
    charts = client.get(f"/api/sweeps/{SCALE_RUN_ID}/charts").json()
    figures = charts["figures"]

    curves = figures["curves"]["data"]
    assert len(curves) == MAX_CURVES
    assert all(len(trace["x"]) <= MAX_CURVE_POINTS for trace in curves)
    assert "of 10,000 runs" in figures["curves"]["layout"]["title"]["text"]
    parallel = figures["parallel"]["data"][0]["dimensions"]
    assert len(parallel[0]["values"]) == MAX_PARALLEL_LINES
    assert len(figures["scatter2d"]["data"][0]["x"]) == RUNS
    assert figures["scatter2d"]["data"][0]["type"] == "scattergl"
    # The best-so-far line keeps only the runs that improved, not all 10,000.
    assert len(figures["best"]["data"][1]["x"]) < 200


def test_importance_at_scale(client: Any) -> None:
    response, seconds = timed_get(client, f"/api/sweeps/{SCALE_RUN_ID}/importance")

    assert response.status_code == 200
    values = response.json()["values"]
    # units and dropout set the ceiling of each curve; lr plays no part.
    assert values["units"] > values["lr"]
    assert values["dropout"] > values["lr"]
    # NOTE: the first call imports scikit-learn (about 2 s) and fits a forest on 2,000 runs.
    assert seconds < 30


def test_browser_shows_large_sweep(server: DashboardServer) -> None:
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        log = PageLog(page)
        started = time.perf_counter()
        page.goto(server.url + f"sweeps/{SCALE_RUN_ID}")
        page.wait_for_selector("#runs tbody tr[data-run-id]", timeout=30_000)
        table_seconds = time.perf_counter() - started
        wait_ready(page, timeout=120_000)

        assert page.locator("#runs tbody tr[data-run-id]").count() == 25
        assert page.inner_text("#page-info") == "page 1 of 400 · 10000 runs"
        assert plot_traces(page, "chart-curves") == MAX_CURVES
        assert plot_traces(page, "chart-parallel") == 1
        assert plot_traces(page, "chart-scatter3d") == 1
        assert log.errors == []
        # Software WebGL draws the charts slowly, but the table comes first.
        assert table_seconds < 10, f"the table appeared after {table_seconds:.1f} s"
