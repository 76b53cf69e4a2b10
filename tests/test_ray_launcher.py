"""The Ray launcher on a real two-node Ray cluster that these tests start on this machine.

The head node is started with ``ray start --head``. The second node is started in a process of
its own through the class that ``ray start`` uses, because ``ray start`` refuses to add a node
while Ray keeps to 127.0.0.1 (see :data:`RAY_ENV`). Each node runs in a session of its own and
in its own temporary folder. The tests therefore stop exactly the processes they started
(``ray stop`` would stop every Ray process of this machine), and can kill one node on purpose. Every
process of the cluster listens on 127.0.0.1 only, which one test checks.

Both nodes are on this machine, so psutil sees the processes of every run on every node.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from hypersweep import (
    BanditPolicy,
    Experiment,
    GridParameterSampling,
    HyperDriveConfig,
    HyperDriveRun,
    PrimaryMetricGoal,
    RandomParameterSampling,
    ScriptRunConfig,
    Workspace,
    choice,
    loguniform,
    uniform,
)
from hypersweep.controller import controller_alive
from hypersweep.enums import RunStatus

from conftest import write_script

pytest.importorskip("ray")

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
DIGITS = REPO / "examples" / "digits"

#: Environment of every Ray process of the test cluster, and of the controllers that join it.
RAY_ENV = {
    # On Linux, Ray replaces 127.0.0.1 with the machine's routable address and then listens on
    # every interface. With this setting (read by ray/_private/services.py in Ray 2.60) it keeps
    # 127.0.0.1, but `ray start` refuses to add a second node, hence the node starter below.
    "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
    # A dead node is noticed after about 2 s instead of about 15 s (Ray's defaults: a check
    # every 3 s, dead after 5 missed checks).
    "RAY_health_check_initial_delay_ms": "1000",
    "RAY_health_check_period_ms": "500",
    "RAY_health_check_failure_threshold": "3",
    "RAY_USAGE_STATS_ENABLED": "0",
}

# Starts a worker node the way `ray start --address` does, then exits; the node's processes
# stay in this process's session.
NODE_STARTER = """
import json, sys
from ray._private.node import Node
from ray._private.parameter import RayParams
node = Node(RayParams(**json.loads(sys.argv[1])), head=False, shutdown_at_exit=False,
            spawn_reaper=False)
