"""``RunDetails(run).show()`` in a real JupyterLab opened in headless Chromium.

The module starts a Jupyter server on 127.0.0.1 with every Jupyter and IPython folder under
pytest's temporary folder. It writes a notebook that shows a finished sweep, one of its child
runs, a running sweep and one of its running child runs, and runs it through JupyterLab's Run
menu. The tests read what the page shows: the run tables, the Plotly charts, the metrics, and
the running sweep's views while the test writes new runs and values to its store.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
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
from hypersweep.dashboard import StoreReader  # noqa: E402
from hypersweep.enums import RunStatus  # noqa: E402

pytestmark = pytest.mark.slow

# Generous upper limits, because on a loaded machine the server, JupyterLab's scripts and the
# kernel start slowly. Every wait polls and ends as soon as its condition is met.
SERVER_START_SECONDS = 60
KERNEL_READY_SECONDS = 90
CELLS_RUN_SECONDS = 90
UPDATE_SECONDS = 30
SERVER_STOP_SECONDS = 30
POLL_MILLISECONDS = 200

NOTEBOOK_NAME = "run_details.ipynb"
EXPERIMENT = "digits-demo"
LIVE_EXPERIMENT = "live"
LIVE_SWEEP_ID = "HD_live"
LIVE_CHILD_ID = f"{LIVE_SWEEP_ID}_2"
LIVE_SPACE = {"lr": ["loguniform", [-9.0, -2.0]], "units": ["choice", [[16, 32]]],
              "dropout": ["uniform", [0.0, 0.5]]}
LIVE_REFRESH_SECONDS = 0.5

# The notebook's code cells in order. The tests find each view by the index of its cell.
SETUP_CELL, SWEEP_CELL, CHILD_CELL, LIVE_CELL, LIVE_CHILD_CELL = range(5)

# The JupyterLab front-end extensions that render the widgets and the Plotly MIME type.
RENDERER_EXTENSIONS = ("@jupyter-widgets/jupyterlab-manager", "jupyterlab-plotly")

# What JupyterLab shows when a cell raised, a widget failed to render, or an output has a MIME
# type that no installed renderer handles.
ERROR_TEXTS = ("Traceback", "Error displaying widget", "No renderer could be found")
STDERR_OUTPUT = '[data-mime-type="application/vnd.jupyter.stderr"]'

# The sweep view's tabs and the number of charts that each one shows.
CHART_TABS = {"Metric curves": 1, "Parallel coordinates": 1, "Scatter": 2,
              "Best and importance": 2}
CURVES_TITLE = "accuracy per interval"

_Value = TypeVar("_Value")


# The Jupyter server

@dataclass
class JupyterLab:
    """A JupyterLab server process started by this module."""

    process: subprocess.Popen[bytes]
    url: str
    token: str
    root: Path
    log: Path
    descendants: list[psutil.Process] = field(default_factory=list)
    """The server's child processes and their children, such as kernels, seen so far."""

    def api(self, path: str) -> Any:
        """Send an authenticated GET request to the server's REST API and return its JSON."""
        request = urllib.request.Request(self.url + path,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)

    def wait_until_ready(self) -> None:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while True:
            assert self.process.poll() is None, (
                f"JupyterLab exited with code {self.process.returncode}:\n{self.log_tail()}")
            try:
                self.api("api/status")
                return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            assert time.monotonic() < deadline, (
                f"JupyterLab did not respond at {self.url} within {SERVER_START_SECONDS} s:\n"
                f"{self.log_tail()}")
            time.sleep(0.2)

    def kernel_connected(self) -> bool:
        """Whether a kernel is idle and has a WebSocket connection from a browser."""
        return any(kernel["execution_state"] == "idle" and kernel["connections"] >= 1
                   for kernel in self.api("api/kernels"))

    def log_tail(self, lines: int = 40) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def record_descendants(self) -> None:
        """Add the server's current child processes and their children to ``descendants``."""
        try:
            current = psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return
        self.descendants.extend(process for process in current
                                if process not in self.descendants)

    def stop(self) -> None:
        """Stop the server and its kernels, and kill whatever of them outlives the server.

        On SIGTERM the server shuts its kernels down before it exits. Kernels run in process
        groups of their own, so they are recorded as the server's descendants beforehand.
        """
        self.record_descendants()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(SERVER_STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(SERVER_STOP_SECONDS)
        for process in self.descendants:
            try:
                process.kill()
            except psutil.NoSuchProcess:
                continue
        psutil.wait_procs(self.descendants, timeout=SERVER_STOP_SECONDS)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def isolated_environment(base: Path, token: str) -> dict[str, str]:
    """Return the server's environment, in which every Jupyter, IPython and XDG folder and the
    home folder are under ``base``, so that the server and its kernels neither read nor write
    the user's home."""
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

    # These add the user's own Jupyter folders or token file to the search.
    inherited = {"JUPYTER_PATH", "JUPYTER_CONFIG_PATH", "JUPYTER_TOKEN_FILE"}
    environment = {name: value for name, value in os.environ.items() if name not in inherited}
    environment.update({name: str(folder) for name, folder in folders.items()})
    environment["JUPYTER_TOKEN"] = token
    return environment


def write_lab_settings(settings_dir: Path) -> None:
    """Turn off JupyterLab's news and update notices, and attach every cell to the page, so
    that cells below the visible part of the notebook are in the DOM that the tests read."""
    settings = {
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
            {"fetchNews": "false", "checkForUpdates": False},
        "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    }
    for name, values in settings.items():
        path = settings_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values), encoding="utf-8")


