"""``RunDetails(run).show()`` in a real JupyterLab: a Jupyter server started here on 127.0.0.1,
a notebook that shows a finished sweep, one of its child runs and a running sweep, and headless
Chromium that runs the notebook and reads what the page shows."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import psutil
import pytest

pytest.importorskip("ipywidgets")
pytest.importorskip("jinja2")
pytest.importorskip("plotly")
pytest.importorskip("jupyterlab")
pytest.importorskip("ipykernel")
nbformat = pytest.importorskip("nbformat")

from test_dashboard_support import (  # noqa: E402
    PageLog,
    add_child,
    add_parent,
    chromium,
    completed_runs,
    require_browser,
    small_sweep,
)

from hypersweep import Workspace  # noqa: E402
from hypersweep.enums import RunStatus  # noqa: E402

pytestmark = pytest.mark.slow

# Generous limits, because a loaded 2-core machine starts the server, loads JupyterLab's
# scripts and starts the kernel slowly. Polls end as soon as their condition holds.
SERVER_START_SECONDS = 60
NOTEBOOK_READY_SECONDS = 90
UPDATE_SECONDS = 30
SERVER_STOP_SECONDS = 30

NOTEBOOK_NAME = "run_details.ipynb"
LIVE_SWEEP_ID = "HD_live"
LIVE_SPACE = {"lr": ["loguniform", [-9.0, -2.0]], "units": ["choice", [[16, 32]]],
              "dropout": ["uniform", [0.0, 0.5]]}

# The notebook's code cells, in order; the tests find each view by its cell's index.
SETUP_CELL, SWEEP_CELL, CHILD_CELL, LIVE_CELL = range(4)

# Text that JupyterLab shows when a cell raised, a widget failed to render, or an output had a
# MIME type that no installed renderer handles.
ERROR_TEXTS = ("Traceback", "Error displaying widget", "No renderer could be found")

_Value = TypeVar("_Value")


@dataclass
class JupyterLab:
    """A JupyterLab server started by the tests."""

    url: str
    token: str
    root: Path
    log: Path


@dataclass
class OpenNotebook:
    """The notebook, run in Chromium, and the stores that its cells show."""

    page: Any
    log: PageLog
    sweep: tuple[Workspace, str]
    child_id: str
    live: Workspace


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def isolated_environment(base: Path, token: str) -> dict[str, str]:
    """Return the server's environment: every Jupyter, IPython and XDG folder sits under
    ``base``, so that the server and its kernels neither read nor write the user's home."""
    folders = {
        "HOME": base / "home",
        "JUPYTER_CONFIG_DIR": base / "config",
        "JUPYTER_DATA_DIR": base / "data",
        "JUPYTER_RUNTIME_DIR": base / "runtime",
        "JUPYTERLAB_SETTINGS_DIR": base / "config" / "lab" / "user-settings",
        "JUPYTERLAB_WORKSPACES_DIR": base / "config" / "lab" / "workspaces",
        "IPYTHONDIR": base / "ipython",
        "MPLCONFIGDIR": base / "matplotlib",
        "XDG_CONFIG_HOME": base / "xdg-config",
        "XDG_DATA_HOME": base / "xdg-data",
        "XDG_CACHE_HOME": base / "xdg-cache",
    }
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)

    environment = {name: value for name, value in os.environ.items()
                   if name not in ("JUPYTER_PATH", "JUPYTER_CONFIG_PATH", "JUPYTER_TOKEN_FILE")}
    environment.update({name: str(folder) for name, folder in folders.items()})
    environment["JUPYTER_TOKEN"] = token
    return environment


def write_lab_settings(settings_dir: Path) -> None:
    """Turn off JupyterLab's news and update checks, and attach every cell to the page, so
    that cells below the fold are in the DOM that the tests read."""
    settings = {
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
            {"fetchNews": "false", "checkForUpdates": False},
        "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    }
    for name, values in settings.items():
        path = settings_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values), encoding="utf-8")