print(node.node_id, flush=True)
"""


def free_ports(count: int) -> list[int]:
    """Ports that are free on 127.0.0.1 now (another process may take one before Ray does)."""
    sockets = []
    for _ in range(count):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sockets.append(sock)
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


class RayTestCluster:
    """A Ray cluster of this machine: a head node and worker nodes, each in its own session."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.sessions: dict[str, int] = {}
        self.node_ids: dict[str, str] = {}
        self.port = 0
        self.client_port: int | None = None
        # The run slots keep their files in the temporary folder of their node's processes, so
        # this puts them below root, which stop() removes, even for a node that was killed.
        (root / "tmp").mkdir(parents=True, exist_ok=True)
        self.env = {**os.environ, **RAY_ENV, "TMPDIR": str(root / "tmp")}

    @property
    def address(self) -> str:
        """The GCS address, as ``HOST:PORT``."""
        return f"127.0.0.1:{self.port}"

    def start_head(self, cpus: int = 2) -> None:
        ports = free_ports(10)
        self.port = ports[0]
        argv = [
            sys.executable, "-m", "ray.scripts.scripts", "start", "--head",
            f"--port={self.port}", "--node-ip-address=127.0.0.1", f"--num-cpus={cpus}",
            "--include-dashboard=false", "--disable-usage-stats",
            f"--temp-dir={self.root / 'head'}", "--object-store-memory=200000000",
            f"--dashboard-agent-listen-port={ports[1]}",
            f"--dashboard-agent-grpc-port={ports[2]}", f"--runtime-env-agent-port={ports[3]}",
            f"--metrics-export-port={ports[4]}", f"--node-manager-port={ports[5]}",
            f"--object-manager-port={ports[6]}",
        ]
        if importlib.util.find_spec("grpc") is not None:
            # Ray Client needs grpcio; without this option its server takes port 10001.
            self.client_port = ports[7]
            argv.append(f"--ray-client-server-port={self.client_port}")
        env = {**self.env, "AUTOSCALER_METRIC_PORT": str(ports[8]),
               "DASHBOARD_METRIC_PORT": str(ports[9])}
        self._start("head", argv, env)

    def add_node(self, name: str, cpus: int = 2) -> str:
        """Start a worker node and return its node id."""
        ports = free_ports(6)
        params = {
            "gcs_address": self.address, "node_ip_address": "127.0.0.1", "num_cpus": cpus,
            "resources": {name: 1}, "object_store_memory": 200_000_000,
            "temp_dir": str(self.root / name), "node_manager_port": ports[0],
            "object_manager_port": ports[1], "dashboard_agent_listen_port": ports[2],
            "metrics_agent_port": ports[3], "runtime_env_agent_port": ports[4],
            "metrics_export_port": ports[5], "include_log_monitor": False,
        }
        output = self._start(name, [sys.executable, "-c", NODE_STARTER, json.dumps(params)],
                             self.env)
        self.node_ids[name] = output.strip().splitlines()[-1]
        return self.node_ids[name]

    def _start(self, name: str, argv: list[str], env: dict[str, str]) -> str:
        log_path = self.root / f"{name}.out"
        with open(log_path, "wb") as log:
            starter = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        self.sessions[name] = starter.pid
        code = starter.wait(timeout=120)
        output = log_path.read_text(errors="replace")
        assert code == 0, f"starting Ray node {name} failed:\n{output[-3000:]}"
        return output

    def processes(self, name: str | None = None) -> list[psutil.Process]:
        """The live processes of one node, or of every node."""
        sessions = {self.sessions[name]} if name else set(self.sessions.values())
        found = []
        for process in psutil.process_iter():
            try:
                if os.getsid(process.pid) in sessions \
                        and process.status() != psutil.STATUS_ZOMBIE:
                    found.append(process)
            except (OSError, psutil.Error):
                continue
        return found

    def kill_node(self, name: str) -> None:
        """Kill every process of one node at once, as if its machine had died."""
        for process in self.processes(name):
            try:
                process.kill()
            except psutil.Error:
                continue
        psutil.wait_procs(self.processes(name), timeout=10)

    def stop(self) -> None:
        processes = self.processes()
        for process in processes:
            try:
                process.terminate()
            except psutil.Error:
                continue
        _, alive = psutil.wait_procs(processes, timeout=5)
        for process in alive + self.processes():
            try:
                process.kill()
            except psutil.Error:
                continue
        psutil.wait_procs(self.processes(), timeout=5)
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="module")
def ray_environment() -> Iterator[None]:
    """Controllers inherit this environment, so that they reach the cluster on 127.0.0.1."""
    with pytest.MonkeyPatch.context() as patch:
        for key, value in RAY_ENV.items():
            patch.setenv(key, value)
        patch.delenv("RAY_ADDRESS", raising=False)
        yield


@pytest.fixture(scope="module")
def cluster(ray_environment: None) -> Iterator[RayTestCluster]:
    """A head node and a worker node, 2 CPUs each."""
    # A short path: Ray's Unix sockets live below it, and their paths are limited in length.
    root = Path(tempfile.mkdtemp(prefix="hsray-", dir="/tmp"))
    cluster = RayTestCluster(root)
    try:
        cluster.start_head()
        cluster.add_node("second")
        yield cluster
    finally:
        cluster.stop()


# -- helpers ---------------------------------------------------------------------------------


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def finish(sweep: HyperDriveRun, timeout: float) -> None:
    """Wait for a sweep's end; on failure show its controller's log and output."""
    folder = sweep.workspace.sweep_dir(sweep.id)
    try:
        sweep.wait_for_completion(timeout=timeout, poll_interval=0.2)
    except BaseException:
        for name in ("controller.log", "controller.out"):
            path = folder / name
            if path.exists():
                print(f"--- {name}\n{path.read_text()[-6000:]}")
        raise


def children(workspace: Workspace, sweep_id: str) -> list[Any]:
    with workspace.open_store() as store:
        return store.list_child_runs(sweep_id)


def tags(workspace: Workspace, run_id: str) -> dict[str, str | None]:
    with workspace.open_store() as store:
        return store.get_tags(run_id)