@pytest.fixture(scope="module")
def jupyter_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterLab]:
    """Start JupyterLab without waiting until it accepts requests, and stop it after the
    module."""
    require_browser()
    base = tmp_path_factory.mktemp("jupyter")
    root = base / "root"
    root.mkdir()
    token = secrets.token_hex(24)
    environment = isolated_environment(base, token)
    write_lab_settings(Path(environment["JUPYTERLAB_SETTINGS_DIR"]))

    port = free_port()
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser",
        # CI runs the tests as root, and the server refuses to start as root without this flag.
        "--allow-root",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
        # Fail instead of moving to another port, because the tests use this one.
        "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={root}",
        # These turn off the server's requests to other hosts: the news feed, the check for a
        # newer JupyterLab and the extension manager's search of PyPI.
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
    ]

    log = base / "server.log"
    with log.open("wb") as log_stream:
        process = subprocess.Popen(command, cwd=root, env=environment, stdin=subprocess.DEVNULL,
                                   stdout=log_stream, stderr=subprocess.STDOUT)
    lab = JupyterLab(process=process, url=f"http://127.0.0.1:{port}/", token=token, root=root,
                     log=log)
    try:
        yield lab
    finally:
        lab.stop()


# The notebook

def running_sweep(folder: Path) -> Workspace:
    """Return a workspace with a running sweep of up to five runs, of which two have completed
    and one is running and has logged one value."""
    workspace = Workspace(folder / "workspace")
    with workspace.open_store() as store:
        add_parent(store, LIVE_SWEEP_ID, experiment=LIVE_EXPERIMENT, status=RunStatus.RUNNING,
                   space=LIVE_SPACE, max_total_runs=5)
        for number in range(2):
            add_child(store, LIVE_SWEEP_ID, number,
                      {"lr": 0.001 * (number + 1), "units": 16, "dropout": 0.1 * number},
                      [0.1 * step + number for step in range(4)])
        add_child(store, LIVE_SWEEP_ID, 2, {"lr": 0.004, "units": 32, "dropout": 0.2}, [0.25],
                  status=RunStatus.RUNNING)
    return workspace


def write_notebook(path: Path, sweep: tuple[Workspace, str], child_id: str,
                   live: Workspace) -> None:
    workspace, sweep_id = sweep
    sources = [
        "from hypersweep import Experiment, HyperDriveRun, Run, Workspace\n"
        "from hypersweep.widgets import RunDetails\n"
        f"finished = Experiment(Workspace({str(workspace.path)!r}), {EXPERIMENT!r})\n"
        f"live = Experiment(Workspace({str(live.path)!r}), {LIVE_EXPERIMENT!r})",
        f"RunDetails(HyperDriveRun(finished, {sweep_id!r})).show()",
        f"RunDetails(Run(finished, {child_id!r})).show()",
        f"RunDetails(HyperDriveRun(live, {LIVE_SWEEP_ID!r}), "
        f"refresh_seconds={LIVE_REFRESH_SECONDS}).show()",
        f"RunDetails(Run(live, {LIVE_CHILD_ID!r}), refresh_seconds={LIVE_REFRESH_SECONDS}).show()",
    ]
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(source) for source in sources],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                 "language": "python"}})
    nbformat.write(notebook, str(path))


# Reading the page

def poll(page: Any, read: Callable[[], _Value], accept: Callable[[_Value], bool],
         seconds: float = UPDATE_SECONDS) -> _Value:
    """Read a value from the page until ``accept`` takes it or ``seconds`` pass, and return the
    last value read, so that the caller's assert shows it."""
    deadline = time.monotonic() + seconds
    value = read()
    while not accept(value) and time.monotonic() < deadline:
        page.wait_for_timeout(POLL_MILLISECONDS)
        value = read()
    return value


