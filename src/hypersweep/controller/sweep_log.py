"""The parent log: a text file that says what happened in a sweep and when."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

__all__ = ["SweepLog"]

logger = logging.getLogger("hypersweep.controller")


class SweepLog:
    """Appends timestamped lines to the sweep's ``controller.log`` and mirrors them to logging."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)

    def info(self, message: str) -> None:
        """Record a life-cycle event."""
        self._write("INFO", message)
        logger.info("%s", message)

    def warning(self, message: str) -> None:
        """Record something the user should look at."""
        self._write("WARNING", message)
        logger.warning("%s", message)

    def error(self, message: str) -> None:
        """Record a failure of the sweep itself."""
        self._write("ERROR", message)
        logger.error("%s", message)

    def _write(self, level: str, message: str) -> None:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime())
        with self._lock, open(self.path, "a", encoding="utf-8") as stream:
            stream.write(f"{stamp} {level:<7} {message}\n")