def run_processes(sweep_id: str) -> list[psutil.Process]:
    """Live processes of this machine whose environment names a child run of the sweep."""
    found = []
    for process in psutil.process_iter():
        try:
            if process.status() == psutil.STATUS_ZOMBIE:
                continue
            if process.environ().get("HYPERSWEEP_PARENT_RUN_ID") == sweep_id:
                found.append(process)
        except (psutil.Error, OSError):
            continue
    return found


class IngestionWatcher:
    """Records the child runs seen Running in the store with metric values already ingested."""

    def __init__(self, workspace: Workspace, sweep_id: str, metric: str) -> None:
        self.seen: set[str] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, args=(workspace, sweep_id, metric),
                                        daemon=True)
        self._thread.start()

    def _watch(self, workspace: Workspace, sweep_id: str, metric: str) -> None:
        with workspace.open_store() as store:
            while not self._stop.wait(0.05):
                for child in store.list_child_runs(sweep_id):
                    if child.status is RunStatus.RUNNING \
                            and store.get_metric_values(child.run_id, metric):
                        self.seen.add(child.run_id)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


# -- the cluster itself ----------------------------------------------------------------------


def test_cluster_listens_only_on_loopback(cluster: RayTestCluster) -> None:
    pids = {process.pid for process in cluster.processes()}
    listening = [connection for connection in psutil.net_connections(kind="inet")
                 if connection.pid in pids and connection.status == psutil.CONN_LISTEN]

    assert listening
    addresses = {connection.laddr.ip for connection in listening}
    assert addresses <= {"127.0.0.1", "::ffff:127.0.0.1"}, addresses


# -- sweeps ----------------------------------------------------------------------------------


def test_digits_sweep_runs_on_both_nodes(cluster: RayTestCluster, tmp_path: Path) -> None:
    workspace = Workspace(tmp_path / "ws")
    config = HyperDriveConfig(
        run_config=ScriptRunConfig(source_directory=DIGITS, script="train.py",
                                   arguments=["--epochs", 4], compute_target=cluster.address,
                                   resources={"cpu": 1}),
        hyperparameter_sampling=RandomParameterSampling(
            {"learning_rate": loguniform(-9.2, -2.3), "hidden_units": choice(16, 32, 64)},
            seed=7),
        primary_metric_name="accuracy", primary_metric_goal=PrimaryMetricGoal.MAXIMIZE,
        policy=BanditPolicy(slack_factor=0.05, evaluation_interval=1, delay_evaluation=1),
        max_total_runs=8, max_concurrent_runs=2, cancel_grace_seconds=2.0,
    )
    sweep = Experiment(workspace, "digits-ray").submit(config)
    watcher = IngestionWatcher(workspace, sweep.id, "accuracy")
    try:
        finish(sweep, timeout=240)
    finally:
        watcher.stop()

    records = children(workspace, sweep.id)
    assert sweep.get_status() == "Completed"
    assert len(records) == 8
    assert {record.status for record in records} <= {RunStatus.COMPLETED, RunStatus.CANCELED}

    nodes = {tags(workspace, record.run_id)["ray_node_id"] for record in records}
    assert cluster.node_ids["second"] in nodes
    assert len(nodes) == 2

    # Metrics stream back while the runs run: values were in the store before runs ended,
    # and the policy stopped runs before their last epoch.
    assert watcher.seen
    canceled = [record for record in records if record.status is RunStatus.CANCELED]
    for record in canceled:
        assert record.termination is not None
        assert record.termination["interval"] < 4

    completed = [record for record in records if record.status is RunStatus.COMPLETED]
    assert completed
    for record in completed:
        kept = Path(record.run_dir) / "outputs"
        assert (kept / "checkpoint.npz").is_file()
        assert json.loads((kept / "settings.json").read_text())["epochs"] == 4
        log = (Path(record.run_dir) / "std_log.txt").read_text()
        assert "runs on Ray node" in log
        assert "epoch   4: loss" in log

    with workspace.open_store() as store:
        assert (store.get_parent_run(sweep.id).best_score or 0.0) > 0.8
    assert run_processes(sweep.id) == []


# Deterministic: each value depends only on x and the step.
STEADY = """
import argparse, time
from hypersweep import Run
parser = argparse.ArgumentParser()
parser.add_argument("--x", type=float)
args = parser.parse_args()
run = Run.get_context()
for step in range(1, 4):
    run.log("score", round(args.x * step, 6))
    time.sleep(0.4)
"""


