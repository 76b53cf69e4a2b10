"""The dashboard's web application: read-only pages and JSON endpoints over one workspace.

Pages are rendered by Jinja2 with autoescaping; their scripts are static files that fetch the
JSON endpoints and insert text with ``textContent``. No endpoint writes, runs code or takes a
file path: runs are named by id, and an output file by its name in that run's own listing.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

from jinja2 import Environment
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from hypersweep.api.workspace import Workspace
from hypersweep.dashboard import views
from hypersweep.dashboard.assets import STATIC_DIR, plotly_js_path, template_environment
from hypersweep.dashboard.escaping import json_for_script
from hypersweep.dashboard.reader import Snapshot, StoreNotFoundError, StoreReader
from hypersweep.dashboard.run_files import find_output
from hypersweep.dashboard.security import CSP, CSP_WEBGL, SecurityMiddleware, security_headers
from hypersweep.dashboard.table import TableQuery, query_table
from hypersweep.errors import RunNotFoundError, StoreVersionError
from hypersweep.store import ParentRunRecord

__all__ = ["PLOTLY_JS_ROUTE", "create_app"]

logger = logging.getLogger(__name__)

PLOTLY_JS_ROUTE = "/vendor/plotly.min.js"
"""The fixed address of plotly.js, served from the installed plotly package."""


def create_app(workspace: Workspace | str | None, *, allowed_hosts: Collection[str]) -> Starlette:
    """Return the dashboard application of a workspace.

    ``allowed_hosts`` are the ``host:port`` values of the ``Host`` header that it serves (see
    :func:`hypersweep.dashboard.server.allowed_hosts_for`). Every other request gets 400.
    """
    if not isinstance(workspace, Workspace):
        workspace = Workspace(workspace)
    pages = _Pages(workspace)
    routes = [
        Route("/", pages.index),
        Route("/sweeps/{run_id}", pages.sweep),
        Route("/runs/{run_id}", pages.run),
        Route("/runs/{run_id}/outputs/{name:path}", pages.output_file),
        Route("/api/experiments", pages.experiments_json),
        Route("/api/sweeps/{run_id}", pages.sweep_json),
        Route("/api/sweeps/{run_id}/runs", pages.runs_json),
        Route("/api/sweeps/{run_id}/charts", pages.charts_json),
        Route("/api/sweeps/{run_id}/importance", pages.importance_json),
        Route("/api/runs/{run_id}", pages.run_json),
        Route(PLOTLY_JS_ROUTE, pages.plotly_js),
        Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static"),
    ]
    return Starlette(routes=routes,
                     middleware=[Middleware(SecurityMiddleware, allowed_hosts=allowed_hosts)])


class _Pages:
    """The endpoints; each one opens its own read-only snapshot of the store."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.reader = StoreReader(workspace.store_path)
        self.templates = template_environment()
        self.cache = views.ViewCache()

    # Pages

    def index(self, request: Request) -> Response:
        experiments: list[dict[str, Any]] = []
        problem = ""
        try:
            with self.reader.snapshot() as snapshot:
                experiments = views.experiments_overview(snapshot)
        except StoreNotFoundError as error:
            problem = str(error)
        except (StoreVersionError, sqlite3.Error) as error:
            logger.warning("Cannot read the run store %s: %s", self.reader.path, error)
            problem = str(error)
        return self._page("index.html", experiments=experiments, problem=problem)

    def sweep(self, request: Request) -> Response:
        def build(snapshot: Snapshot) -> Response:
            parent = snapshot.parent_run(request.path_params["run_id"])
            names = views.param_names(snapshot, parent)
            return self._page(
                "sweep.html", csp=CSP_WEBGL,
                summary=views.sweep_summary(snapshot, parent),
                settings=views.sweep_settings(parent),
                names=names, axes=views.default_axes(names),
            )

        return self._with_snapshot(build, html=True)

    def run(self, request: Request) -> Response:
        def build(snapshot: Snapshot) -> Response:
            view = views.run_view(snapshot, self.workspace, request.path_params["run_id"])
            return self._page("run.html", run=view)

        return self._with_snapshot(build, html=True)

    def output_file(self, request: Request) -> Response:
        def build(snapshot: Snapshot) -> Response:
            record = snapshot.child_run(request.path_params["run_id"])
            name = request.path_params["name"]
            output = find_output(self.workspace, record, name)
            if output is None:
                return _error(404, f"Run {record.run_id} has no output file {name!r}.",
                              html=False)

            # A download, never a page: an HTML file from a run must not run in this origin.
            headers = security_headers("sandbox; default-src 'none'; frame-ancestors 'none'")
            return FileResponse(output.path, media_type="application/octet-stream",
                                filename=Path(output.name).name, headers=headers)

        return self._with_snapshot(build, html=False)

    def plotly_js(self, request: Request) -> Response:
        return FileResponse(plotly_js_path(), media_type="text/javascript",
                            headers={"cache-control": "max-age=3600"})

    # JSON

    def experiments_json(self, request: Request) -> Response:
        def build(snapshot: Snapshot) -> Response:
            return _json({"experiments": views.experiments_overview(snapshot)})

        return self._with_snapshot(build, html=False)

    def sweep_json(self, request: Request) -> Response:
        def build(snapshot: Snapshot) -> Response:
            parent = snapshot.parent_run(request.path_params["run_id"])
            return _json(views.sweep_summary(snapshot, parent))

        return self._with_snapshot(build, html=False)

    def runs_json(self, request: Request) -> Response:
        def build(snapshot: Snapshot) -> Response:
            parent = snapshot.parent_run(request.path_params["run_id"])
            names = views.param_names(snapshot, parent)
            try:
                query = TableQuery.from_params(request.query_params, names)
            except ValueError as error:
                return _error(400, str(error), html=False)
            return _json(query_table(snapshot, parent, names, query))

        return self._with_snapshot(build, html=False)

    def charts_json(self, request: Request) -> Response:
        return self._cached_sweep_json(request, "charts", views.sweep_charts)

    def importance_json(self, request: Request) -> Response:
        return self._cached_sweep_json(request, "importance", views.sweep_importance)

    def run_json(self, request: Request) -> Response:
        def build(snapshot: Snapshot) -> Response:
            return _json(views.run_view(snapshot, self.workspace, request.path_params["run_id"]))

        return self._with_snapshot(build, html=False)

    # Helpers

    def _cached_sweep_json(self, request: Request, kind: str,
                           compute: Callable[[Snapshot, ParentRunRecord], Any]) -> Response:
        """Return a sweep's view as JSON, serialised once per version of the sweep."""
        def build(snapshot: Snapshot) -> Response:
            parent = snapshot.parent_run(request.path_params["run_id"])
            key = (kind, snapshot.sweep_version(parent))
            body = self.cache.get_or_compute(
                key, lambda: json_for_script(compute(snapshot, parent)))
            return Response(body, media_type="application/json")

        return self._with_snapshot(build, html=False)

    def _with_snapshot(self, build: Callable[[Snapshot], Response], *, html: bool) -> Response:
        try:
            with self.reader.snapshot() as snapshot:
                return build(snapshot)
        except (RunNotFoundError, StoreNotFoundError) as error:
            return _error(404, str(error), html=html, templates=self.templates)
        except StoreVersionError as error:
            logger.warning("Cannot read the run store: %s", error)
            return _error(503, str(error), html=html, templates=self.templates)
        except sqlite3.Error as error:
            logger.warning("Cannot read the run store %s: %s", self.reader.path, error)
            message = (f"Cannot read the run store {str(self.reader.path)!r}: {error}. "
                       "Reload the page to try again.")
            return _error(503, message, html=html, templates=self.templates)

    def _page(self, template: str, *, csp: str = CSP, **context: Any) -> Response:
        body = self.templates.get_template(template).render(
            workspace=str(self.workspace.path), now=views.format_time(time.time()), **context)
        return HTMLResponse(body, headers=security_headers(csp))


def _json(payload: Any, status: int = 200) -> Response:
    # The same escaping as for <script> content: harmless for JSON parsers, and no response
    # body contains "<" even if a browser were tricked into reading it as HTML.
    return Response(json_for_script(payload), status_code=status, media_type="application/json")


def _error(status: int, message: str, *, html: bool, templates: Environment | None = None,
           ) -> Response:
    if html and templates is not None:
        body = templates.get_template("error.html").render(status=status, message=message,
                                                           workspace="", now="")
        return HTMLResponse(body, status_code=status, headers=security_headers())
    return _json({"error": message}, status)
