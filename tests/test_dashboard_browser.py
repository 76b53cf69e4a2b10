"""The dashboard and the HTML report in headless Chromium: pages render without errors, charts
have their traces, the table sorts, filters and pages, clicks open the right run, and a running
sweep's page updates by itself."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette")

from test_dashboard_support import (  # noqa: E402
    PageLog,
    chromium,
    completed_runs,
    plot_traces,
    require_browser,
    slow_sweep_config,
    small_sweep,
    wait_ready,
)

from hypersweep import Experiment, Workspace  # noqa: E402
from hypersweep.dashboard import DashboardServer, StoreReader, write_report  # noqa: E402
from hypersweep.dashboard.space import display_value  # noqa: E402

from conftest import REPO_ROOT  # noqa: E402

pytestmark = pytest.mark.slow

SCREENSHOT = REPO_ROOT / "docs" / "images" / "sweep-page.png"
UPDATE_SCREENSHOT = os.environ.get("HYPERSWEEP_UPDATE_SCREENSHOT") == "1"


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, str]:
    require_browser()
    return small_sweep(tmp_path_factory)


@pytest.fixture(scope="module")
def server(sweep: tuple[Workspace, str]) -> Iterator[DashboardServer]:
    with DashboardServer(sweep[0], port=0) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as running:
        yield running


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    opened = context.new_page()
    opened.log = PageLog(opened)
    yield opened
    context.close()


def table_ids(page: Any) -> list[str]:
    return list(page.eval_on_selector_all("#runs tbody tr[data-run-id]",
                                          "rows => rows.map(row => row.dataset.runId)"))


def column_texts(page: Any, index: int) -> list[str]:
    return list(page.eval_on_selector_all(
        "#runs tbody tr[data-run-id]",
        f"rows => rows.map(row => row.children[{index}].textContent)"))


def runs_of(sweep: tuple[Workspace, str]) -> list[Any]:
    with StoreReader(sweep[0].store_path).snapshot() as snapshot:
        return snapshot.scored_runs(sweep[1])


def test_pages_render_without_errors(page: Any, server: DashboardServer,
                                     sweep: tuple[Workspace, str]) -> None:
    page.goto(server.url)
    assert page.locator(f'tr[data-run-id="{sweep[1]}"]').count() == 1

    page.goto(server.url + f"sweeps/{sweep[1]}")
    wait_ready(page)
    assert plot_traces(page, "chart-curves") == 8
    assert plot_traces(page, "chart-best") == 2
    assert plot_traces(page, "chart-parallel") == 1
    assert plot_traces(page, "chart-scatter2d") == 1
    assert plot_traces(page, "chart-scatter3d") == 1
    assert plot_traces(page, "chart-importance") == 1
    assert len(table_ids(page)) == 8
    # The parallel coordinates drew their lines: WebGL ran under the page's policy.
    assert page.locator("#chart-parallel canvas").count() > 0

    # A completed run logged both metrics; a cancelled one may have stopped before the second.
    page.goto(server.url + f"runs/{completed_runs(sweep)[0]}")
    wait_ready(page)
    # Under load the run's charts may be drawn a moment after the page reports ready.
    for chart in ("run-chart-0", "run-chart-1"):
        deadline = time.monotonic() + 15
        while plot_traces(page, chart) != 1 and time.monotonic() < deadline:
            page.wait_for_timeout(200)
        assert plot_traces(page, chart) == 1
    assert "model.txt" in page.inner_text("#run-outputs")

    assert page.log.errors == []


def test_sort_by_clicking_headers(page: Any, server: DashboardServer,
                                  sweep: tuple[Workspace, str]) -> None:
    page.goto(server.url + f"sweeps/{sweep[1]}")
    wait_ready(page)
    runs = runs_of(sweep)

    page.click('button[data-sort="param:x"]')
    page.wait_for_selector('button[data-sort="param:x"].active')
    ascending = [run.run_id for run in sorted(runs, key=lambda run: run.hyperparameters["x"])]
    page.wait_for_function("ids => Array.from(document.querySelectorAll("
                           "'#runs tbody tr[data-run-id]')).map(r => r.dataset.runId)"
                           ".join() === ids.join()", arg=ascending)

    page.click('button[data-sort="param:x"]')
    page.wait_for_function("ids => Array.from(document.querySelectorAll("
                           "'#runs tbody tr[data-run-id]')).map(r => r.dataset.runId)"
                           ".join() === ids.join()", arg=list(reversed(ascending)))
    assert "sort=param%3Ax" in page.url
    assert "order=desc" in page.url

    # The address keeps the view: a reload shows the same order.
    page.reload()
    wait_ready(page)
    assert table_ids(page) == list(reversed(ascending))
    assert page.log.errors == []


def test_filters_and_pages(page: Any, server: DashboardServer,
                           sweep: tuple[Workspace, str]) -> None:
    page.goto(server.url + f"sweeps/{sweep[1]}")
    wait_ready(page)
    runs = runs_of(sweep)

    page.select_option("#filter-status", "Canceled")
    page.click("#filter-apply")
    canceled = {run.run_id for run in runs if run.status.value == "Canceled"}
    page.wait_for_function("count => document.querySelectorAll("
                           "'#runs tbody tr[data-run-id]').length === count",
                           arg=len(canceled))
    assert set(table_ids(page)) == canceled
    assert set(column_texts(page, 1)) == {"Canceled"}

    units = runs[0].hyperparameters["units"]
    page.select_option("#filter-status", "")
    page.select_option("#filter-param", "units")
    page.fill("#filter-value", str(units))
    page.click("#filter-apply")
    expected = {run.run_id for run in runs if run.hyperparameters["units"] == units}
    page.wait_for_function("count => document.querySelectorAll("
                           "'#runs tbody tr[data-run-id]').length === count",
                           arg=len(expected))
    assert set(table_ids(page)) == expected
    assert set(column_texts(page, 5)) == {str(units)}

    page.click("#filter-clear")
    page.wait_for_function("document.querySelectorAll('#runs tbody tr[data-run-id]')"
                           ".length === 8")
    page.select_option("#page-size", "10")
    page.wait_for_selector("#page-next[disabled]", state="attached")
    assert page.inner_text("#page-info") == "page 1 of 1 · 8 runs"
    assert page.log.errors == []


def test_click_opens_the_clicked_run(page: Any, server: DashboardServer,
                                     sweep: tuple[Workspace, str]) -> None:
    runs = runs_of(sweep)
    target = sorted(runs, key=lambda run: -run.hyperparameters["lr"])[2]
    page.goto(server.url + f"sweeps/{sweep[1]}?sort=param:lr&order=desc&page_size=3&page=1")
    wait_ready(page)

    page.locator(f'#runs tr[data-run-id="{target.run_id}"] a.run-link').click()
    page.wait_for_url(f"**/runs/{target.run_id}")
    wait_ready(page)
    assert page.inner_text("#run-id") == target.run_id
    assert display_value(target.hyperparameters["lr"]) in page.inner_text(
        "#run-hyperparameters")
    assert page.log.errors == []


def test_scatter_click_and_axes(page: Any, server: DashboardServer,
                                sweep: tuple[Workspace, str]) -> None:
    page.goto(server.url + f"sweeps/{sweep[1]}")
    wait_ready(page)

    page.select_option("#scatter2d-x", "lr")
    page.wait_for_function("document.getElementById('chart-scatter2d').layout.xaxis.type"
                           " === 'log'")
    assert page.evaluate("document.getElementById('chart-scatter2d').layout.xaxis.title.text"
                         ) == "lr"
    page.select_option("#scatter3d-z", "x")
    page.wait_for_function("document.getElementById('chart-scatter3d').layout.scene.zaxis"
                           ".title.text === 'x'")

    run_id = page.evaluate("document.getElementById('chart-scatter2d').data[0].customdata[3]")
    page.evaluate("id => document.getElementById('chart-scatter2d')"
                  ".emit('plotly_click', {points: [{customdata: id}]})", run_id)
    page.wait_for_url(f"**/runs/{run_id}")
    assert page.log.errors == []


def test_running_sweep_updates_itself(page: Any, server: DashboardServer,
                                      tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    workspace = Workspace(tmp_path / "workspace")
    sweep = Experiment(workspace, "live").submit(slow_sweep_config(source))
    try:
        with DashboardServer(workspace, port=0) as live:
            page.goto(live.url + f"sweeps/{sweep.id}")
            wait_ready(page)
            page.evaluate("window.__sameDocument = true")
            first = page.inner_text("#sweep-progress-text")
            assert first != "4/4 runs done"

            page.wait_for_function(
                "document.getElementById('sweep-progress-text').textContent"
                " === '4/4 runs done'", timeout=120_000)
            page.wait_for_function(
                "document.getElementById('sweep-status').textContent === 'Completed'",
                timeout=30_000)
            page.wait_for_function("document.querySelectorAll('#runs tbody tr[data-run-id]')"
                                   ".length === 4")
            page.wait_for_function("document.getElementById('sweep-page').dataset.terminal"
                                   " === 'true'", timeout=30_000)
            assert page.evaluate("window.__sameDocument") is True
            assert plot_traces(page, "chart-curves") == 4
            assert set(column_texts(page, 1)) == {"Completed"}

            page.goto(live.url)
            assert "Completed" in page.inner_text(f'tr[data-run-id="{sweep.id}"]')
        assert page.log.errors == []
    except BaseException:
        # Show what the controller did, and stop the sweep without hiding this failure.
        for name in ("controller.log", "controller.out"):
            log = workspace.sweep_dir(sweep.id) / name
            print(f"{name}:", log.read_text() if log.exists() else "missing")
        with contextlib.suppress(TimeoutError):
            sweep.cancel(timeout=120)
        raise


def test_screenshot_of_sweep_page(page: Any, server: DashboardServer,
                                  sweep: tuple[Workspace, str], tmp_path: Path) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(server.url + f"sweeps/{sweep[1]}")
    wait_ready(page)
    # Let Plotly finish its transitions before the picture is taken.
    time.sleep(0.5)

    target = SCREENSHOT if UPDATE_SCREENSHOT else tmp_path / "sweep-page.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target), full_page=True)

    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert target.stat().st_size > 50_000
    assert page.log.errors == []


def test_report_works_offline(page: Any, sweep: tuple[Workspace, str], tmp_path: Path) -> None:
    report = write_report(sweep[0], sweep[1], tmp_path / "report.html")
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))

    page.goto(report.as_uri())
    wait_ready(page)

    assert plot_traces(page, "chart-curves") == 8
    assert plot_traces(page, "chart-parallel") == 1
    assert plot_traces(page, "chart-scatter3d") == 1
    assert plot_traces(page, "chart-importance") == 1
    assert len(table_ids(page)) == 8
    assert all(url.startswith("file://") for url in requests), requests

    runs = runs_of(sweep)
    page.click('button[data-sort="param:x"]')
    ascending = [run.run_id for run in sorted(runs, key=lambda run: run.hyperparameters["x"])]
    page.wait_for_function("ids => Array.from(document.querySelectorAll("
                           "'#runs tbody tr[data-run-id]')).map(r => r.dataset.runId)"
                           ".join() === ids.join()", arg=ascending)

    page.select_option("#filter-status", "Canceled")
    page.click("#filter-apply")
    canceled = {run.run_id for run in runs if run.status.value == "Canceled"}
    page.wait_for_function("count => document.querySelectorAll("
                           "'#runs tbody tr[data-run-id]').length === count",
                           arg=len(canceled))
    assert set(table_ids(page)) == canceled

    page.select_option("#filter-status", "")
    page.fill("#filter-score", ">=0.5")
    page.click("#filter-apply")
    scored = {run.run_id for run in runs if (run.score or -1e9) >= 0.5}
    page.wait_for_function("count => document.querySelectorAll("
                           "'#runs tbody tr[data-run-id]').length === count",
                           arg=len(scored))
    assert set(table_ids(page)) == scored
    assert page.log.errors == []