def steady_config(source: Path, compute_target: str) -> HyperDriveConfig:
    write_script(source, "train.py", STEADY)
    return HyperDriveConfig(
        run_config=ScriptRunConfig(source_directory=source, script="train.py",
                                   compute_target=compute_target),
        hyperparameter_sampling=GridParameterSampling(
            {"x": choice(0.9, 0.2, 0.95, 0.5, 0.3, 1.0)}),
        primary_metric_name="score", primary_metric_goal=PrimaryMetricGoal.MAXIMIZE,
        policy=BanditPolicy(slack_factor=0.1, evaluation_interval=1),
        max_total_runs=6, max_concurrent_runs=1, cancel_grace_seconds=1.0,
    )


def test_statuses_match_local_launcher(cluster: RayTestCluster, tmp_path: Path,
                                       source_dir: Path) -> None:
    outcomes = {}
    for target in ("local", cluster.address):
        workspace = Workspace(tmp_path / target.replace(":", "_"))
        sweep = Experiment(workspace, "compare").submit(steady_config(source_dir, target))
        finish(sweep, timeout=120)
        outcomes[target] = [
            (record.hyperparameters["x"], record.status.value,
             record.termination["interval"] if record.termination else None)
            for record in children(workspace, sweep.id)
        ]

    assert outcomes["local"] == [
        (0.9, "Completed", None), (0.2, "Canceled", 1), (0.95, "Completed", None),
        (0.5, "Canceled", 1), (0.3, "Canceled", 1), (1.0, "Completed", None),
    ]
    assert outcomes[cluster.address] == outcomes["local"]


# Ignores SIGTERM and starts a child that ignores it too, and a grandchild that leaves the
# session: only SIGKILL after the grace period, sent to every process of the run, ends them.
STUBBORN = """
import os, signal, subprocess, sys, time
control = os.environ["CONTROL_DIR"]
signal.signal(signal.SIGTERM, signal.SIG_IGN)
ignore = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(300)"
child = subprocess.Popen([sys.executable, "-c", ignore])
escaped = subprocess.Popen([sys.executable, "-c", ignore], start_new_session=True)
with open(os.path.join(control, os.environ["HYPERSWEEP_RUN_ID"]), "w") as pids:
    pids.write(f"{os.getpid()} {child.pid} {escaped.pid}")
from hypersweep import Run
Run.get_context().log("score", 1.0)
time.sleep(300)
"""


def test_cancelled_runs_leave_no_process(cluster: RayTestCluster, tmp_path: Path,
                                         source_dir: Path) -> None:
    control = tmp_path / "control"
    control.mkdir()
    write_script(source_dir, "train.py", STUBBORN)
    config = HyperDriveConfig(
        run_config=ScriptRunConfig(source_directory=source_dir, script="train.py",
                                   compute_target=cluster.address,
                                   environment_variables={"CONTROL_DIR": str(control)}),
        hyperparameter_sampling=RandomParameterSampling({"x": uniform(0, 1)}, seed=3),
        primary_metric_name="score", primary_metric_goal=PrimaryMetricGoal.MAXIMIZE,
        max_total_runs=2, max_concurrent_runs=2, max_run_duration_minutes=0.1,
        cancel_grace_seconds=1.0,
    )
    workspace = Workspace(tmp_path / "ws")
    sweep = Experiment(workspace, "stubborn").submit(config)
    finish(sweep, timeout=90)

    records = children(workspace, sweep.id)
    assert [record.status for record in records] == [RunStatus.CANCELED] * 2
    for record in records:
        assert "max_run_duration_minutes=0.1" in (record.reason or "")
        pids = [int(pid) for pid in (control / record.run_id).read_text().split()]
        assert len(pids) == 3
        for pid in pids:
            assert not psutil.pid_exists(pid) \
                or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert run_processes(sweep.id) == []


FAILING = """
import argparse, sys
from hypersweep import Run
parser = argparse.ArgumentParser()
parser.add_argument("--x", type=float)
args = parser.parse_args()
Run.get_context().log("score", args.x)
if args.x > 0.5:
    print("boom: x is too large", flush=True)
    sys.exit(3)
"""


