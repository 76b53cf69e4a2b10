"""Stored strings full of markup, quotes and non-ASCII text (experiment name, tags, metric
names, hyperparameter names and string values, output file names) show as literal text in
every page, chart, JSON response, the report and the Jupyter view, and no injected script runs."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette")
httpx = pytest.importorskip("httpx")

from test_dashboard_support import (  # noqa: E402
    NASTY,
    NASTY_ATTRIBUTE,
    NASTY_PARAMETER,
    PageLog,
    chromium,
    nasty_sweep,
    plot_traces,
    wait_ready,
)

from hypersweep import Experiment, HyperDriveRun, Run, Workspace  # noqa: E402
from hypersweep.dashboard import DashboardServer, build_report  # noqa: E402

pytestmark = pytest.mark.slow

INJECTED = ("<script>window.__pwned", "<img src=x", "<script>")
ESCAPED = "&lt;script&gt;window.__pwned=1&lt;/script&gt;"


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, str]:
    return nasty_sweep(tmp_path_factory)


@pytest.fixture(scope="module")
def server(sweep: tuple[Workspace, str]) -> Iterator[DashboardServer]:
    with DashboardServer(sweep[0], port=0) as running:
        yield running


@pytest.fixture(scope="module")
def client(server: DashboardServer) -> Iterator[Any]:
    with httpx.Client(base_url=server.url, timeout=30) as session:
        yield session


def page_paths(run_id: str) -> list[str]:
    return ["/", f"/sweeps/{run_id}", f"/runs/{run_id}_0", f"/runs/{run_id}_3"]


def json_paths(run_id: str) -> list[str]:
    return ["/api/experiments", f"/api/sweeps/{run_id}", f"/api/sweeps/{run_id}/runs",
            f"/api/sweeps/{run_id}/charts", f"/api/sweeps/{run_id}/importance",
            f"/api/runs/{run_id}_0",
            f"/api/sweeps/{run_id}/runs?sort=param:{NASTY_PARAMETER}&param=--opt&value={NASTY}"]


def test_pages_escape_stored_strings(client: Any, sweep: tuple[Workspace, str]) -> None:
    for path in page_paths(sweep[1]):
        text = client.get(path).text

        for fragment in INJECTED:
            assert fragment not in text, (path, fragment)
        assert ESCAPED in text, path
        assert "naïve ✓ 日本" in text, path


def test_run_page_shows_every_kind(client: Any, sweep: tuple[Workspace, str]) -> None:
    text = client.get(f"/runs/{sweep[1]}_0").text

    # Tag key and value, metric name, hyperparameter name and value, output file name.
    assert text.count(ESCAPED) >= 4
    assert "&lt;img src=x onerror=window.__pwned=2&gt;.txt" in text
    assert "-&lt;script&gt;window.__pwned=3&lt;/script&gt;" in text
    assert "&#34;quotes&#39;" in text


def test_output_with_markup_name_downloads(client: Any, sweep: tuple[Workspace, str]) -> None:
    name = NASTY_ATTRIBUTE + ".txt"
    link = f'href="/runs/{sweep[1]}_0/outputs/{urllib.parse.quote(name)}"'
    assert link in client.get(f"/runs/{sweep[1]}_0").text

    response = client.get(f"/runs/{sweep[1]}_0/outputs/{urllib.parse.quote(name)}")

    assert response.status_code == 200
    assert response.text == NASTY
    assert response.headers["content-type"] == "application/octet-stream"


def test_json_responses_contain_no_markup(client: Any, sweep: tuple[Workspace, str]) -> None:
    for path in json_paths(sweep[1]):
        response = client.get(path)

        assert response.status_code == 200, path
        assert "<" not in response.text, path
        assert ">" not in response.text, path
        assert response.headers["content-type"] == "application/json"


def test_json_keeps_the_strings(client: Any, sweep: tuple[Workspace, str]) -> None:
    summary = client.get(f"/api/sweeps/{sweep[1]}").json()
    assert summary["experiment"] == NASTY
    assert summary["metric"] == NASTY

    page = client.get(f"/api/sweeps/{sweep[1]}/runs",
                      params={"param": "--opt", "value": NASTY}).json()
    assert page["matched"] == 2
    assert {row["params"]["--opt"] for row in page["rows"]} == {NASTY}
    assert page["columns"] == [NASTY_PARAMETER, "--opt"]

    run = client.get(f"/api/runs/{sweep[1]}_0").json()
    assert {"key": NASTY, "value": NASTY} in run["tags"]
    assert run["outputs"][0]["name"] == NASTY_ATTRIBUTE + ".txt"


def test_chart_text_is_entity_encoded(client: Any, sweep: tuple[Workspace, str]) -> None:
    figures = client.get(f"/api/sweeps/{sweep[1]}/charts").json()["figures"]

    parallel = figures["parallel"]["data"][0]["dimensions"]
    assert parallel[0]["label"] == "-&lt;script&gt;window.__pwned=3&lt;/script&gt;"
    # The tick labels of parallel coordinates are plain text in Plotly, so they stay raw.
    assert NASTY in parallel[1]["ticktext"]
    assert NASTY_ATTRIBUTE in parallel[1]["ticktext"]
    assert figures["curves"]["layout"]["title"]["text"].startswith(ESCAPED)
    for figure in figures.values():
        for trace in figure["data"]:
            assert "window.__pwned" not in trace.get("hovertemplate", "")


def test_browser_shows_literal_text(sweep: tuple[Workspace, str],
                                    server: DashboardServer) -> None:
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        log = PageLog(page)

        page.goto(server.url)
        assert NASTY in page.inner_text("main")

        page.goto(server.url + f"sweeps/{sweep[1]}")
        wait_ready(page)
        body = page.inner_text("main")
        assert NASTY in body
        assert NASTY_PARAMETER in body
        assert NASTY_ATTRIBUTE in body
        assert plot_traces(page, "chart-parallel") == 1
        assert plot_traces(page, "chart-curves") == 8
        # Plotly draws the category labels and the metric name as text, not markup.
        ticks = page.eval_on_selector_all("#chart-parallel .tick text",
                                          "items => items.map(item => item.textContent)")
        assert NASTY in ticks
        assert NASTY_ATTRIBUTE in ticks
        titles = page.eval_on_selector_all("#chart-parallel .axis-title",
                                           "items => items.map(item => item.textContent)")
        assert NASTY_PARAMETER in titles
        assert NASTY in titles
        assert NASTY in page.text_content("#chart-curves .gtitle")
        scatter_ticks = page.eval_on_selector_all(
            "#chart-scatter2d .ytick text", "items => items.map(item => item.textContent)")
        assert NASTY_ATTRIBUTE in scatter_ticks
        assert page.locator("#chart-parallel script, #runs script, #runs img").count() == 0
        options = page.eval_on_selector_all("#filter-param option",
                                            "items => items.map(item => item.textContent)")
        assert NASTY_PARAMETER in options

        page.select_option("#filter-param", "--opt")
        page.fill("#filter-value", NASTY)
        page.click("#filter-apply")
        page.wait_for_function("document.querySelectorAll('#runs tbody tr[data-run-id]')"
                               ".length === 2")

        page.goto(server.url + f"runs/{sweep[1]}_0")
        wait_ready(page)
        assert NASTY in page.inner_text("#run-tags")
        assert NASTY_ATTRIBUTE + ".txt" in page.inner_text("#run-outputs")
        assert NASTY in page.text_content("#run-charts")

        assert page.evaluate("typeof window.__pwned") == "undefined"
        assert log.errors == []


def test_report_escapes_and_runs_no_injection(sweep: tuple[Workspace, str],
                                              tmp_path: Path) -> None:
    html = build_report(sweep[0], sweep[1])
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts == ['<script type="application/json" id="report-data">', "<script>",
                       "<script>"]
    outside_plotly = html[:html.index("<script>")]
    for fragment in INJECTED:
        assert fragment not in outside_plotly, fragment
    assert ESCAPED in outside_plotly

    report = tmp_path / "report.html"
    report.write_text(html, encoding="utf-8")
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        log = PageLog(page)
        page.goto(report.as_uri())
        wait_ready(page)

        assert NASTY in page.inner_text("main")
        assert NASTY_ATTRIBUTE in page.inner_text("#runs")
        assert NASTY in page.text_content("#chart-parallel")
        assert page.evaluate("typeof window.__pwned") == "undefined"
        assert log.errors == []


def test_widget_escapes_html(sweep: tuple[Workspace, str]) -> None:
    pytest.importorskip("ipywidgets")
    from hypersweep.widgets import RunDetails

    experiment = Experiment(sweep[0], NASTY)
    details = RunDetails(HyperDriveRun(experiment, sweep[1]))
    child = RunDetails(Run(experiment, f"{sweep[1]}_0"))

    for html in (details.header.value, details.table.value, child.header.value):
        for fragment in INJECTED:
            assert fragment not in html
        assert ESCAPED in html
