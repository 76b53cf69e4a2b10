"""The pieces of the Ray launcher that run on a node, tested without a cluster: archives of
folders, the slot watchdog that ends a dead actor's runs, and reading a run's files in chunks."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import tarfile
import textwrap
import time
import uuid
from pathlib import Path

import psutil
import pytest

from hypersweep.launchers._archive import pack_folder, unpack_archive
from hypersweep.launchers._ray_watchdog import SLOT_ENV_VAR, end_slot_processes

# -- archives --------------------------------------------------------------------------------


def test_archive_round_trip_keeps_links(tmp_path: Path) -> None:
    source = tmp_path / "source"
    (source / "pkg").mkdir(parents=True)
    (source / "train.py").write_text("print('hi')\n")
    (source / "pkg" / "data.bin").write_bytes(bytes(range(256)))
    (source / "link").symlink_to("/usr/share/absolute-target")
    (source / "tool.sh").write_text("#!/bin/sh\n")
    (source / "tool.sh").chmod(0o755)

    target = tmp_path / "target"
    unpack_archive(pack_folder(source), target)

    assert (target / "train.py").read_text() == "print('hi')\n"
    assert (target / "pkg" / "data.bin").read_bytes() == bytes(range(256))
    assert os.readlink(target / "link") == "/usr/share/absolute-target"
    assert os.access(target / "tool.sh", os.X_OK)


def test_archive_replaces_same_names_and_keeps_others(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    (source / "model.npz").write_text("new")
    (source / "folder").mkdir()
    (source / "folder" / "inside.txt").write_text("inside")

    target = tmp_path / "target"
    target.mkdir()
    (target / "model.npz").write_text("old")
    (target / "earlier.txt").write_text("kept")
    (target / "folder").write_text("a file where the folder goes")

    unpack_archive(pack_folder(source), target)

    assert (target / "model.npz").read_text() == "new"
    assert (target / "earlier.txt").read_text() == "kept"
    assert (target / "folder" / "inside.txt").read_text() == "inside"


def test_archive_rejects_member_outside(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        payload = b"escaped"
        member = tarfile.TarInfo("../escaped.txt")
        member.size = len(payload)
        archive.addfile(member, io.BytesIO(payload))

    with pytest.raises(tarfile.TarError):
        unpack_archive(buffer.getvalue(), tmp_path / "target")
    assert not (tmp_path / "escaped.txt").exists()


# -- the watchdog ----------------------------------------------------------------------------

# Ignores SIGTERM, so that only SIGKILL after the grace period ends it.
STUBBORN = textwrap.dedent("""
    import signal, time
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    print("ready", flush=True)
    time.sleep(120)
""")


def start_tagged(slot: str) -> psutil.Process:
    env = {**os.environ, SLOT_ENV_VAR: slot}
    process = subprocess.Popen([sys.executable, "-c", STUBBORN], env=env,
                               stdout=subprocess.PIPE, start_new_session=True)
    assert process.stdout is not None
    assert process.stdout.readline().strip() == b"ready"
    return psutil.Process(process.pid)


def gone(process: psutil.Process, timeout: float) -> bool:
    """Whether the process has ended (zombies included) within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if process.status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)


def test_end_slot_processes_kills_after_grace(tmp_path: Path) -> None:
    slot = uuid.uuid4().hex
    tagged = start_tagged(slot)
    other = start_tagged(uuid.uuid4().hex)
    try:
        started = time.monotonic()
        assert end_slot_processes(slot, grace=0.5) == 1

        assert gone(tagged, timeout=5)
        assert time.monotonic() - started >= 0.5
        assert not gone(other, timeout=0.2)
    finally:
        for process in (tagged, other):
            if not gone(process, 0):
                process.kill()
                process.wait(5)


def test_watchdog_ends_runs_when_actor_dies() -> None:
    slot = uuid.uuid4().hex
    actor = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"],
                             start_new_session=True)
    actor_process = psutil.Process(actor.pid)
    tagged = start_tagged(slot)
    try:
        subprocess.run(
            [sys.executable, "-m", "hypersweep.launchers._ray_watchdog", "--actor-pid",
             str(actor.pid), "--actor-started", repr(actor_process.create_time()),
             "--slot", slot, "--grace", "0.3"],
            check=True, timeout=30, start_new_session=True,
        )
        # The actor is alive, so the watchdog leaves the run alone.
        assert not gone(tagged, timeout=1.0)

        os.kill(actor.pid, signal.SIGKILL)
        actor.wait()

        assert gone(tagged, timeout=10)
    finally:
        if actor.poll() is None:
            actor.kill()
        if not gone(tagged, 0):
            tagged.kill()


def test_watchdog_ignores_recycled_actor_pid() -> None:
    slot = uuid.uuid4().hex
    tagged = start_tagged(slot)
    try:
        # A creation time that does not match the live process with this pid: the actor is gone.
        subprocess.run(
            [sys.executable, "-m", "hypersweep.launchers._ray_watchdog", "--actor-pid",
             str(os.getpid()), "--actor-started", "1.0", "--slot", slot, "--grace", "0.3"],
            check=True, timeout=30, start_new_session=True,
        )
        assert gone(tagged, timeout=10)
    finally:
        if not gone(tagged, 0):
            tagged.kill()


# -- reading a run's files -------------------------------------------------------------------


def test_read_chunk_returns_whole_lines_while_running(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    from hypersweep.launchers._ray_actor import _read_chunk

    path = tmp_path / "metrics.jsonl"
    path.write_bytes(b'{"name": "a", "value": 1}\n{"name": "a", "val')

    data, more = _read_chunk(path, 0, whole_lines=True)
    assert data == b'{"name": "a", "value": 1}\n'
    assert more

    rest, more = _read_chunk(path, len(data), whole_lines=False)
    assert rest == b'{"name": "a", "val'
    assert not more
    assert _read_chunk(tmp_path / "missing", 0, whole_lines=True) == (b"", False)


def test_relocate_rewrites_only_the_run_folder() -> None:
    pytest.importorskip("ray")
    from hypersweep.launchers._ray_actor import _relocate

    node = Path("/node/runs/HD_x_1")
    assert _relocate("/ws/runs/HD_x/children/HD_x_1", "/ws/runs/HD_x/children/HD_x_1",
                     node) == "/node/runs/HD_x_1"
    assert _relocate("/ws/runs/HD_x/children/HD_x_1/wd/outputs",
                     "/ws/runs/HD_x/children/HD_x_1", node) == "/node/runs/HD_x_1/wd/outputs"
    assert _relocate("/ws/runs/HD_x/children/HD_x_10/wd", "/ws/runs/HD_x/children/HD_x_1",
                     node) == "/ws/runs/HD_x/children/HD_x_10/wd"
    assert _relocate("--lr", "/ws", node) == "--lr"
