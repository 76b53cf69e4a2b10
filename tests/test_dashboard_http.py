"""The dashboard over HTTP, served by uvicorn on 127.0.0.1 over the store of a real sweep:
pages, JSON endpoints, the run table, output files, safety checks and the CLI verbs."""

from __future__ import annotations

import http.client
import json
import re
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")

from test_dashboard_support import completed_runs, copy_workspace, small_sweep  # noqa: E402

from hypersweep import Workspace  # noqa: E402
from hypersweep.dashboard import DashboardServer, StoreReader  # noqa: E402
from hypersweep.dashboard.run_files import outputs_dir  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, str]:
    return small_sweep(tmp_path_factory)


@pytest.fixture(scope="module")
def server(sweep: tuple[Workspace, str]) -> Iterator[DashboardServer]:
    with DashboardServer(sweep[0], port=0) as running:
        yield running


@pytest.fixture(scope="module")
def client(server: DashboardServer) -> Iterator[Any]:
    with httpx.Client(base_url=server.url, timeout=30) as session:
        yield session


def raw_get(server: DashboardServer, path: str, host: str | None = None,
            method: str = "GET") -> tuple[int, bytes, dict[str, str]]:
    """Send a request with ``path`` exactly as given (no normalisation) and return the reply."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        connection.putheader("Host", host if host is not None else f"127.0.0.1:{server.port}")
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read(), {key.lower(): value
                                                  for key, value in response.getheaders()}
    finally:
        connection.close()


def children(sweep: tuple[Workspace, str]) -> list[Any]:
    with StoreReader(sweep[0].store_path).snapshot() as snapshot:
        return snapshot.scored_runs(sweep[1])


# Pages and endpoints


def test_index_lists_sweep(client: Any, sweep: tuple[Workspace, str]) -> None:
    response = client.get("/")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "digits-demo" in response.text
    assert f'href="/sweeps/{sweep[1]}"' in response.text
    assert "Completed" in response.text
    assert "8/8" in response.text


def test_sweep_page_shows_configuration(client: Any, sweep: tuple[Workspace, str]) -> None:
    response = client.get(f"/sweeps/{sweep[1]}")

    assert response.status_code == 200
    text = response.text
    assert sweep[1] in text
    assert "maximize accuracy" in text
    assert "loguniform" in text
    assert "[[16, 32, 64]]" in text
    assert "slack_amount=0.3" in text
    assert 'src="/vendor/plotly.min.js"' in text
    assert "cdn" not in text.lower()
    assert "<script>" not in text  # every script is a static file


def test_summary_counts_runs(client: Any, sweep: tuple[Workspace, str]) -> None:
    summary = client.get(f"/api/sweeps/{sweep[1]}").json()

    assert summary["status"] == "Completed"
    assert summary["is_terminal"] is True
    assert summary["done"] == 8
    assert summary["counts"]["Completed"] + summary["counts"]["Canceled"] == 8
    assert summary["counts"]["Canceled"] >= 1
    best = max(children(sweep), key=lambda run: run.score or -1e9)
    assert summary["best_child_id"] == best.run_id
    assert len(summary["version"]) == 16


def test_runs_page_default_is_best_first(client: Any, sweep: tuple[Workspace, str]) -> None:
    page = client.get(f"/api/sweeps/{sweep[1]}/runs").json()

    assert page["total"] == page["matched"] == 8
    assert page["columns"] == ["x", "units", "lr"]
    assert page["order"] == "desc"
    scores = [row["score"] for row in page["rows"]]
    assert scores == sorted(scores, reverse=True)
    first = page["rows"][0]
    assert set(first) >= {"run_id", "number", "status", "duration_text", "score_text", "params",
                          "reason"}
    assert first["params"]["units"] in {"16", "32", "64"}


def test_runs_page_pagination(client: Any, sweep: tuple[Workspace, str]) -> None:
    seen: list[str] = []
    for page_number in (1, 2, 3):
        page = client.get(f"/api/sweeps/{sweep[1]}/runs",
                          params={"page": page_number, "page_size": 3, "sort": "number"}).json()
        assert page["pages"] == 3
        seen.extend(row["run_id"] for row in page["rows"])

    assert seen == [f"{sweep[1]}_{number}" for number in range(8)]
    beyond = client.get(f"/api/sweeps/{sweep[1]}/runs",
                        params={"page": 99, "page_size": 3}).json()
    assert beyond["page"] == 3


def test_runs_sort_by_hyperparameter(client: Any, sweep: tuple[Workspace, str]) -> None:
    page = client.get(f"/api/sweeps/{sweep[1]}/runs",
                      params={"sort": "param:lr", "order": "desc"}).json()

    expected = sorted(children(sweep), key=lambda run: -run.hyperparameters["lr"])
    assert [row["run_id"] for row in page["rows"]] == [run.run_id for run in expected]


def test_runs_filters(client: Any, sweep: tuple[Workspace, str]) -> None:
    runs = children(sweep)

    canceled = client.get(f"/api/sweeps/{sweep[1]}/runs", params={"status": "Canceled"}).json()
    assert {row["run_id"] for row in canceled["rows"]} == {
        run.run_id for run in runs if run.status.value == "Canceled"}
    assert all("cancelled at interval" in row["reason"] for row in canceled["rows"])

    units = runs[0].hyperparameters["units"]
    same_units = client.get(f"/api/sweeps/{sweep[1]}/runs",
                            params={"param": "units", "value": str(units)}).json()
    assert same_units["matched"] == sum(run.hyperparameters["units"] == units for run in runs)
    assert same_units["total"] == 8

    scored = client.get(f"/api/sweeps/{sweep[1]}/runs", params={"score": ">=0.5"}).json()
    assert scored["matched"] == sum((run.score or -1e9) >= 0.5 for run in runs)

    ranged = client.get(f"/api/sweeps/{sweep[1]}/runs",
                        params={"param": "x", "value": "0..1"}).json()
    assert ranged["matched"] == sum(0 <= run.hyperparameters["x"] <= 1 for run in runs)


@pytest.mark.parametrize("query", [
    "sort=bogus", "page=0", "status=Done", "param=nope&value=1", "score=high", "order=up",
])
def test_runs_bad_query_is_400(client: Any, sweep: tuple[Workspace, str], query: str) -> None:
    response = client.get(f"/api/sweeps/{sweep[1]}/runs?{query}")

    assert response.status_code == 400
    assert "invalid" in response.json()["error"] or "not a hyperparameter" in \
        response.json()["error"]


def test_charts_have_traces(client: Any, sweep: tuple[Workspace, str]) -> None:
    charts = client.get(f"/api/sweeps/{sweep[1]}/charts").json()
    figures = charts["figures"]

    assert len(figures["curves"]["data"]) == 8
    assert len(figures["best"]["data"]) == 2
    parallel = figures["parallel"]["data"][0]
    assert parallel["type"] == "parcoords"
    labels = [dimension["label"] for dimension in parallel["dimensions"]]
    assert labels == ["x", "units", "log10(lr)", "accuracy"]
    units = parallel["dimensions"][1]
    assert units["ticktext"] == ["16", "32", "64"]
    assert figures["scatter2d"]["data"][0]["customdata"][0].startswith(sweep[1])
    assert figures["scatter3d"]["data"][0]["type"] == "scatter3d"
    assert figures["scatter2d"]["layout"]["yaxis"]["tickvals"] == [0, 1, 2]
    assert set(charts["axes"]) == {"x", "units", "lr"}
    assert charts["axes"]["lr"]["axis"]["type"] == "log"


def test_importance_endpoint(client: Any, sweep: tuple[Workspace, str]) -> None:
    importance = client.get(f"/api/sweeps/{sweep[1]}/importance").json()

    assert importance["method"] is not None
    assert set(importance["values"]) == {"x", "units", "lr"}
    assert len(importance["figure"]["data"]) == 1


def test_run_page_and_json(client: Any, sweep: tuple[Workspace, str]) -> None:
    run_id = completed_runs(sweep)[0]

    page = client.get(f"/runs/{run_id}")
    assert page.status_code == 200
    assert "units_seen" in page.text
    assert "outputs/model.txt" in page.text
    assert "--units" in page.text

    view = client.get(f"/api/runs/{run_id}").json()
    assert [metric["name"] for metric in view["metrics"]] == ["accuracy", "loss"]
    assert view["metrics"][0]["count"] == 5
    assert len(view["figures"]) == 2
    with StoreReader(sweep[0].store_path).snapshot() as snapshot:
        record = snapshot.child_run(run_id)
    model = outputs_dir(sweep[0], record) / "model.txt"
    assert view["outputs"] == [{"name": "model.txt", "size": model.stat().st_size}]
    assert view["tags"] == [{"key": "units_seen",
                             "value": str(record.hyperparameters["units"])}]


def test_cancelled_run_shows_decision(client: Any, sweep: tuple[Workspace, str]) -> None:
    canceled = [run for run in children(sweep) if run.status.value == "Canceled"][0]

    view = client.get(f"/api/runs/{canceled.run_id}").json()

    labels = [line["label"] for line in view["termination"]]
    assert labels[:2] == ["policy", "interval"]
    assert "decision" in labels
    page = client.get(f"/runs/{canceled.run_id}").text
    assert "Early termination" in page
    assert "BanditPolicy" in page


def test_output_file_download(client: Any, sweep: tuple[Workspace, str]) -> None:
    response = client.get(f"/runs/{completed_runs(sweep)[1]}/outputs/model.txt")

    assert response.status_code == 200
    assert response.text.startswith("x=")
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["content-disposition"].startswith("attachment")
    assert "sandbox" in response.headers["content-security-policy"]


@pytest.mark.parametrize("path", ["/runs/HD_nope", "/sweeps/HD_nope", "/api/runs/HD_nope",
                                  "/api/sweeps/HD_nope/runs", "/no/such/page"])
def test_unknown_is_404(client: Any, path: str) -> None:
    assert client.get(path).status_code == 404


def test_plotly_served_locally(client: Any) -> None:
    response = client.get("/vendor/plotly.min.js")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert "plotly.js" in response.text[:500]


# Safety


def test_headers_on_every_response(client: Any, sweep: tuple[Workspace, str]) -> None:
    for path in ("/", f"/sweeps/{sweep[1]}", f"/runs/{sweep[1]}_0", f"/api/sweeps/{sweep[1]}",
                 "/static/common.js", "/vendor/plotly.min.js",
                 f"/runs/{sweep[1]}_0/outputs/model.txt", "/no/such/page"):
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert "default-src 'none'" in csp, path
        assert "frame-ancestors 'none'" in csp, path
        if "script-src" in csp:
            assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0], path
        assert headers["x-content-type-options"] == "nosniff", path
        assert headers["referrer-policy"] == "no-referrer", path
        assert headers["x-frame-options"] == "DENY", path


def test_only_sweep_page_allows_eval(client: Any, sweep: tuple[Workspace, str]) -> None:
    assert "'unsafe-eval'" in client.get(f"/sweeps/{sweep[1]}").headers["content-security-policy"]
    assert "'unsafe-eval'" not in client.get("/").headers["content-security-policy"]
    assert "'unsafe-eval'" not in client.get(f"/runs/{sweep[1]}_0").headers[
        "content-security-policy"]


@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "127.0.0.1:1",
                                  "127.0.0.1", "attacker.test:{port}", "localhost.evil:{port}",
                                  ""])
def test_wrong_host_is_rejected(server: DashboardServer, host: str) -> None:
    status, body, headers = raw_get(server, "/api/experiments",
                                    host=host.format(port=server.port))

    assert status == 400
    assert b"Invalid Host header" in body
    assert "content-security-policy" in headers


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "LOCALHOST:{port}"])
def test_loopback_hosts_are_served(server: DashboardServer, host: str) -> None:
    status, _, _ = raw_get(server, "/", host=host.format(port=server.port))
    assert status == 200


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
def test_write_methods_are_rejected(server: DashboardServer, method: str) -> None:
    status, _, headers = raw_get(server, "/", method=method)

    assert status == 405
    assert headers["allow"] == "GET, HEAD"


def traversal_paths(sweep: tuple[Workspace, str]) -> list[str]:
    store = str(sweep[0].store_path)
    run = f"/runs/{sweep[1]}_0/outputs"
    return [
        "/static/../store.db",
        "/static/%2e%2e/store.db",
        "/static/%2E%2E/%2E%2E/store.db",
        "/static/..%2fstore.db",
        "/static/..%2F..%2F..%2Fetc%2Fpasswd",
        "/static/%252e%252e/store.db",
        "/static/%252e%252e%252fstore.db",
        "/static//etc/passwd",
        "/static/%2Fetc%2Fpasswd",
        "/static/" + urllib.parse.quote(store, safe=""),
        "/static" + store,
        "//etc/passwd",
        "/../../../../etc/passwd",
        "/vendor/../store.db",
        "/vendor/plotly.min.js/../../store.db",
        f"{run}/../../../store.db",
        f"{run}/%2e%2e/%2e%2e/%2e%2e/store.db",
        f"{run}/..%2f..%2f..%2fstore.db",
        f"{run}/%252e%252e/store.db",
        f"{run}//etc/passwd",
        f"{run}/" + urllib.parse.quote(store, safe=""),
        f"{run}{store}",
        f"{run}/../../{sweep[1]}_0/std_log.txt",
        f"/runs/{sweep[1]}_0/outputs/model.txt/../../std_log.txt",
    ]


def test_paths_outside_served_files_refused(server: DashboardServer,
                                            sweep: tuple[Workspace, str]) -> None:
    for path in traversal_paths(sweep):
        status, body, _ = raw_get(server, path)

        assert status in (400, 404), (path, status)
        assert b"SQLite format 3" not in body, path
        assert b"root:" not in body, path


def test_outputs_listing_skips_symlinks(tmp_path: Path, sweep: tuple[Workspace, str]) -> None:
    workspace = copy_workspace(sweep[0], tmp_path / "copy")
    with StoreReader(workspace.store_path).snapshot() as snapshot:
        record = snapshot.child_run(f"{sweep[1]}_0")
    # The recorded run folder points into the original workspace; the copy gets its own.
    folder = outputs_dir(sweep[0], record)
    # A run cancelled early under load may not have written its model yet.
    regular = folder / "model.txt"
    created = not regular.exists()
    if created:
        folder.mkdir(parents=True, exist_ok=True)
        regular.write_text("model")
    (folder / "store-link.db").symlink_to(sweep[0].store_path)
    (folder / "etc-link").symlink_to("/etc", target_is_directory=True)
    try:
        with DashboardServer(workspace, port=0) as running, \
                httpx.Client(base_url=running.url, timeout=30) as session:
            view = session.get(f"/api/runs/{sweep[1]}_0").json()
            names = [output["name"] for output in view["outputs"]]
            assert names == ["model.txt"]
            for name in ("store-link.db", "etc-link/passwd"):
                response = session.get(f"/runs/{sweep[1]}_0/outputs/{name}")
                assert response.status_code == 404
                assert b"SQLite format 3" not in response.content
    finally:
        (folder / "store-link.db").unlink()
        (folder / "etc-link").unlink()
        if created:
            regular.unlink()


def test_dashboard_never_writes_store(sweep: tuple[Workspace, str], tmp_path: Path) -> None:
    workspace = copy_workspace(sweep[0], tmp_path / "copy")
    store = workspace.store_path
    wal = store.with_name(store.name + "-wal")

    def state() -> tuple[bytes, bytes, list[str]]:
        # The -shm file is SQLite's shared index of the log, where readers take their locks.
        names = sorted(path.name for path in workspace.path.iterdir()
                       if not path.name.endswith(("-wal", "-shm")))
        return store.read_bytes(), wal.read_bytes() if wal.exists() else b"", names

    before = state()
    with DashboardServer(workspace, port=0) as running, \
            httpx.Client(base_url=running.url, timeout=30) as session:
        for path in ("/", f"/sweeps/{sweep[1]}", f"/api/sweeps/{sweep[1]}/charts",
                     f"/api/sweeps/{sweep[1]}/runs?sort=param:x", f"/runs/{sweep[1]}_3",
                     f"/api/sweeps/{sweep[1]}/importance"):
            assert session.get(path).status_code == 200

    assert state() == before


def test_missing_store_is_not_created(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path / "empty")

    with DashboardServer(workspace, port=0) as running, \
            httpx.Client(base_url=running.url, timeout=30) as session:
        index = session.get("/")
        assert index.status_code == 200
        assert "No run store" in index.text
        assert session.get("/sweeps/HD_x").status_code == 404

    assert not workspace.store_path.exists()


# The CLI verbs


def hypersweep(*arguments: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hypersweep", *arguments],
                          capture_output=True, text=True, timeout=timeout)


def test_cli_dashboard_serves_and_stops(sweep: tuple[Workspace, str]) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "hypersweep", "dashboard", "--workspace", str(sweep[0].path),
         "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        url = ""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not url:
            line = process.stdout.readline()
            match = re.search(r"serving at (http://127\.0\.0\.1:\d+/)", line)
            url = match.group(1) if match else ""
        assert url, "the dashboard printed no address"

        response = httpx.get(url + f"sweeps/{sweep[1]}", timeout=30)
        assert response.status_code == 200
        port = urllib.parse.urlsplit(url).port
        rebound = httpx.get(url, headers={"Host": f"rebind.example:{port}"}, timeout=30)
        assert rebound.status_code == 400
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)

    assert process.returncode == 0, stderr


def test_cli_dashboard_port_in_use(server: DashboardServer, sweep: tuple[Workspace, str]) -> None:
    result = hypersweep("dashboard", "--workspace", str(sweep[0].path), "--port",
                        str(server.port))

    assert result.returncode == 2
    assert result.stderr.startswith("error: cannot listen on 127.0.0.1:")
    assert "--port" in result.stderr


def test_cli_without_dashboard_packages(tmp_path: Path) -> None:
    code = ("import sys; sys.modules['starlette'] = None; "
            "from hypersweep.cli import main; "
            f"sys.exit(main(['dashboard', '--workspace', {str(tmp_path)!r}]))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)

    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: the dashboard needs the package 'starlette'")
    assert 'pip install "hypersweep[dashboard]"' in lines[0]


def test_core_imports_no_dashboard_packages() -> None:
    code = ("import sys, hypersweep, hypersweep.cli, hypersweep.hyperdrive; "
            "from hypersweep import Workspace, HyperDriveRun, Run; "
            "heavy = [name for name in ('starlette', 'uvicorn', 'plotly', 'jinja2', "
            "'ipywidgets') if name in sys.modules]; print(heavy)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_cli_help_lists_new_verbs() -> None:
    result = hypersweep("--help")

    assert result.returncode == 0
    assert "dashboard" in result.stdout
    assert "report" in result.stdout
    dashboard_help = hypersweep("dashboard", "--help")
    assert "--host" in dashboard_help.stdout
    assert "127.0.0.1" in dashboard_help.stdout


def test_cli_report_writes_file(sweep: tuple[Workspace, str], tmp_path: Path) -> None:
    target = tmp_path / "out" / "sweep.html"

    result = hypersweep("report", sweep[1][:12], "-o", str(target), "--workspace",
                        str(sweep[0].path))

    assert result.returncode == 0, result.stderr
    assert f"wrote {target}" in result.stdout
    html = target.read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>")
    assert sweep[1] in html
    assert 'id="report-data"' in html


@pytest.mark.parametrize(("run_id", "message"), [
    ("{sweep}_0", "is a child run"),
    ("HD_nothing", "no run whose id is or starts with"),
])
def test_cli_report_bad_run(sweep: tuple[Workspace, str], tmp_path: Path, run_id: str,
                            message: str) -> None:
    result = hypersweep("report", run_id.format(sweep=sweep[1]), "-o",
                        str(tmp_path / "r.html"), "--workspace", str(sweep[0].path))

    assert result.returncode == 2
    assert message in result.stderr
    assert not (tmp_path / "r.html").exists()


def test_report_embeds_data(sweep: tuple[Workspace, str]) -> None:
    from hypersweep.dashboard import build_report

    html = build_report(sweep[0], sweep[1])
    marker = '<script type="application/json" id="report-data">'
    start = html.index(marker) + len(marker)
    data = json.loads(html[start:html.index("</script>", start)])

    assert len(data["rows"]) == 8
    assert data["columns"] == ["x", "units", "lr"]
    assert set(data["charts"]["figures"]) >= {"curves", "best", "parallel", "scatter2d"}


def test_other_schema_version_is_503(sweep: tuple[Workspace, str], tmp_path: Path) -> None:
    workspace = copy_workspace(sweep[0], tmp_path / "copy")
    connection = sqlite3.connect(workspace.store_path)
    with connection:
        connection.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    connection.close()

    with DashboardServer(workspace, port=0) as running, \
            httpx.Client(base_url=running.url, timeout=30) as session:
        page = session.get(f"/sweeps/{sweep[1]}")
        data = session.get(f"/api/sweeps/{sweep[1]}")
        index = session.get("/")

    assert index.status_code == 200
    assert "schema version 99" in index.text
    assert page.status_code == 503
    assert "schema version 99" in page.text
    assert data.status_code == 503
    assert "pip install --upgrade hypersweep" in data.json()["error"]