def test_ray_client_address_and_failed_run(cluster: RayTestCluster, tmp_path: Path,
                                           source_dir: Path) -> None:
    if cluster.client_port is None:
        pytest.skip("Ray Client needs grpcio (pip install \"ray[client]\")")
    # NOTE: Ray Client's server starts one server per client on a port from a range (23000 and
    # up) that every Ray cluster of the machine shares, and it checks a port only by binding it
    # briefly. Another cluster that takes a client at the same moment can fail this test.
    write_script(source_dir, "train.py", FAILING)
    config = HyperDriveConfig(
        run_config=ScriptRunConfig(source_directory=source_dir, script="train.py",
                                   compute_target=f"ray://127.0.0.1:{cluster.client_port}"),
        hyperparameter_sampling=GridParameterSampling({"x": choice(0.2, 0.8)}),
        primary_metric_name="score", primary_metric_goal=PrimaryMetricGoal.MAXIMIZE,
        max_total_runs=2, max_concurrent_runs=2,
    )
    workspace = Workspace(tmp_path / "ws")
    sweep = Experiment(workspace, "client").submit(config)
    finish(sweep, timeout=120)

    first, second = children(workspace, sweep.id)
    assert first.status is RunStatus.COMPLETED
    assert second.status is RunStatus.FAILED
    assert second.reason == "exit code 3"
    assert second.exit_code == 3
    assert "boom: x is too large" in (second.log_tail or "")
    with workspace.open_store() as store:
        assert store.get_metric_values(second.run_id, "score") == [0.8]


def test_infeasible_resources_fail_the_sweep(cluster: RayTestCluster, tmp_path: Path,
                                             source_dir: Path) -> None:
    write_script(source_dir, "train.py", "print('never runs')\n")
    config = HyperDriveConfig(
        run_config=ScriptRunConfig(source_directory=source_dir, script="train.py",
                                   compute_target=cluster.address,
                                   resources={"cpu": 1, "gpu": 1}),
        hyperparameter_sampling=RandomParameterSampling({"x": uniform(0, 1)}, seed=3),
        primary_metric_name="score", primary_metric_goal=PrimaryMetricGoal.MAXIMIZE,
        max_total_runs=2,
    )
    workspace = Workspace(tmp_path / "ws")
    sweep = Experiment(workspace, "gpu").submit(config)
    wait_until(lambda: sweep.get_status() == "Failed", 60, "the sweep to fail")

    with workspace.open_store() as store:
        parent = store.get_parent_run(sweep.id)
    assert "no node of the Ray cluster" in (parent.end_reason or "")
    assert "cpu=1, gpu=1" in (parent.end_reason or "")
    assert children(workspace, sweep.id) == []


# Logs a value every half second, for long enough to kill a node in the middle.
SLOW = """
import argparse, time
from hypersweep import Run
parser = argparse.ArgumentParser()
parser.add_argument("--x", type=float)
args = parser.parse_args()
run = Run.get_context()
for step in range(1, 13):
    run.log("score", args.x * step)
    time.sleep(0.5)
"""


def test_node_death_fails_only_its_runs(cluster: RayTestCluster, tmp_path: Path,
                                        source_dir: Path) -> None:
    # This test kills the cluster's second node, so it comes last among those that use it.
    write_script(source_dir, "train.py", SLOW)
    config = HyperDriveConfig(
        run_config=ScriptRunConfig(source_directory=source_dir, script="train.py",
                                   compute_target=cluster.address),
        hyperparameter_sampling=RandomParameterSampling({"x": uniform(0, 1)}, seed=5),
        primary_metric_name="score", primary_metric_goal=PrimaryMetricGoal.MAXIMIZE,
        max_total_runs=4, max_concurrent_runs=2, cancel_grace_seconds=1.0,
    )
    workspace = Workspace(tmp_path / "ws")
    sweep = Experiment(workspace, "node-death").submit(config)
    second = cluster.node_ids["second"]

    def victim() -> str | None:
        with workspace.open_store() as store:
            for record in store.list_child_runs(sweep.id):
                if record.status is RunStatus.RUNNING \
                        and store.get_tags(record.run_id).get("ray_node_id") == second \
                        and store.get_metric_values(record.run_id, "score"):
                    return record.run_id
        return None

    wait_until(lambda: victim() is not None, 60, "a run logging on the second node")
    victim_id = victim()
    cluster.kill_node("second")
    finish(sweep, timeout=180)

    records = {record.run_id: record for record in children(workspace, sweep.id)}
    assert sweep.get_status() == "Completed"
    assert len(records) == 4
    failed = records.pop(victim_id)
    assert failed.status is RunStatus.FAILED
    assert (failed.reason or "").startswith("the Ray node running this run died: node "
                                            f"{second}")
    assert "the Ray node running this run died" in (failed.log_tail or "")
    assert {record.status for record in records.values()} == {RunStatus.COMPLETED}

    # The dead node's run was ended by its slot's watchdog.
    wait_until(lambda: run_processes(sweep.id) == [], 15, "the dead node's run to end")