def code_cell(page: Any, index: int) -> Any:
    return page.locator(".jp-Notebook .jp-CodeCell").nth(index)


def prompts(page: Any) -> list[str]:
    """Return the input prompt of each code cell: ``[ ]:`` before it ran, ``[*]:`` while it
    runs, ``[3]:`` after it ran as the third execution."""
    texts = page.locator(".jp-Notebook .jp-CodeCell .jp-InputPrompt").all_inner_texts()
    return [text.strip() for text in texts]


def has_run(prompt: str) -> bool:
    return re.fullmatch(r"\[\d+\]:", prompt) is not None


def has_error_output(page: Any) -> bool:
    text = page.locator(".jp-Notebook").inner_text()
    return page.locator(STDERR_OUTPUT).count() > 0 or any(error in text for error in ERROR_TEXTS)


def kernel_indicator(page: Any) -> str:
    """Return the kernel status that the notebook toolbar shows.

    It reads ``idle`` before JupyterLab has even started a kernel, so readiness also needs
    :meth:`JupyterLab.kernel_connected`.
    """
    indicator = page.locator(".jp-Notebook-ExecutionIndicator")
    if indicator.count() == 0:
        return "missing"
    return str(indicator.first.get_attribute("data-status"))


def header_text(page: Any, index: int) -> str:
    return str(code_cell(page, index).locator(".hypersweep-header").inner_text())


def table_ids(page: Any, index: int) -> list[str]:
    rows = code_cell(page, index).locator("tr[data-run-id]")
    return list(rows.evaluate_all("rows => rows.map(row => row.dataset.runId)"))


def row_cells(page: Any, index: int, run_id: str) -> list[str]:
    """Return the cell texts of a run's table row: number, status, duration, score, the
    hyperparameters, and why it ended."""
    row = code_cell(page, index).locator(f'tr[data-run-id="{run_id}"] td')
    return [text.strip() for text in row.all_inner_texts()]


def metric_rows(page: Any, index: int) -> dict[str, list[str]]:
    """Return a child run view's metric table as ``{name: [values, last, min, max]}``."""
    rows = code_cell(page, index).locator("table tbody tr")
    cells = rows.evaluate_all(
        "rows => rows.map(row => Array.from(row.cells).map(cell => cell.textContent.trim()))")
    return {row[0]: row[1:] for row in cells if row}


def charts(page: Any, index: int) -> list[dict[str, Any]]:
    """Return each Plotly chart in a cell's output, in page order.

    Each chart has its title, its number of traces (-1 when the element has no data), the number
    of points in its first trace, and its size on the page, which is zero in a hidden tab.
    """
    plots = code_cell(page, index).locator(".js-plotly-plot")
    return list(plots.evaluate_all("""plots => plots.map(plot => {
        const data = Array.isArray(plot.data) ? plot.data : null;
        const title = plot.layout && plot.layout.title ? plot.layout.title.text || '' : '';
        const first = data && data.length ? data[0] : null;
        return {
            title: title.split('<br>')[0],
            traces: data ? data.length : -1,
            points: first && first.y ? first.y.length : 0,
            width: plot.offsetWidth,
            height: plot.offsetHeight,
        };
    })"""))


def traces_by_title(page: Any, index: int) -> dict[str, int]:
    return {chart["title"]: chart["traces"] for chart in charts(page, index)}


def visible_charts(page: Any, index: int) -> list[dict[str, Any]]:
    return [chart for chart in charts(page, index) if chart["width"] > 0 and chart["height"] > 0]


# Opening and running the notebook

@dataclass
class OpenNotebook:
    """The notebook after all its cells ran, and the stores that its cells show."""

    page: Any
    log: PageLog
    sweep: tuple[Workspace, str]
    child_id: str
    live: Workspace


def run_all_cells(page: Any, lab: JupyterLab) -> None:
    """Wait for the kernel, run every cell through the Run menu, and wait until they ran."""
    ready = poll(page, lambda: kernel_indicator(page) == "idle" and lab.kernel_connected(),
                 lambda ready: ready, KERNEL_READY_SECONDS)
    assert ready, (f"The kernel was not ready within {KERNEL_READY_SECONDS} s. The toolbar "
                   f"shows {kernel_indicator(page)!r}, and the server has the kernels "
                   f"{lab.api('api/kernels')}:\n{lab.log_tail()}")
    # Recorded now, so that the kernel is stopped even if the server exits early.
    lab.record_descendants()

    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()

    # Run All stops at a cell that raises, so an error output also ends the wait.
    done = poll(page, lambda: prompts(page),
                lambda done: all(map(has_run, done)) or has_error_output(page),
                CELLS_RUN_SECONDS)
    assert all(map(has_run, done)), (
        f"Not every cell ran within {CELLS_RUN_SECONDS} s. The prompts are {done}:\n"
        f"{page.locator('.jp-Notebook').inner_text()}")


