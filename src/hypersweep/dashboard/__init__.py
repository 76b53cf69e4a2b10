"""The visualisation of sweeps: a local web dashboard, an HTML report and the Jupyter view.

Needs the ``dashboard`` extra (``pip install "hypersweep[dashboard]"``). Names load on first
use, so that writing a report does not import the web server.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "DashboardServer": "hypersweep.dashboard.server",
    "StoreReader": "hypersweep.dashboard.reader",
    "build_report": "hypersweep.dashboard.report",
    "create_app": "hypersweep.dashboard.app",
    "write_report": "hypersweep.dashboard.report",
}

__all__ = ["DashboardServer", "StoreReader", "build_report", "create_app", "write_report"]


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'hypersweep.dashboard' has no attribute {name!r}")
    return getattr(importlib.import_module(module_name), name)


if TYPE_CHECKING:
    from hypersweep.dashboard.app import create_app
    from hypersweep.dashboard.reader import StoreReader
    from hypersweep.dashboard.report import build_report, write_report
    from hypersweep.dashboard.server import DashboardServer