# Logs four values, one every half second.
SHORT = """
import argparse, time
from hypersweep import Run
parser = argparse.ArgumentParser()
parser.add_argument("--x", type=float)
args = parser.parse_args()
run = Run.get_context()
for step in range(1, 5):
    run.log("score", round(args.x * step, 6))
    time.sleep(0.5)
"""


def test_lost_cluster_then_resume(
        ray_environment: None, tmp_path: Path, source_dir: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    write_script(source_dir, "train.py", SHORT)
    config = HyperDriveConfig(
        run_config=ScriptRunConfig(source_directory=source_dir, script="train.py",
                                   compute_target="ray"),
        hyperparameter_sampling=RandomParameterSampling({"x": uniform(0, 1)}, seed=9),
        primary_metric_name="score", primary_metric_goal=PrimaryMetricGoal.MAXIMIZE,
        max_total_runs=6, max_concurrent_runs=2, cancel_grace_seconds=1.0,
    )
    workspace = Workspace(tmp_path / "ws")

    first = RayTestCluster(Path(tempfile.mkdtemp(prefix="hsray-", dir="/tmp")))
    try:
        first.start_head()
        monkeypatch.setenv("RAY_ADDRESS", first.address)
        sweep = Experiment(workspace, "lost").submit(config)

        def halfway() -> bool:
            with workspace.open_store() as store:
                records = store.list_child_runs(sweep.id)
                done = [r for r in records if r.status is RunStatus.COMPLETED]
                running = [r for r in records if r.status is RunStatus.RUNNING
                           and store.get_metric_values(r.run_id, "score")]
            return len(done) >= 2 and bool(running)

        wait_until(halfway, 90, "two completed runs and a running one")
        with workspace.open_store() as store:
            before = {record.run_id: store.get_metric_values(record.run_id, "score")
                      for record in store.list_child_runs(sweep.id)
                      if record.status is RunStatus.COMPLETED}
        first.kill_node("head")

        def controller_stopped() -> bool:
            with workspace.open_store() as store:
                return not controller_alive(store.get_parent_run(sweep.id))

        wait_until(controller_stopped, 60, "the controller to stop")
    finally:
        first.stop()

    log = (workspace.sweep_dir(sweep.id) / "controller.log").read_text()
    assert "lost the connection to the Ray cluster" in log
    assert f"continue it with `hypersweep resume {sweep.id}`" in log
    assert sweep.get_status() == "Running"
    interrupted = [record.run_id for record in children(workspace, sweep.id)
                   if record.status is RunStatus.RUNNING]
    assert interrupted
    wait_until(lambda: run_processes(sweep.id) == [], 15, "the lost runs to end")

    second = RayTestCluster(Path(tempfile.mkdtemp(prefix="hsray-", dir="/tmp")))
    try:
        second.start_head()
        monkeypatch.setenv("RAY_ADDRESS", second.address)
        result = subprocess.run(
            [sys.executable, "-m", "hypersweep", "resume", sweep.id, "--quiet",
             "--workspace", str(workspace.path)],
            capture_output=True, text=True, timeout=180)
    finally:
        second.stop()

    assert result.returncode == 0, result.stdout + result.stderr
    records = children(workspace, sweep.id)
    assert sweep.get_status() == "Completed"
    assert len(records) == 6
    assert {record.status for record in records} == {RunStatus.COMPLETED}
    with workspace.open_store() as store:
        for record in records:
            values = store.get_metric_values(record.run_id, "score")
            assert len(values) == 4, (record.run_id, values)
            if record.run_id in before:
                assert values == before[record.run_id]
    resumed_log = (workspace.sweep_dir(sweep.id) / "controller.log").read_text()
    for run_id in interrupted:
        assert f"run {run_id} was interrupted when the previous controller stopped" \
            in resumed_log
