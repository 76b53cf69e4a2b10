"""The files of a child run that the dashboard shows: its ``outputs/`` listing and its log tail.

Paths come from the run's record, never from a request. A request names an output file only by
the name that :func:`list_outputs` gives it, and the listing keeps only regular files that lie
inside the run's outputs folder, so a symbolic link cannot point a download elsewhere.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from hypersweep.api.workspace import Workspace
from hypersweep.store import ChildRunRecord

__all__ = [
    "LOG_TAIL_BYTES",
    "MAX_LISTED_OUTPUTS",
    "OutputFile",
    "find_output",
    "list_outputs",
    "outputs_dir",
    "read_log_tail",
    "run_dir",
]

LOG_TAIL_BYTES = 64 * 1024
"""How much of the end of a run's log the run page shows."""

MAX_LISTED_OUTPUTS = 1000
"""Maximum number of output files listed per run; the page notes when a folder has more."""


@dataclasses.dataclass(frozen=True)
class OutputFile:
    """One file of a run's ``outputs/`` folder: ``name`` is relative, with ``/`` separators."""

    name: str
    size: int
    path: Path


def run_dir(workspace: Workspace, record: ChildRunRecord) -> Path:
    """Return the folder of a child run: its log, metrics file and outputs."""
    if record.run_dir:
        return Path(record.run_dir)
    return workspace.child_dir(record.parent_id, record.run_id)


def outputs_dir(workspace: Workspace, record: ChildRunRecord) -> Path:
    """Return the run's ``outputs/`` folder, which is in its working folder while it runs."""
    folder = run_dir(workspace, record)
    kept = folder / "outputs"
    return kept if kept.is_dir() else folder / "wd" / "outputs"


def list_outputs(workspace: Workspace, record: ChildRunRecord, *,
                 limit: int = MAX_LISTED_OUTPUTS) -> tuple[list[OutputFile], bool]:
    """Return the regular files under the run's outputs folder, sorted by name, and whether the
    listing was cut at ``limit`` files.

    Symbolic links (to files or folders) are left out, and so is anything whose real path is
    outside the folder.
    """
    root = outputs_dir(workspace, record)
    if not root.is_dir() or root.is_symlink():
        return [], False

    real_root = root.resolve()
    files: list[OutputFile] = []
    for folder, subfolders, names in os.walk(root, followlinks=False):
        subfolders.sort()
        for name in sorted(names):
            path = Path(folder) / name
            if path.is_symlink() or not path.is_file():
                continue

            if not path.resolve().is_relative_to(real_root):
                continue

            if len(files) == limit:
                return files, True

            files.append(OutputFile(path.relative_to(root).as_posix(), path.stat().st_size,
                                    path))
    return files, False


def find_output(workspace: Workspace, record: ChildRunRecord, name: str) -> OutputFile | None:
    """Return the output file called ``name`` in the run's listing, or None."""
    files, _ = list_outputs(workspace, record)
    for output in files:
        if output.name == name:
            return output
    return None


def read_log_tail(workspace: Workspace, record: ChildRunRecord, *,
                  limit: int = LOG_TAIL_BYTES) -> str:
    """Return the last ``limit`` bytes of the run's log as text, or its recorded log tail.

    Undecodable bytes are replaced, and a line cut by the limit is dropped.
    """
    path = run_dir(workspace, record) / "std_log.txt"
    try:
        with open(path, "rb") as stream:
            stream.seek(0, os.SEEK_END)
            size = stream.tell()
            stream.seek(max(0, size - limit))
            data = stream.read(limit)
    except OSError:
        return record.log_tail or ""

    if size > limit:
        data = data.split(b"\n", 1)[-1]
    return data.decode("utf-8", errors="replace")
