"""The Jupyter view of a sweep or a child run: ``RunDetails(run).show()``.

It shows with ipywidgets what the web dashboard shows: the child run table, the metric
curves, parallel coordinates, 2-D and 3-D scatter, best so far and importance. A background
thread refreshes it from the run store until the sweep ends. Charts are Plotly figures shown
through Plotly's MIME type, which JupyterLab, Notebook 7 and VS Code render with the plotly
package installed. Needs the ``dashboard`` extra (``pip install "hypersweep[dashboard]"``).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from typing import TYPE_CHECKING, Any

from hypersweep.api.runs import HyperDriveRun, Run
from hypersweep.dashboard import views
from hypersweep.dashboard.assets import template_environment
from hypersweep.dashboard.escaping import json_safe
from hypersweep.dashboard.reader import Snapshot, StoreReader
from hypersweep.dashboard.table import SORT_KEYS, TableQuery, query_table
from hypersweep.errors import HyperSweepError
from hypersweep.store import ParentRunRecord

if TYPE_CHECKING:
    import ipywidgets

__all__ = ["RunDetails"]

logger = logging.getLogger(__name__)

PLOTLY_MIME_TYPE = "application/vnd.plotly.v1+json"
_PLOTLY_CONFIG = {"responsive": True, "displaylogo": False}
_ANY_STATUS = "any status"


class RunDetails:
    """An ipywidgets view of a sweep (:class:`~hypersweep.HyperDriveRun`) or of one child run
    (:class:`~hypersweep.Run`), as Azure ML's ``RunDetails`` widget was.

    ``refresh_seconds`` is the pause between two reads of the store while the run goes on;
    ``page_size`` the number of table rows per page.
    """

    def __init__(self, run_instance: HyperDriveRun | Run, *, refresh_seconds: float = 3.0,
                 page_size: int = 15) -> None:
        if not isinstance(run_instance, (HyperDriveRun, Run)):
            raise TypeError(f"RunDetails expects a HyperDriveRun or a Run, got "
                            f"{type(run_instance).__name__}; open one with "
                            "HyperDriveRun(experiment, run_id).")

        if refresh_seconds <= 0:
            raise ValueError(f"refresh_seconds={refresh_seconds!r} is invalid; it must be > 0.")

        if not 1 <= page_size <= 200:
            raise ValueError(f"page_size={page_size!r} is invalid; use 1 to 200 rows.")

        widgets = _import_ipywidgets()
        self.run = run_instance
        self.refresh_seconds = refresh_seconds
        self.page_size = page_size
        self.is_sweep = isinstance(run_instance, HyperDriveRun)
        self._reader = StoreReader(run_instance.workspace.store_path)
        # The template's macros, called as functions that return escaped HTML.
        self._macros: Any = template_environment().get_template("_widget.html").module
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._version: str | None = None
        self._terminal = False
        self._charts: dict[str, Any] = {}
        self.figures: dict[str, dict[str, Any]] = {}
        """Plotly figures on display now, by chart name."""

        self.widget: ipywidgets.Box
        self.header = widgets.HTML()
        self.table = widgets.HTML()
        self.outputs: dict[str, ipywidgets.Output] = {}
        if self.is_sweep:
            self._build_sweep(widgets)
        else:
            self._build_run(widgets)
        self.refresh()

    @property
    def is_running(self) -> bool:
        """Whether the run had not ended at the last refresh."""
        return not self._terminal

    @property
    def is_refreshing(self) -> bool:
        """Whether the background refresh is running."""
        thread = self._thread
        return thread is not None and thread.is_alive()

    def show(self) -> None:
        """Display the view in the notebook and refresh it in the background until the run
        ends."""
        from IPython.display import display

        display(self.widget)
        self.start()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    def start(self) -> None:
        """Start the background refresh; it stops by itself when the run ends."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive() or self._terminal:
                return

            self._stop.clear()
            self._thread = threading.Thread(target=self._refresh_loop, daemon=True,
                                            name=f"hypersweep-run-details-{self.run.id}")
            self._thread.start()

    def stop(self) -> None:
        """Stop the background refresh and wait for it."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(self.refresh_seconds + 5)
        self._thread = None

    def refresh(self) -> bool:
        """Read the store and update the view when the run changed; return whether it goes on."""
        with self._lock, self._reader.snapshot() as snapshot:
            if self.is_sweep:
                self._refresh_sweep(snapshot)
            else:
                self._refresh_run(snapshot)
        return not self._terminal

    def _refresh_loop(self) -> None:
        while not self._stop.wait(self.refresh_seconds):
            try:
                if not self.refresh():
                    return
            except (HyperSweepError, sqlite3.Error) as error:
                # The store may be busy or replaced for a moment; the next round tries again.
                logger.warning("Cannot refresh the view of %s: %s", self.run.id, error)

    # A sweep

    def _build_sweep(self, widgets: Any) -> None:
        with self._reader.snapshot() as snapshot:
            parent = snapshot.parent_run(self.run.id)
            names = views.param_names(snapshot, parent)
        self.names = names
        self.metric = parent.primary_metric_name
        axes = views.default_axes(names)

        sort_options = [(key, key) for key in SORT_KEYS] + [(name, f"param:{name}")
                                                            for name in names]
        self.sort = widgets.Dropdown(options=sort_options, value="score", description="sort")
        self.order = widgets.Dropdown(options=[("best first / ascending", ""), ("ascending", "asc"),
                                               ("descending", "desc")], value="",
                                      description="order")
        self.status = widgets.Dropdown(options=[_ANY_STATUS, "Queued", "Running", "Completed",
                                                "Failed", "Canceled"],
                                       value=_ANY_STATUS, description="status")
        self.previous = widgets.Button(description="previous")
        self.next = widgets.Button(description="next")
        self.page = 1
        for control in (self.sort, self.order, self.status):
            control.observe(self._on_table_change, names="value")
        self.previous.on_click(lambda _: self._turn_page(-1))
        self.next.on_click(lambda _: self._turn_page(1))

        self.axis_x = widgets.Dropdown(options=names, value=axes["x"], description="x")
        self.axis_y = widgets.Dropdown(options=names, value=axes["y"], description="y")
        self.axis_z = widgets.Dropdown(options=names, value=axes["z"], description="z")
        for control in (self.axis_x, self.axis_y, self.axis_z):
            control.observe(self._on_axis_change, names="value")

        for name in ("curves", "best", "parallel", "scatter2d", "scatter3d", "importance"):
            self.outputs[name] = widgets.Output()

        table_tab = widgets.VBox([
            widgets.HBox([self.status, self.sort, self.order]),
            self.table,
            widgets.HBox([self.previous, self.next]),
        ])
        scatter_tab = widgets.VBox([
            widgets.HBox([self.axis_x, self.axis_y, self.axis_z]),
            self.outputs["scatter2d"], self.outputs["scatter3d"],
        ])
        tabs = widgets.Tab(
            children=[table_tab, self.outputs["curves"], self.outputs["parallel"], scatter_tab,
                      widgets.VBox([self.outputs["best"], self.outputs["importance"]])],
            titles=["Runs", "Metric curves", "Parallel coordinates", "Scatter",
                    "Best and importance"],
        )
        self.widget = widgets.VBox([self.header, tabs])

    def _refresh_sweep(self, snapshot: Snapshot) -> None:
        parent = snapshot.parent_run(self.run.id)
        summary = views.sweep_summary(snapshot, parent)
        self.header.value = str(self._macros.sweep_header(summary))
        self._terminal = bool(summary["is_terminal"])
        self._refresh_table(snapshot, parent)
        if summary["version"] == self._version:
            return

        self._version = summary["version"]
        self._charts = views.sweep_charts(snapshot, parent)
        importance = views.sweep_importance(snapshot, parent)
        figures = dict(self._charts["figures"])
        figures["importance"] = importance["figure"]
        for name in ("curves", "best", "parallel", "importance"):
            self._show_figure(name, figures[name])
        self._draw_scatter()

    def _refresh_table(self, snapshot: Snapshot, parent: ParentRunRecord) -> None:
        params = {"page": str(self.page), "page_size": str(self.page_size),
                  "sort": self.sort.value, "order": self.order.value,
                  "status": "" if self.status.value == _ANY_STATUS else self.status.value}
        page = query_table(snapshot, parent, self.names,
                           TableQuery.from_params(params, self.names))
        self.page = page["page"]
        self.previous.disabled = page["page"] <= 1
        self.next.disabled = page["page"] >= page["pages"]
        self.table.value = str(self._macros.runs_table(page, self.metric))

    def _draw_scatter(self) -> None:
        figures = self._charts.get("figures", {})
        axes = self._charts.get("axes", {})
        if "scatter2d" in figures:
            self._show_figure("scatter2d", _with_axes(figures["scatter2d"], axes,
                                                      x=self.axis_x.value, y=self.axis_y.value))
        if "scatter3d" in figures:
            self._show_figure("scatter3d", _with_axes(figures["scatter3d"], axes,
                                                      x=self.axis_x.value, y=self.axis_y.value,
                                                      z=self.axis_z.value))

    def _on_table_change(self, change: Any) -> None:
        self.page = 1
        self._redraw_table()

    def _turn_page(self, step: int) -> None:
        self.page = max(1, self.page + step)
        self._redraw_table()

    def _redraw_table(self) -> None:
        with self._lock, self._reader.snapshot() as snapshot:
            self._refresh_table(snapshot, snapshot.parent_run(self.run.id))

    def _on_axis_change(self, change: Any) -> None:
        with self._lock:
            self._draw_scatter()

    # A child run

    def _build_run(self, widgets: Any) -> None:
        self.outputs["metrics"] = widgets.Output()
        self.widget = widgets.VBox([self.header, self.outputs["metrics"]])

    def _refresh_run(self, snapshot: Snapshot) -> None:
        view = views.run_view(snapshot, self.run.workspace, self.run.id)
        self._terminal = bool(view["is_terminal"])
        self.header.value = str(self._macros.run_header(view))
        if view["version"] == self._version:
            return

        self._version = view["version"]
        self._show_figures("metrics", view["figures"])

    # Output

    def _show_figure(self, name: str, figure: dict[str, Any]) -> None:
        self._show_figures(name, [figure])

    def _show_figures(self, name: str, figures: list[dict[str, Any]]) -> None:
        """Replace the content of one output area with Plotly figures."""
        for index, figure in enumerate(figures):
            self.figures[name if len(figures) == 1 else f"{name}-{index}"] = figure

        self.outputs[name].outputs = tuple(
            {
                "output_type": "display_data",
                "data": {
                    PLOTLY_MIME_TYPE: json_safe({**figure, "config": _PLOTLY_CONFIG}),
                    "text/plain": "A Plotly chart; it needs the plotly package in the "
                                  "notebook's environment.",
                },
                "metadata": {},
            }
            for figure in figures
        )


def _with_axes(figure: dict[str, Any], axes: dict[str, Any], *, x: str | None, y: str | None,
               z: str | None = None) -> dict[str, Any]:
    """Return a copy of a scatter figure whose points sit at other hyperparameters."""
    if not figure["data"]:
        return figure

    trace = dict(figure["data"][0])
    layout = dict(figure["layout"])
    is_3d = trace.get("type") == "scatter3d"
    scene = dict(layout.get("scene", {}))
    for letter, name in (("x", x), ("y", y), ("z", z)):
        if name is None or name not in axes or (letter == "z" and not is_3d):
            continue

        trace[letter] = axes[name]["values"]
        if is_3d:
            scene[f"{letter}axis"] = axes[name]["scene_axis"]
        else:
            layout[f"{letter}axis"] = axes[name]["axis"]
    if is_3d:
        layout["scene"] = scene
    return {"data": [trace, *figure["data"][1:]], "layout": layout}


def _import_ipywidgets() -> Any:
    try:
        import ipywidgets
    except ImportError as error:
        raise HyperSweepError(
            f"RunDetails needs ipywidgets, which is not installed ({error}); install it with "
            'pip install "hypersweep[dashboard]".'
        ) from error
    return ipywidgets