def server_answers(url: str, token: str) -> bool:
    request = urllib.request.Request(url + "api/status",
                                     headers={"Authorization": f"token {token}"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def log_tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def stop_server(process: subprocess.Popen[bytes]) -> None:
    """Stop the server and its kernels. SIGTERM makes the server shut its kernels down before
    it exits; processes that outlive it are killed."""
    try:
        descendants = psutil.Process(process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        descendants = []
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(SERVER_STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(SERVER_STOP_SECONDS)
    for child in descendants:
        try:
            child.kill()
        except psutil.NoSuchProcess:
            continue
    psutil.wait_procs(descendants, timeout=SERVER_STOP_SECONDS)


@pytest.fixture(scope="module")
def jupyter_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterLab]:
    require_browser()
    base = tmp_path_factory.mktemp("jupyter")
    root = base / "root"
    root.mkdir()
    token = secrets.token_hex(24)
    environment = isolated_environment(base, token)
    write_lab_settings(Path(environment["JUPYTERLAB_SETTINGS_DIR"]))
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    log = base / "server.log"
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser",
        # CI runs the tests as root, and the server refuses to start as root without this flag.
        "--allow-root",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={root}",
        # No request leaves this machine: no news feed and no check for a newer JupyterLab.
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
    ]
    with log.open("wb") as log_stream:
        process = subprocess.Popen(command, cwd=root, env=environment, stdin=subprocess.DEVNULL,
                                   stdout=log_stream, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while not server_answers(url, token):
            assert process.poll() is None, (
                f"JupyterLab exited with code {process.returncode}:\n{log_tail(log)}")
            assert time.monotonic() < deadline, (
                f"JupyterLab did not answer at {url} within {SERVER_START_SECONDS} s:\n"
                f"{log_tail(log)}")
            time.sleep(0.2)
        yield JupyterLab(url=url, token=token, root=root, log=log)
    finally:
        stop_server(process)


def running_sweep(folder: Path) -> Workspace:
    """Return a workspace with a running sweep of two finished child runs and room for more."""
    workspace = Workspace(folder / "workspace")
    with workspace.open_store() as store:
        add_parent(store, LIVE_SWEEP_ID, experiment="live", status=RunStatus.RUNNING,
                   space=LIVE_SPACE, max_total_runs=5)
        for number in range(2):
            add_child(store, LIVE_SWEEP_ID, number,
                      {"lr": 0.001 * (number + 1), "units": 16, "dropout": 0.1 * number},
                      [0.1 * step + number for step in range(4)])
    return workspace


def write_notebook(path: Path, sweep: tuple[Workspace, str], child_id: str,
                   live: Workspace) -> None:
    workspace, sweep_id = sweep
    sources = [
        "from hypersweep import Experiment, HyperDriveRun, Run, Workspace\n"
        "from hypersweep.widgets import RunDetails\n"
        f"finished = Experiment(Workspace({str(workspace.path)!r}), 'digits-demo')\n"
        f"live = Experiment(Workspace({str(live.path)!r}), 'live')",
        f"RunDetails(HyperDriveRun(finished, {sweep_id!r})).show()",
        f"RunDetails(Run(finished, {child_id!r})).show()",
        f"RunDetails(HyperDriveRun(live, {LIVE_SWEEP_ID!r}), refresh_seconds=0.5).show()",
    ]
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(source) for source in sources],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                 "language": "python"}})
    nbformat.write(notebook, str(path))


def poll(page: Any, read: Callable[[], _Value], accept: Callable[[_Value], bool],
         seconds: float) -> _Value:
    """Read a value from the page until ``accept`` takes it or ``seconds`` pass; return the
    last value read, so that the caller's assert shows it."""
    deadline = time.monotonic() + seconds
    value = read()
    while not accept(value) and time.monotonic() < deadline:
        page.wait_for_timeout(200)
        value = read()
    return value


def cell(page: Any, index: int) -> Any:
    return page.locator(".jp-Notebook .jp-CodeCell").nth(index)


def prompts(page: Any) -> list[str]:
    return [text.strip() for text in
            page.locator(".jp-Notebook .jp-CodeCell .jp-InputPrompt").all_inner_texts()]


def table_ids(page: Any, index: int) -> list[str]:
    return list(cell(page, index).locator("tr[data-run-id]").evaluate_all(
        "rows => rows.map(row => row.dataset.runId)"))


def plot_trace_counts(page: Any, index: int) -> list[int]:
    """Return the number of traces of each Plotly chart in a cell's output, -1 for a chart
    element without data."""
    return list(cell(page, index).locator(".js-plotly-plot").evaluate_all(
        "plots => plots.map(plot => Array.isArray(plot.data) ? plot.data.length : -1)"))