@pytest.fixture(scope="module")
def notebook(jupyter_lab: JupyterLab, tmp_path_factory: pytest.TempPathFactory,
             ) -> Iterator[OpenNotebook]:
    # The sweep is built while the server starts.
    sweep = small_sweep(tmp_path_factory)
    child_id = completed_runs(sweep)[0]
    live = running_sweep(tmp_path_factory.mktemp("jupyter-live"))
    write_notebook(jupyter_lab.root / NOTEBOOK_NAME, sweep, child_id, live)
    jupyter_lab.wait_until_ready()

    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1400, "height": 3000})
        try:
            page = context.new_page()
            page_log = PageLog(page)
            page.set_default_timeout(KERNEL_READY_SECONDS * 1000)
            page.goto(f"{jupyter_lab.url}lab/tree/{NOTEBOOK_NAME}?token={jupyter_lab.token}")
            page.wait_for_selector(".jp-Notebook .jp-CodeCell")
            run_all_cells(page, jupyter_lab)
            yield OpenNotebook(page=page, log=page_log, sweep=sweep, child_id=child_id,
                               live=live)
        finally:
            context.close()


# Tests

def test_lab_loads_renderer_extensions(notebook: OpenNotebook) -> None:
    config = notebook.page.evaluate(
        "JSON.parse(document.getElementById('jupyter-config-data').textContent)")
    names = [extension["name"] for extension in config["federated_extensions"]]

    for extension in RENDERER_EXTENSIONS:
        assert extension in names


def test_sweep_table_lists_runs(notebook: OpenNotebook) -> None:
    page = notebook.page
    workspace, sweep_id = notebook.sweep
    with StoreReader(workspace.store_path).snapshot() as snapshot:
        expected = sorted(run.run_id for run in snapshot.scored_runs(sweep_id))

    ids = poll(page, lambda: sorted(table_ids(page, SWEEP_CELL)), lambda ids: ids == expected)
    header = header_text(page, SWEEP_CELL)

    assert len(expected) == 8
    assert ids == expected
    assert sweep_id in header
    assert "8/8 runs done" in header


def test_sweep_charts_drawn(notebook: OpenNotebook) -> None:
    page = notebook.page

    drawn = poll(page, lambda: charts(page, SWEEP_CELL),
                 lambda drawn: len(drawn) == 6 and min(chart["traces"] for chart in drawn) > 0)
    assert len(drawn) == 6, drawn
    assert min(chart["traces"] for chart in drawn) > 0, drawn
    # One curve per child run.
    assert traces_by_title(page, SWEEP_CELL)[CURVES_TITLE] == 8

    # Charts in hidden tabs have no size until their tab is opened.
    tabs = code_cell(page, SWEEP_CELL).locator(".lm-TabBar-tab")
    for tab, count in CHART_TABS.items():
        tabs.filter(has_text=tab).click()
        visible = poll(page, lambda: visible_charts(page, SWEEP_CELL),
                       lambda visible, count=count: len(visible) == count)
        assert len(visible) == count, f"tab {tab!r} shows {visible}"
        assert min(chart["traces"] for chart in visible) > 0, f"tab {tab!r} shows {visible}"
    tabs.filter(has_text="Runs").click()


def test_sweep_filter_from_browser(notebook: OpenNotebook) -> None:
    """A choice in the view's status list goes to the kernel, which redraws the table."""
    page = notebook.page
    expected = sorted(completed_runs(notebook.sweep))
    label = page.locator("label", has_text=re.compile(r"^status$"))
    status = code_cell(page, SWEEP_CELL).locator(".widget-dropdown", has=label)

    status.locator("select").select_option("Completed")
    ids = poll(page, lambda: sorted(table_ids(page, SWEEP_CELL)), lambda ids: ids == expected)
    assert ids == expected

    status.locator("select").select_option("any status")
    ids = poll(page, lambda: table_ids(page, SWEEP_CELL), lambda ids: len(ids) == 8)
    assert len(ids) == 8


