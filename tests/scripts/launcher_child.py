"""A stand-in training script for tests/test_launcher_local.py; argument 1 picks a behaviour.

Pids and readiness are reported through files in the folder named by LAUNCHER_CONTROL, so the
test can check each process it started by pid (never by name).
"""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

CONTROL = Path(os.environ.get("LAUNCHER_CONTROL", "."))
SLEEP = shutil.which("sleep") or "/bin/sleep"


def report(name, value):
    # Written then renamed, so that the test never reads half a file.
    temporary = CONTROL / f".{name}.tmp"
    temporary.write_text(str(value))
    temporary.rename(CONTROL / name)


def wait_for(path, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            sys.exit(f"timed out waiting for {path}")
        time.sleep(0.01)


def sleep_forever():
    while True:
        time.sleep(1000)


def ok(code="0"):
    print("hello on stdout")
    print("hello on stderr", file=sys.stderr)
    print(f"value={os.environ.get('LAUNCHER_VALUE')}")
    print(f"unbuffered={os.environ.get('PYTHONUNBUFFERED')}")
    Path("outputs", "result.txt").write_text("result\n")
    sys.exit(int(code))


def modify():
    seen = Path("data.txt").read_text()
    Path("outputs", "seen.txt").write_text(seen)
    with open("data.txt", "a") as data:
        data.write("changed by a run\n")
    Path("new_file.txt").write_text("new\n")


def suicide():
    os.kill(os.getpid(), signal.SIGKILL)


def polite():
    def on_term(signum, frame):
        print("got SIGTERM, cleaning up")
        Path("outputs", "cleanup.txt").write_text("clean\n")
        sys.exit(0)

    signal.signal(signal.SIGTERM, on_term)
    report(f"ready_{sys.argv[1]}", os.getpid())
    sleep_forever()


def stubborn():
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    report(f"ready_{sys.argv[1]}", os.getpid())
    sleep_forever()


def double_fork_setsid():
    """Start `sleep` in a session of its own whose parent has exited; return its pid."""
    read_end, write_end = os.pipe()
    middle = os.fork()
    if middle == 0:
        os.close(read_end)
        os.setsid()
        grandchild = os.fork()
        if grandchild == 0:
            os.execv(SLEEP, [SLEEP, "1000"])
        os.write(write_end, str(grandchild).encode())
        os._exit(0)
    os.close(write_end)
    os.waitpid(middle, 0)
    with os.fdopen(read_end) as pipe:
        return int(pipe.read())


def tree(*flags):
    if "stubborn" in flags:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    child = subprocess.Popen([SLEEP, "1000"])
    escaped = double_fork_setsid()
    report("pids", f"{child.pid} {escaped}")
    sleep_forever()


def leftover():
    child = subprocess.Popen([SLEEP, "1000"])
    report("pids", child.pid)


def leftover_stubborn():
    code = (
        "import signal, sys, time, pathlib;"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN);"
        "pathlib.Path(sys.argv[1]).write_text('x');"
        "time.sleep(1000)"
    )
    child = subprocess.Popen([sys.executable, "-c", code, str(CONTROL / "child_ready")])
    wait_for(CONTROL / "child_ready")
    report("pids", child.pid)


def hidden():
    # Own session and an empty environment: neither the group nor the launch tag finds it,
    # only the descendants the launcher recorded while the main process was alive.
    child = subprocess.Popen([SLEEP, "1000"], start_new_session=True, env={})
    report("pids", child.pid)
    wait_for(CONTROL / "go")


if __name__ == "__main__":
    globals()[sys.argv[1]](*sys.argv[2:])
