"""Cancel requests that other processes leave for a running controller.

The controller is the only writer of the run store while a sweep runs, so another process (the
CLI's ``cancel``, ``HyperDriveRun.cancel()``) asks for a cancellation by creating a file in the
sweep's ``requests/`` folder; the controller polls the folder, acts and removes the file.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["SWEEP_REQUEST", "pending_requests", "remove_request", "write_cancel_request"]

SWEEP_REQUEST = "cancel"
_CHILD_PREFIX = "cancel_"


def _requests_dir(sweep_dir: Path) -> Path:
    return sweep_dir / "requests"


def write_cancel_request(sweep_dir: Path, reason: str, child_id: str | None = None) -> Path:
    """Ask the controller to cancel the sweep, or one child run when ``child_id`` is given."""
    folder = _requests_dir(sweep_dir)
    folder.mkdir(parents=True, exist_ok=True)
    name = SWEEP_REQUEST if child_id is None else _CHILD_PREFIX + child_id
    path = folder / name

    # Write under a temporary name, then rename, so the controller never reads half a reason.
    temporary = folder / f".{name}.{os.getpid()}"
    temporary.write_text(reason, encoding="utf-8")
    os.replace(temporary, path)
    return path


def pending_requests(sweep_dir: Path) -> list[tuple[str | None, str, Path]]:
    """Return ``(child_id or None for the sweep, reason, path)`` for each pending request."""
    folder = _requests_dir(sweep_dir)
    if not folder.is_dir():
        return []

    found: list[tuple[str | None, str, Path]] = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):
            continue

        try:
            reason = path.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            continue

        if path.name == SWEEP_REQUEST:
            found.append((None, reason, path))
        elif path.name.startswith(_CHILD_PREFIX):
            found.append((path.name[len(_CHILD_PREFIX):], reason, path))

    return found


def remove_request(path: Path) -> None:
    """Remove a request that has been handled."""
    path.unlink(missing_ok=True)
