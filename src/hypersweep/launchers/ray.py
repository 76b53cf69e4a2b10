"""The Ray compute target: each child run executes on a node of a Ray cluster.

The launcher is a Ray driver in the controller's process. It keeps one *run slot* per running
run. A slot is an actor that reserves the run's resources (``num_cpus``, ``num_gpus``,
``memory``) on a node that Ray's scheduler picks, spreading runs over the nodes. The slot runs
the run's command there as a process tree of its own (see
:mod:`hypersweep.launchers._ray_actor`). A slot whose run has ended and whose outputs were
collected runs the next run, and a slot left idle for a few seconds is released.

What travels where:

- the sweep's snapshot is packed once into a tar.gz archive, put in Ray's object store, and
  unpacked once per node;
- while a run runs, the driver requests from its slot the bytes appended to the run's metrics
  file and log since the last call. The slot replies as soon as there are new lines, or after
  a second. The driver appends them to ``run_dir/metrics.jsonl`` and the log here, so that the
  controller reads them exactly as it reads a local run's;
- once the run has ended, its ``outputs/`` folder comes back with the last reply, and
  :meth:`RayRunHandle.finalize` unpacks it into the workspace.

The first lines the driver writes to a run's metrics file are the tags ``ray_node_id`` and
``ray_node_ip`` of the node that runs it, and the log starts with a line that names the node.

Failures: a run whose node dies (or whose actor dies) ends with exit code ``None`` and a
:attr:`RunExit.reason` that says so; the sweep goes on. When the cluster's head cannot be
reached for a few seconds, :meth:`RayRunHandle.poll` and :meth:`RayLauncher.start` raise
:class:`ComputeTargetLostError`.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import socket
import sys
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, NoReturn

import ray
import ray.exceptions
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from hypersweep.errors import HyperSweepError, InvalidConfigError
from hypersweep.launchers._archive import pack_folder, unpack_archive
from hypersweep.launchers._ray_actor import (
    RunRequest,
    RunSlot,
    remove_node_folder,
    run_exit_from_dict,
)
from hypersweep.launchers._resources import RunResources
from hypersweep.launchers.base import (
    START_FAILURE_EXIT_CODE,
    ComputeTargetLostError,
    LaunchSpec,
    RunExit,
    wait_for_exit,
)
from hypersweep.run.protocol import ENV_METRICS_FILE, encode_record

__all__ = ["RayLauncher", "RayRunHandle"]

logger = logging.getLogger(__name__)

# A slot's poll waits this long for new lines before it returns empty.
_POLL_WAIT_S = 1.0
# After a call to an actor that Ray reports as temporarily unavailable, wait before the next.
_UNAVAILABLE_RETRY_S = 0.5
# The head is probed at most this often, and is lost after this many failed probes in a row.
_PROBE_INTERVAL_S = 1.0
_PROBE_TIMEOUT_S = 2.0
_PROBE_FAILURES = 3
# An idle slot holds cluster resources; release it when no run has taken it for this long.
_IDLE_SLOT_S = 5.0
# How long shutdown() waits for the nodes' clean-up, and for Ray to disconnect.
_CLEANUP_TIMEOUT_S = 15.0
_SHUTDOWN_MARGIN_S = 5.0
_WAIT_INTERVAL_S = 0.02

_RemoteRunSlot = ray.remote(RunSlot)
_remote_remove_node_folder = ray.remote(num_cpus=0)(remove_node_folder)


@dataclass
class _Slot:
    actor: Any
    resources: RunResources
    idle_since: float = field(default_factory=time.monotonic)


class RayLauncher:
    """Runs child runs on a Ray cluster; see the module docstring.

    ``address`` is one of:

    - ``None``: what ``ray.init()`` picks, which is ``RAY_ADDRESS``, else the cluster last
      started with ``ray start`` on this machine, else a new local Ray instance;
    - ``"ray://HOST:PORT"``: a cluster reached through Ray Client;
    - ``"HOST:PORT"``: the GCS address of a cluster that this machine is a node of.

    ``grace_period`` is the seconds a cancelled run gets between SIGTERM and SIGKILL on its
    node. ``resources`` is what each run reserves.

    The constructor connects (unless this process is already connected to Ray) and raises
    :class:`HyperSweepError` when the cluster cannot be reached or when no node of it can hold
    one run. The capacity is the number of runs that fit in the nodes alive then.
    """

    def __init__(self, address: str | None = None, *, grace_period: float = 10.0,
                 resources: Mapping[str, float] | None = None) -> None:
        if isinstance(grace_period, bool) or not isinstance(grace_period, (int, float)) \
                or not math.isfinite(grace_period) or grace_period < 0:
            raise InvalidConfigError(
                f"grace_period={grace_period!r} is invalid; use a finite number of seconds >= 0"
            )

        self._address = address
        self._where = address or "the address ray.init() chose"
        self._grace_period = float(grace_period)
        self._resources = RunResources.from_mapping(resources)
        self._session = uuid.uuid4().hex[:12]
        self._lock = threading.RLock()
        self._snapshots: dict[Path, tuple[str, ray.ObjectRef]] = {}
        self._idle: list[_Slot] = []
        self._busy: list[_Slot] = []
        self._handles: list[RayRunHandle] = []
        self._lost: str | None = None
        self._probe_failures = 0
        self._next_probe = 0.0

        self._owns_connection = self._connect()
        self._probe_host, self._probe_port = self._head_address()
        self._capacity = self._cluster_capacity()
        logger.info("connected to the Ray cluster at %s (%s): up to %d runs of %s at once",
                    self._where, f"{self._probe_host}:{self._probe_port}", self._capacity,
                    self._resources.describe())

    def __repr__(self) -> str:
        return f"RayLauncher({self._address!r}, grace_period={self._grace_period})"

    def __enter__(self) -> RayLauncher:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.shutdown()

    @property
    def name(self) -> str:
        """``"ray"``."""
        return "ray"

    @property
    def capacity(self) -> int:
        """How many runs fit at once in the cluster's nodes that were alive at connection."""
        return self._capacity

    @property
    def grace_period(self) -> float:
        """Seconds between SIGTERM and SIGKILL when a run is cancelled."""
        return self._grace_period

    def start(self, spec: LaunchSpec) -> RayRunHandle:
        """Place the run on a slot of the cluster and start it there; return at once.

        The handle reports the run as started at once: the placement and the start on the node
        proceed in the background, and their failures are reported by
        :meth:`RayRunHandle.poll`.
        """
        self.check_connection()
        initial_outputs = None
        if spec.initial_outputs is not None and spec.initial_outputs.is_dir():
            initial_outputs = pack_folder(spec.initial_outputs)

        try:
            snapshot_key, snapshot = self._snapshot(spec.snapshot_dir)
            slot = self._take_slot(RunResources.from_mapping(spec.resources))
            request = RunRequest(
                run_id=spec.run_id, argv=list(spec.argv), env=dict(spec.env),
                run_dir=os.fspath(spec.run_dir), snapshot_key=snapshot_key,
                driver_python=spec.argv[0] == sys.executable, initial_outputs=initial_outputs,
            )
            start_call = slot.actor.start.remote(request, [snapshot], _POLL_WAIT_S)
        except ConnectionError as error:
            # Ray Client raises this when its connection to the cluster is gone.
            self.mark_lost(str(error))

        handle = RayRunHandle(self, spec, slot, start_call)
        with self._lock:
            self._handles = [h for h in self._handles if not h.ended]
            self._handles.append(handle)
        logger.debug("run %s submitted to the Ray cluster at %s", spec.run_id, self._where)
        return handle

    def check_connection(self) -> None:
        """Raise :class:`ComputeTargetLostError` once the cluster's head has been unreachable
        for a few probes in a row; probe it at most once a second.

        Each probe also releases the slots left idle for longer than a few seconds.
        """
        with self._lock:
            if self._lost is not None:
                raise ComputeTargetLostError(self._lost)

            now = time.monotonic()
            if now < self._next_probe:
                return
            self._next_probe = now + _PROBE_INTERVAL_S
            self._release_idle_slots()

        try:
            with socket.create_connection((self._probe_host, self._probe_port),
                                          timeout=_PROBE_TIMEOUT_S):
                pass
        except OSError as error:
            with self._lock:
                self._probe_failures += 1
                failures = self._probe_failures
            if failures < _PROBE_FAILURES:
                logger.warning("the Ray cluster's head at %s:%s is unreachable (%s); "
                               "probe %d of %d", self._probe_host, self._probe_port, error,
                               failures, _PROBE_FAILURES)
                return
            self.mark_lost(f"the head at {self._probe_host}:{self._probe_port} was unreachable "
                           f"{failures} times in a row ({error})")
        else:
            with self._lock:
                self._probe_failures = 0

    def mark_lost(self, detail: str) -> NoReturn:
        """Record that the connection to the cluster is lost, and raise
        :class:`ComputeTargetLostError`."""
        with self._lock:
            if self._lost is None:
                self._lost = f"lost the connection to the Ray cluster at {self._where}: {detail}"
                logger.error("%s", self._lost)
            message = self._lost
        raise ComputeTargetLostError(message)

    def shutdown(self) -> None:
        """Cancel every run still alive, wait for them (grace period plus a few seconds),
        release every slot and remove this launcher's folders on the nodes.

        Disconnects from Ray when the constructor connected. After a lost connection it only
        disconnects, since nothing on the cluster can be reached.
        """
        with self._lock:
            handles = [handle for handle in self._handles if not handle.ended]
            self._handles = []

        if self._lost is None:
            self._stop_runs(handles)
        if self._lost is None:
            self._release_all_slots()
            self._remove_node_folders()
        if self._owns_connection:
            _disconnect()

    # -- slots ---------------------------------------------------------------------------------

    def _take_slot(self, resources: RunResources) -> _Slot:
        with self._lock:
            self._release_idle_slots()
            for slot in self._idle:
                if slot.resources == resources:
                    self._idle.remove(slot)
                    self._busy.append(slot)
                    return slot

        options: dict[str, Any] = {"num_cpus": resources.cpu, "num_gpus": resources.gpu,
                                   "scheduling_strategy": "SPREAD", "max_restarts": 0,
                                   "max_concurrency": 4}
        if resources.memory_bytes is not None:
            options["memory"] = resources.memory_bytes
        actor = _RemoteRunSlot.options(**options).remote(self._session, self._grace_period)
        slot = _Slot(actor=actor, resources=resources)
        with self._lock:
            self._busy.append(slot)
        return slot

    def release_slot(self, slot: _Slot) -> None:
        """Make a slot whose run was collected available to the next run."""
        with self._lock:
            if slot in self._busy:
                self._busy.remove(slot)
            slot.idle_since = time.monotonic()
            self._idle.append(slot)

    def discard_slot(self, slot: _Slot) -> None:
        """Forget a slot whose actor died or cannot be trusted, and kill its actor."""
        with self._lock:
            if slot in self._busy:
                self._busy.remove(slot)
            if slot in self._idle:
                self._idle.remove(slot)
        _kill_actor(slot.actor)

    def _release_idle_slots(self) -> None:
        now = time.monotonic()
        expired = [slot for slot in self._idle if now - slot.idle_since >= _IDLE_SLOT_S]
        for slot in expired:
            self._idle.remove(slot)
            _kill_actor(slot.actor)

    def _release_all_slots(self) -> None:
        with self._lock:
            slots = self._idle + self._busy
            self._idle, self._busy = [], []
        for slot in slots:
            _kill_actor(slot.actor)

    # -- connection ----------------------------------------------------------------------------

    def _connect(self) -> bool:
        """Connect to the cluster; return whether this launcher made the connection."""
        if ray.is_initialized():
            logger.debug("this process is already connected to Ray; using that connection")
            return False

        try:
            ray.init(address=self._address, logging_level=logging.WARNING,
                     log_to_driver=False)
        except Exception as error:  # Ray raises ConnectionError, RuntimeError, ValueError...
            raise HyperSweepError(
                f"cannot connect to the Ray cluster at {self._where}: {error}; check that the "
                "cluster runs (ray status) and that the compute target names its address"
            ) from None
        return True

    def _head_address(self) -> tuple[str, int]:
        """Return the host and port to probe: the Ray Client server, else the cluster's GCS."""
        if self._address is not None and self._address.startswith("ray://"):
            address = self._address[len("ray://"):]
        else:
            address = ray.get_runtime_context().gcs_address
            self._where = self._address or address
        host, _, port = address.rpartition(":")
        return host.strip("[]"), int(port)

    def _cluster_capacity(self) -> int:
        sizes = [node.get("Resources", {}) for node in ray.nodes() if node.get("Alive")]
        fits = sum(self._resources.runs_per_node(cpus=size.get("CPU", 0.0),
                                                 gpus=size.get("GPU", 0.0),
                                                 memory_bytes=size.get("memory"))
                   for size in sizes)
        if fits == 0:
            largest: dict[str, float] = max(sizes, key=lambda size: size.get("CPU", 0.0),
                                            default={})
            raise HyperSweepError(
                f"no node of the Ray cluster at {self._where} can run one run with "
                f"{self._resources.describe()} ({len(sizes)} node(s) alive, the largest with "
                f"{_describe_node(largest)}); lower the run's resources or add larger nodes"
            )
        return fits

    def node_alive(self, node_id: str) -> bool | None:
        """Return whether the cluster reports the node as alive, or ``None`` when the cluster
        cannot be asked."""
        try:
            for node in ray.nodes():
                if node.get("NodeID") == node_id:
                    return bool(node.get("Alive"))
        except Exception as error:  # any failure leaves the node's state unknown
            logger.debug("cannot list the Ray nodes: %s", error)
            return None
        return False

    # -- snapshot and clean-up -----------------------------------------------------------------

    def _snapshot(self, folder: Path) -> tuple[str, ray.ObjectRef]:
        with self._lock:
            cached = self._snapshots.get(folder)
        if cached is not None:
            return cached

        data = pack_folder(folder)
        key = hashlib.sha256(data).hexdigest()[:16]
        entry = (key, ray.put(data))
        with self._lock:
            self._snapshots[folder] = entry
        logger.info("snapshot %s packed for the Ray cluster: %.1f MB", folder, len(data) / 1e6)
        return entry

    def _stop_runs(self, handles: list[RayRunHandle]) -> None:
        try:
            for handle in handles:
                handle.terminate()

            deadline = time.monotonic() + self._grace_period + _SHUTDOWN_MARGIN_S
            while handles and time.monotonic() < deadline:
                time.sleep(_WAIT_INTERVAL_S)
                handles = [handle for handle in handles if handle.poll() is None]
        except ComputeTargetLostError:
            return

        if handles:
            logger.warning("shutdown: runs %s did not end in time; their slots are killed",
                           ", ".join(handle.run_id for handle in handles))

    def _remove_node_folders(self) -> None:
        try:
            nodes = [node["NodeID"] for node in ray.nodes() if node.get("Alive")]
            calls = [
                _remote_remove_node_folder.options(
                    scheduling_strategy=NodeAffinitySchedulingStrategy(node, soft=False)
                ).remote(self._session, node)
                for node in nodes
            ]
            ray.get(calls, timeout=_CLEANUP_TIMEOUT_S)
        except Exception as error:  # clean-up is best effort; the folders are in a temp dir
            logger.warning("could not remove this sweep's folders on every Ray node: %s",
                           error)


