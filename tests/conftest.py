"""Fixtures shared by the end-to-end tests: a workspace and small training scripts."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from hypersweep import Workspace

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    """An empty workspace in a temporary folder."""
    return Workspace(tmp_path / "workspace")


@pytest.fixture
def source_dir(tmp_path: Path) -> Path:
    """An empty source folder for training scripts."""
    folder = tmp_path / "src"
    folder.mkdir()
    return folder


def write_script(folder: Path, name: str, body: str) -> Path:
    """Write a Python training script with ``body`` (dedented) and return its path."""
    path = folder / name
    path.write_text(textwrap.dedent(body).lstrip(), encoding="utf-8")
    return path


def alive(pid: int) -> bool:
    """Whether a process with this pid exists and is not a zombie."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def group_members(pgid: int) -> list[int]:
    """The live processes whose process group is ``pgid``."""
    members = []
    for process in psutil.process_iter():
        try:
            if os.getpgid(process.pid) == pgid and process.status() != psutil.STATUS_ZOMBIE:
                members.append(process.pid)
        except (ProcessLookupError, PermissionError, psutil.NoSuchProcess):
            continue
    return members


@pytest.fixture(autouse=True)
def _no_inherited_workspace(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("HYPERSWEEP_WORKSPACE", raising=False)
    monkeypatch.delenv("HYPERSWEEP_METRICS_FILE", raising=False)
    monkeypatch.delenv("HYPERSWEEP_RUN_ID", raising=False)
    yield


def approx_or_none(expected: float | None, rel: float = 1e-12) -> object:
    """``pytest.approx`` for numbers, and ``None`` itself when no number is expected."""
    if expected is None:
        return None
    return pytest.approx(expected, rel=rel)