def test_child_run_metrics(notebook: OpenNotebook) -> None:
    page = notebook.page
    workspace, _ = notebook.sweep
    with StoreReader(workspace.store_path).snapshot() as snapshot:
        logged = snapshot.metrics(notebook.child_id)

    drawn = poll(page, lambda: charts(page, CHILD_CELL), lambda drawn: len(drawn) == 2)
    header = header_text(page, CHILD_CELL)
    metrics = metric_rows(page, CHILD_CELL)

    assert notebook.child_id in header
    assert sorted(logged) == ["accuracy", "loss"]
    assert sorted(metrics) == ["accuracy", "loss"]
    for name, values in logged.items():
        assert metrics[name][0] == str(len(values)), f"{name}: {metrics[name]}"
    assert [chart["title"] for chart in drawn] == list(logged)
    for chart in drawn:
        assert chart["traces"] == 1, chart
        assert chart["points"] == len(logged[chart["title"]]), chart


def test_running_sweep_updates_in_place(notebook: OpenNotebook) -> None:
    """The views of a running sweep and child run follow the store without running a cell."""
    page = notebook.page
    first_ids = [f"{LIVE_SWEEP_ID}_{number}" for number in range(3)]
    ids = poll(page, lambda: sorted(table_ids(page, LIVE_CELL)), lambda ids: ids == first_ids)
    assert ids == first_ids
    cells = row_cells(page, LIVE_CELL, LIVE_CHILD_ID)
    assert cells[1] == "Running"
    assert cells[3] == "0.25"
    accuracy = poll(page, lambda: metric_rows(page, LIVE_CHILD_CELL).get("accuracy"),
                    lambda accuracy: accuracy is not None)
    assert accuracy == ["1", "0.25", "0.25", "0.25"]
    assert "2/5 runs done" in header_text(page, LIVE_CELL)
    ran = prompts(page)

    # New values of the running child run, stored as the controller stores them.
    with notebook.live.open_store() as store:
        now = time.time()
        store.add_metrics(LIVE_CHILD_ID, [("accuracy", 0.5, now), ("accuracy", 0.875, now)],
                          child_updates={"best_score": 0.875, "last_interval": 3})

    score = poll(page, lambda: row_cells(page, LIVE_CELL, LIVE_CHILD_ID)[3:4],
                 lambda score: score == ["0.875"])
    assert score == ["0.875"]
    accuracy = poll(page, lambda: metric_rows(page, LIVE_CHILD_CELL).get("accuracy"),
                    lambda accuracy: accuracy is not None and accuracy[0] == "3")
    assert accuracy == ["3", "0.875", "0.25", "0.875"]
    points = poll(page, lambda: [chart["points"] for chart in charts(page, LIVE_CHILD_CELL)],
                  lambda points: points == [3])
    assert points == [3]

    # A new child run.
    with notebook.live.open_store() as store:
        add_child(store, LIVE_SWEEP_ID, 3, {"lr": 0.01, "units": 32, "dropout": 0.4},
                  [0.5, 0.625])

    all_ids = [*first_ids, f"{LIVE_SWEEP_ID}_3"]
    ids = poll(page, lambda: sorted(table_ids(page, LIVE_CELL)), lambda ids: ids == all_ids)
    assert ids == all_ids
    header = poll(page, lambda: header_text(page, LIVE_CELL),
                  lambda header: "3/5 runs done" in header)
    assert "3/5 runs done" in header
    curves = poll(page, lambda: traces_by_title(page, LIVE_CELL).get(CURVES_TITLE),
                  lambda curves: curves == 4)
    assert curves == 4

    # The child run and the sweep end, and both views show that they ended.
    with notebook.live.open_store() as store:
        store.update_child_run(LIVE_CHILD_ID, status=RunStatus.COMPLETED, ended_at=time.time())
        store.update_parent_run(LIVE_SWEEP_ID, status=RunStatus.COMPLETED,
                                ended_at=time.time())

    header = poll(page, lambda: header_text(page, LIVE_CELL),
                  lambda header: "status Completed" in header)
    assert "status Completed" in header
    child_header = poll(page, lambda: header_text(page, LIVE_CHILD_CELL),
                        lambda header: "status Completed" in header)
    assert "status Completed" in child_header
    assert row_cells(page, LIVE_CELL, LIVE_CHILD_ID)[1] == "Completed"
    assert prompts(page) == ran


def test_no_error_output(notebook: OpenNotebook) -> None:
    """Defined last, so that pytest runs it after the updates above and it covers their
    output too."""
    text = notebook.page.locator(".jp-Notebook").inner_text()

    for error in ERROR_TEXTS:
        assert error not in text
    assert notebook.page.locator(STDERR_OUTPUT).all_inner_texts() == []
    assert notebook.log.errors == []