class RayRunHandle:
    """A child run started by :class:`RayLauncher`; see :class:`~hypersweep.launchers.RunHandle`.

    :attr:`pid` is always ``None``: the run's processes belong to another machine. Every method
    may be called from any thread; only :meth:`wait` blocks.
    """

    def __init__(self, launcher: RayLauncher, spec: LaunchSpec, slot: _Slot,
                 start_call: ray.ObjectRef) -> None:
        self._launcher = launcher
        self._spec = spec
        self._slot = slot
        self._lock = threading.RLock()
        self._started_at = time.time()
        # The start call waits for the run's first news as a poll does, and each reply is
        # followed by the next poll: one call is under way at a time.
        self._poll_call: ray.ObjectRef | None = start_call
        self._starting = True
        self._retry_at = 0.0
        self._other_calls: list[ray.ObjectRef] = []
        self._node: dict[str, Any] | None = None
        self._metrics_offset = 0
        self._log_offset = 0
        self._cancel_requested = False
        self._kill_requested = False
        self._result: RunExit | None = None
        self._outputs: bytes | None = None
        self._slot_reusable = False
        self._finalized = False

        metrics = spec.env.get(ENV_METRICS_FILE)
        self._metrics_path = Path(metrics) if metrics else spec.run_dir / "metrics.jsonl"
        spec.run_dir.mkdir(parents=True, exist_ok=True)
        spec.log_path.parent.mkdir(parents=True, exist_ok=True)

    def __repr__(self) -> str:
        state = "ended" if self._result is not None else "running"
        return f"RayRunHandle(run_id={self.run_id!r}, {state})"

    @property
    def run_id(self) -> str:
        """The id of the run."""
        return self._spec.run_id

    @property
    def pid(self) -> int | None:
        """Always ``None``: the main process runs on a Ray node, maybe another machine."""
        return None

    @property
    def node(self) -> dict[str, Any] | None:
        """Where the run runs (``node_id``, ``node_ip``, ``hostname``, ``pid`` on that node),
        or ``None`` until the node has started it."""
        return self._node

    @property
    def ended(self) -> bool:
        """Whether :meth:`poll` has reported the run's end."""
        return self._result is not None

    def poll(self) -> RunExit | None:
        """Return the run's :class:`RunExit` once it has ended, else ``None``.

        Appends the run's new metric lines and log bytes to the local files. Does not wait for
        the run. The only wait is the probe of the cluster's head, once a second, which lasts
        up to 2 seconds when the head does not respond. Raises :class:`ComputeTargetLostError`
        when the cluster is lost.
        """
        with self._lock:
            if self._result is not None:
                return self._result

            self._launcher.check_connection()
            self._collect_other_calls()
            try:
                self._advance()
            except ConnectionError as error:
                # Ray Client raises this when its connection to the cluster is gone.
                self._launcher.mark_lost(str(error))
            return self._result

    def terminate(self) -> None:
        """Start a polite cancel on the node and return at once; idempotent."""
        with self._lock:
            if self._result is not None or self._cancel_requested:
                return
            self._cancel_requested = True
            self._call("terminate")

    def kill(self) -> None:
        """Ask the node to send SIGKILL to the whole run now and return at once."""
        with self._lock:
            if self._result is not None or self._kill_requested:
                return
            self._cancel_requested = True
            self._kill_requested = True
            self._call("kill")

    def wait(self, timeout: float | None = None) -> RunExit:
        """Poll until the run has ended; raise ``TimeoutError`` after ``timeout`` seconds."""
        return wait_for_exit(self, timeout, _WAIT_INTERVAL_S)

    def finalize(self) -> None:
        """Unpack the run's ``outputs/`` into ``run_dir/outputs`` and free its slot; idempotent.

        Files already in ``run_dir/outputs`` stay unless the run's outputs contain a file of the
        same name. A run whose node or actor died has no outputs to unpack, and its run keeps
        what ``run_dir/outputs`` had.
        """
        with self._lock:
            if self._result is None:
                raise RuntimeError(f"run {self.run_id} has not ended; call finalize() after "
                                   "poll() or wait() has returned its RunExit")
            if self._finalized:
                return
            self._finalized = True
            reusable = self._slot_reusable

        if not reusable:
            self._launcher.discard_slot(self._slot)
            return

        if self._outputs is not None:
            unpack_archive(self._outputs, self._spec.kept_outputs_dir)
            self._outputs = None
        self._launcher.release_slot(self._slot)

    # -- the steps of a run --------------------------------------------------------------------

    def _advance(self) -> None:
        if self._poll_call is None:
            if time.monotonic() >= self._retry_at:
                self._issue_poll()
            return

        ready, _ = ray.wait([self._poll_call], timeout=0)
        if not ready:
            return

        call, self._poll_call = self._poll_call, None
        try:
            reply = ray.get(call)
        except ray.exceptions.ActorUnavailableError:
            # The node may be gone or only slow to reply. Ray reports a death later as
            # ActorDiedError, so a poll is sent again. If this was the start call and it never
            # ran, that poll fails with the run unknown, and the run fails to start.
            self._retry_at = time.monotonic() + _UNAVAILABLE_RETRY_S
            return
        except ray.exceptions.RayActorError as error:
            if error.actor_init_failed:
                self._fail_to_start(f"its Ray actor could not be created: {_first_line(error)}")
            else:
                self._fail_on_actor_error(error)
            return
        except ray.exceptions.RayTaskError as error:
            cause = _first_line(error.cause or error)
            if self._starting:
                self._fail_to_start(cause)
            else:
                self._fail(f"the Ray actor running this run failed: {cause}")
            return

        if "node" in reply:
            self._record_node(reply["node"])
        self._apply(reply)

    def _record_node(self, node: dict[str, Any]) -> None:
        self._node = node
        self._starting = False
        self._append(self._metrics_path,
                     encode_record("tag", "ray_node_id", node["node_id"]).encode()
                     + encode_record("tag", "ray_node_ip", node["node_ip"]).encode())
        self._append(self._spec.log_path,
                     f"hypersweep: run {self.run_id} runs on Ray node {node['node_id']} "
                     f"({node['node_ip']}, host {node['hostname']}, pid {node['pid']})\n"
                     .encode())
        logger.debug("run %s started on Ray node %s", self.run_id, node["node_id"])

    def _apply(self, reply: dict[str, Any]) -> None:
        if reply["metrics"]:
            self._append(self._metrics_path, reply["metrics"])
            self._metrics_offset += len(reply["metrics"])
        if reply["log"]:
            self._append(self._spec.log_path, reply["log"])
            self._log_offset += len(reply["log"])

        if reply["exit"] is None:
            self._issue_poll()
            return

        node_exit = run_exit_from_dict(reply["exit"])
        # The driver's clock, so that the durations of runs on different machines compare.
        self._result = RunExit(
            exit_code=node_exit.exit_code, signal=node_exit.signal,
            canceled=node_exit.canceled,
            forced=node_exit.forced, leftover_processes_killed=node_exit.leftover_processes_killed,
            started_at=self._started_at, ended_at=time.time(), started=node_exit.started,
        )
        self._outputs = reply["outputs"]
        self._slot_reusable = True

    def _issue_poll(self) -> None:
        self._poll_call = self._slot.actor.poll.remote(
            self.run_id, self._metrics_offset, self._log_offset, _POLL_WAIT_S)

    def _call(self, method: str) -> None:
        self._other_calls.append(getattr(self._slot.actor, method).remote(self.run_id))

    def _collect_other_calls(self) -> None:
        """Fetch the results of finished cancel calls, so that Ray does not report their
        errors as unhandled. A failed cancel shows up in the next poll anyway."""
        if not self._other_calls:
            return
        ready, self._other_calls = ray.wait(self._other_calls, num_returns=len(self._other_calls),
                                            timeout=0)
        for call in ready:
            try:
                ray.get(call)
            except ray.exceptions.RayError as error:
                logger.debug("run %s: a cancel call failed: %s", self.run_id, _first_line(error))

    def _fail_on_actor_error(self, error: ray.exceptions.RayActorError) -> None:
        node = self._node or {}
        where = f"node {node.get('node_id', 'unknown')} ({node.get('node_ip', 'unknown')})"
        node_alive = self._launcher.node_alive(node["node_id"]) if node else None
        if node_alive is False or "node has died" in str(error):
            self._fail(f"the Ray node running this run died: {where}")
        else:
            self._fail(f"the Ray actor running this run died on {where}: "
                       f"{_death_cause(error)}")

    def _fail(self, reason: str) -> None:
        self._append(self._spec.log_path, f"hypersweep: {reason}\n".encode())
        logger.warning("run %s: %s", self.run_id, reason)
        self._result = RunExit(exit_code=None, signal=None, canceled=self._cancel_requested,
                               forced=False, leftover_processes_killed=0,
                               started_at=self._started_at, ended_at=time.time(), reason=reason)

    def _fail_to_start(self, detail: str) -> None:
        message = f"cannot start run {self.run_id} on the Ray cluster: {detail}"
        self._append(self._spec.log_path, f"hypersweep: {message}\n".encode())
        logger.warning("%s", message)
        self._result = RunExit(exit_code=START_FAILURE_EXIT_CODE, signal=None, canceled=False,
                               forced=False, leftover_processes_killed=0,
                               started_at=self._started_at, ended_at=time.time(), started=False)

    @staticmethod
    def _append(path: Path, data: bytes) -> None:
        with open(path, "ab") as stream:
            stream.write(data)


def _describe_node(resources: dict[str, float]) -> str:
    memory = resources.get("memory", 0.0) / 2**30
    return (f"{resources.get('CPU', 0.0):g} CPUs, {resources.get('GPU', 0.0):g} GPUs, "
            f"{memory:.1f} GiB memory")


def _kill_actor(actor: Any) -> None:
    try:
        ray.kill(actor, no_restart=True)
    except Exception as error:  # the actor or the connection is already gone
        logger.debug("could not kill a Ray actor: %s", error)


def _disconnect() -> None:
    # ray.shutdown() waits for an unreachable head for several seconds; a daemon thread keeps
    # a lost cluster from holding up the controller longer than that.
    worker = threading.Thread(target=ray.shutdown, name="ray-shutdown", daemon=True)
    worker.start()
    worker.join(timeout=_CLEANUP_TIMEOUT_S)


def _first_line(error: BaseException) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__


def _death_cause(error: BaseException) -> str:
    """Return the line of an actor error that gives the cause of death, else its first
    line."""
    for line in str(error).splitlines():
        if "died because" in line or "was killed" in line:
            return line.strip()
    return _first_line(error)