def output_text(page: Any, index: int) -> str:
    return str(cell(page, index).locator(".jp-Cell-outputWrapper").inner_text())


def kernel_status(page: Any) -> str:
    indicator = page.locator(".jp-Notebook-ExecutionIndicator")
    if indicator.count() == 0:
        return "no indicator"
    return str(indicator.first.get_attribute("data-status"))


@pytest.fixture(scope="module")
def notebook(jupyter_lab: JupyterLab, tmp_path_factory: pytest.TempPathFactory,
             ) -> Iterator[OpenNotebook]:
    sweep = small_sweep(tmp_path_factory)
    child_id = completed_runs(sweep)[0]
    live = running_sweep(tmp_path_factory.mktemp("jupyter-live"))
    write_notebook(jupyter_lab.root / NOTEBOOK_NAME, sweep, child_id, live)

    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1400, "height": 2400})
        page = context.new_page()
        page_log = PageLog(page)
        page.set_default_timeout(NOTEBOOK_READY_SECONDS * 1000)
        page.goto(f"{jupyter_lab.url}lab/tree/{NOTEBOOK_NAME}?token={jupyter_lab.token}")

        page.wait_for_selector(".jp-Notebook .jp-CodeCell")
        status = poll(page, lambda: kernel_status(page), lambda status: status == "idle",
                      NOTEBOOK_READY_SECONDS)
        assert status == "idle", f"the kernel did not become idle: {status}"

        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()

        done = poll(page, lambda: prompts(page),
                    lambda texts: all(text[1:-2].isdigit() for text in texts),
                    NOTEBOOK_READY_SECONDS)
        page.screenshot(path=str(jupyter_lab.root.parent / "run.png"), full_page=True)
        print("SCREENSHOTS", jupyter_lab.root.parent)
        assert all(text[1:-2].isdigit() for text in done), f"the cells did not run: {done}"
        page.screenshot(path=str(jupyter_lab.root.parent / "after-run.png"), full_page=True)
        yield OpenNotebook(page=page, log=page_log, sweep=sweep, child_id=child_id, live=live)
        page.screenshot(path=str(jupyter_lab.root.parent / "end.png"), full_page=True)
        print("SCREENSHOTS", jupyter_lab.root.parent)
        context.close()


def test_no_error_output(notebook: OpenNotebook) -> None:
    text = notebook.page.locator(".jp-Notebook").inner_text()
    for error in ERROR_TEXTS:
        assert error not in text
    print(notebook.log.errors)


def test_sweep_table_and_charts(notebook: OpenNotebook) -> None:
    from hypersweep.dashboard import StoreReader

    workspace, sweep_id = notebook.sweep
    with StoreReader(workspace.store_path).snapshot() as snapshot:
        expected = {run.run_id for run in snapshot.scored_runs(sweep_id)}
    ids = poll(notebook.page, lambda: table_ids(notebook.page, SWEEP_CELL),
               lambda ids: set(ids) == expected, UPDATE_SECONDS)
    assert set(ids) == expected
    counts = poll(notebook.page, lambda: plot_trace_counts(notebook.page, SWEEP_CELL),
                  lambda counts: len(counts) == 6 and min(counts) > 0, UPDATE_SECONDS)
    print(counts)
    assert len(counts) == 6


def test_child_run_metrics(notebook: OpenNotebook) -> None:
    text = output_text(notebook.page, CHILD_CELL)
    print(text)
    counts = plot_trace_counts(notebook.page, CHILD_CELL)
    print(counts)


def test_running_sweep_updates(notebook: OpenNotebook) -> None:
    page = notebook.page
    ids = poll(page, lambda: table_ids(page, LIVE_CELL), lambda ids: len(ids) == 2,
               UPDATE_SECONDS)
    assert ids == [f"{LIVE_SWEEP_ID}_1", f"{LIVE_SWEEP_ID}_0"] or len(ids) == 2
    before = prompts(page)
    with notebook.live.open_store() as store:
        add_child(store, LIVE_SWEEP_ID, 2, {"lr": 0.01, "units": 32, "dropout": 0.4},
                  [5.0, 6.0])
    ids = poll(page, lambda: table_ids(page, LIVE_CELL), lambda ids: len(ids) == 3,
               UPDATE_SECONDS)
    assert f"{LIVE_SWEEP_ID}_2" in ids
    assert prompts(page) == before
