"""A sweep as one self-contained HTML file: the dashboard's views, readable offline.

plotly.js and the page's own script are inlined, and the data is embedded as JSON in a
``<script type="application/json">`` element, escaped so that no stored string can end it. The
file's Content-Security-Policy runs only the two inline scripts whose SHA-256 hashes it lists,
so even a string that became markup could not run.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import os
import time
from pathlib import Path
from typing import Any

from hypersweep.api.workspace import Workspace
from hypersweep.dashboard import views
from hypersweep.dashboard.assets import STATIC_DIR, plotly_js_path, template_environment
from hypersweep.dashboard.escaping import json_for_script
from hypersweep.dashboard.reader import StoreReader
from hypersweep.dashboard.table import all_rows
from hypersweep.errors import HyperSweepError

__all__ = ["build_report", "write_report"]

# The browser code of the report, in load order; the dashboard serves the same files.
_SCRIPTS = ("common.js", "table.js", "charts.js", "report.js")


def build_report(workspace: Workspace | str | None, run_id: str) -> str:
    """Return the HTML report of sweep ``run_id`` as text.

    Raises :class:`~hypersweep.errors.RunNotFoundError` when the workspace has no such sweep.
    """
    if not isinstance(workspace, Workspace):
        workspace = Workspace(workspace)

    now = time.time()
    with StoreReader(workspace.store_path).snapshot() as snapshot:
        parent = snapshot.parent_run(run_id)
        names = views.param_names(snapshot, parent)
        summary = views.sweep_summary(snapshot, parent, now=now)
        data = {
            "summary": {"metric": parent.primary_metric_name, "goal": summary["goal"]},
            "columns": names,
            "rows": all_rows(snapshot, parent, names, now=now),
            "charts": views.sweep_charts(snapshot, parent),
            "importance": views.sweep_importance(snapshot, parent),
        }

    plotly_js = _inline_script(plotly_js_path().read_text(encoding="utf-8"), "plotly.min.js")
    app_js = _inline_script("\n".join((STATIC_DIR / name).read_text(encoding="utf-8")
                                      for name in _SCRIPTS), "the report script")
    csp = _content_security_policy([plotly_js, app_js])
    context: dict[str, Any] = {
        "csp": csp,
        "version": _version(),
        "generated": views.format_time(now),
        "summary": summary,
        "settings": views.sweep_settings(parent),
        "names": names,
        "axes": views.default_axes(names),
        "css": (STATIC_DIR / "dashboard.css").read_text(encoding="utf-8"),
        "data_json": json_for_script(data),
        "plotly_js": plotly_js,
        "app_js": app_js,
    }
    return template_environment().get_template("report.html").render(**context)


def write_report(workspace: Workspace | str | None, run_id: str,
                 path: str | os.PathLike[str]) -> Path:
    """Write the HTML report of sweep ``run_id`` to ``path`` and return the path.

    The file is written next to its final name first and then renamed, so a reader never sees
    half a report.
    """
    target = Path(path)
    html = build_report(workspace, run_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    partial.write_text(html, encoding="utf-8")
    partial.replace(target)
    return target


def _inline_script(source: str, name: str) -> str:
    """Return ``source`` if it can sit inside a ``<script>`` element unchanged.

    "</script" would end the element early, and "<!--" changes how the HTML parser reads the
    rest of it. Rewriting either could change the program, so such a file is rejected.
    """
    lowered = source.lower()
    if "</script" in lowered or "<!--" in source:
        raise HyperSweepError(
            f"{name} contains '</script' or '<!--' and cannot be inlined in the report; "
            'reinstall the plotly package (pip install "hypersweep[dashboard]").'
        )
    return source


def _content_security_policy(scripts: list[str]) -> str:
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
        + "'"
        for script in scripts
    )
    # 'unsafe-eval' for plotly.js's WebGL charts (see hypersweep.dashboard.security.CSP_WEBGL);
    # frame-ancestors has no effect in a <meta> policy, so it is left out.
    return (f"default-src 'none'; script-src {hashes} 'unsafe-eval'; "
            "style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'")


def _version() -> str:
    try:
        return importlib.metadata.version("hypersweep")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"
