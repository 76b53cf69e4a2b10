"""The files that pages are built from: templates, the dashboard's static files and plotly.js."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, PackageLoader

__all__ = ["STATIC_DIR", "plotly_js_path", "template_environment"]

STATIC_DIR = Path(__file__).parent / "static"
"""The stylesheet, scripts and icon of the pages."""


def plotly_js_path() -> Path:
    """Return the plotly.js bundle that the installed plotly package ships."""
    import plotly

    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    if not path.is_file():
        raise FileNotFoundError(
            f"plotly.js is missing from the plotly package ({path}); reinstall it with "
            'pip install --force-reinstall plotly, or pip install "hypersweep[dashboard]".'
        )
    return path


def template_environment() -> Environment:
    """Return the Jinja2 environment of the page templates, with autoescaping on everywhere."""
    return Environment(loader=PackageLoader("hypersweep.dashboard", "templates"),
                       autoescape=True, trim_blocks=True, lstrip_blocks=True)
