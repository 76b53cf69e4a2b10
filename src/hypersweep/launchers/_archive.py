"""Folders packed into gzip-compressed tar archives in memory, to send them to a Ray node and
back (a sweep's snapshot, a run's outputs)."""

from __future__ import annotations

import io
import os
import shutil
import tarfile
from pathlib import Path

__all__ = ["pack_folder", "unpack_archive"]

# Level 1: snapshots and outputs are sent over a network, so speed matters more than size.
_COMPRESSION_LEVEL = 1


def pack_folder(folder: Path) -> bytes:
    """Return a tar.gz archive of the contents of ``folder``; symbolic links stay links."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=_COMPRESSION_LEVEL) as archive:
        for entry in sorted(folder.iterdir()):
            archive.add(entry, arcname=entry.name, recursive=True)
    return buffer.getvalue()


def unpack_archive(data: bytes, destination: Path) -> None:
    """Unpack an archive made by :func:`pack_folder` into ``destination`` (created if missing).

    Files of the same name are replaced, and a folder replaces a file of its name or the
    reverse. Members that would land outside ``destination`` are rejected with
    ``tarfile.TarError``.
    """
    destination.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        members = archive.getmembers()
        for member in members:
            _clear_target(destination / member.name, member, destination)

        if hasattr(tarfile, "tar_filter"):
            # The "tar" filter keeps absolute symbolic links (a link to a data set that every
            # node mounts at the same path) but refuses members outside the destination.
            archive.extractall(destination, members=members, filter="tar")
        else:  # pragma: no cover - Python < 3.10.12 has no extraction filters
            _check_members(members, destination)
            archive.extractall(destination, members=members)


def _clear_target(path: Path, member: tarfile.TarInfo, destination: Path) -> None:
    if not _is_inside(path.parent, destination):
        return  # the extraction filter rejects this member

    if not path.exists() and not path.is_symlink():
        return

    if member.isdir() and path.is_dir() and not path.is_symlink():
        return

    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def _is_inside(path: Path, destination: Path) -> bool:
    root = os.path.realpath(destination)
    return os.path.commonpath([root, os.path.realpath(path)]) == root


def _check_members(members: list[tarfile.TarInfo], destination: Path) -> None:
    for member in members:
        if not _is_inside(destination / member.name, destination):
            raise tarfile.TarError(f"archive member {member.name!r} is outside {destination}")
