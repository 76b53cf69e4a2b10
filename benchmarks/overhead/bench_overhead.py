"""Measure what a tuner adds to the wall time of many very short runs.

Each contender runs the same script, which does nothing, as a new Python process, ``--runs``
times (500 by default), ``--concurrency`` at a time (2 by default):

- ``floor``: ``subprocess.run`` in a thread pool, nothing else;
- ``local``: a hypersweep sweep on the local target (random sampling of one parameter, no
  policy), recorded and run by a controller in the measuring process;
- ``ray``: the same sweep on the Ray target, on a one-node Ray cluster of this machine;
- ``optuna``: an Optuna study with SQLite storage, ``n_jobs`` threads, whose objective starts
  the script;
- ``raytune``: a Ray Tune experiment on the same Ray cluster, whose function trainable starts
  the script (with ``reuse_actors=True``, Tune's faster setting for many short trials).

Each contender runs in a fresh Python process. Its clock starts after the imports and stops when
the last run has ended. Connecting to Ray and creating the study or the sweep count, but
importing the libraries does not. The contenders run one after another, ``--repeat`` times (3
by default), and each one's time is the median of its repetitions, because other jobs on the
machine slow single measurements by up to a half. The Ray cluster (``ray start --head`` with as
many CPUs as the concurrency, 127.0.0.1 only) is started before the first Ray contender and
stopped after the last.

    python benchmarks/overhead/bench_overhead.py            # all contenders, 500 runs
    python benchmarks/overhead/bench_overhead.py --runs 50 --contenders floor,local

The results go to ``results.json`` next to this file (``--output`` to change), with the machine,
the versions, each wall time and its ratio to the floor.
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CONTENDERS = ("floor", "local", "ray", "optuna", "raytune")

# Ray on Linux replaces 127.0.0.1 with the machine's routable address and then listens on every
# interface. This setting keeps it on 127.0.0.1 (Ray 2.60 reads it in ray/_private/services.py).
RAY_ENV = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_USAGE_STATS_ENABLED": "0"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=500, help="runs per contender")
    parser.add_argument("--concurrency", type=int, default=2, help="runs at once")
    parser.add_argument("--repeat", type=int, default=3,
                        help="measurements per contender; the median is reported")
    parser.add_argument("--contenders", default=",".join(CONTENDERS),
                        help=f"comma-separated subset of {', '.join(CONTENDERS)}")
    parser.add_argument("--output", type=Path, default=HERE / "results.json",
                        help="where to write the results (JSON)")
    parser.add_argument("--one", choices=CONTENDERS, help=argparse.SUPPRESS)
    parser.add_argument("--work-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--ray-address", help=argparse.SUPPRESS)
    options = parser.parse_args()

    if options.one is not None:
        seconds = measure(options.one, options.runs, options.concurrency, options.work_dir,
                          options.ray_address)
        print(json.dumps({"contender": options.one, "seconds": seconds}))
        return 0

    names = [name.strip() for name in options.contenders.split(",") if name.strip()]
    unknown = sorted(set(names) - set(CONTENDERS))
    if unknown:
        parser.error(f"unknown contenders {unknown}; choose from {', '.join(CONTENDERS)}")

    results = run_all(names, options.runs, options.concurrency, options.repeat)
    report = {"command": " ".join(["python", "benchmarks/overhead/bench_overhead.py",
                                   *sys.argv[1:]]),
              "runs": options.runs, "concurrency": options.concurrency,
              "repeat": options.repeat,
              "machine": machine(), "versions": versions(), "results": results}
    options.output.write_text(json.dumps(report, indent=2) + "\n")
    print_table(results)
    print(f"results written to {options.output}")
    return 0


def run_all(names: list[str], runs: int, concurrency: int,
            repeat: int) -> dict[str, dict[str, Any]]:
    """Run each contender in its own process, ``repeat`` times in turn; return the median wall
    times, their ratios to the floor's, and every measurement."""
    work = Path(tempfile.mkdtemp(prefix="hsbench-", dir="/tmp"))
    (work / "src").mkdir()
    (work / "src" / "noop.py").write_text("")
    cluster: RayHead | None = None
    measured: dict[str, list[float]] = {name: [] for name in names}

    try:
        for repetition, name in itertools.product(range(repeat), names):
            address = None
            if name in ("ray", "raytune"):
                if cluster is None:
                    cluster = RayHead(work / "ray", cpus=concurrency)
                address = cluster.address
            argv = [sys.executable, __file__, "--one", name, "--runs", str(runs),
                    "--concurrency", str(concurrency),
                    "--work-dir", str(work / f"{name}-{repetition}")]
            if address is not None:
                argv += ["--ray-address", address]
            print(f"{name}: {runs} runs, {concurrency} at a time ...", flush=True)
            result = subprocess.run(argv, capture_output=True, text=True,
                                    env={**os.environ, **RAY_ENV}, check=False)
            if result.returncode != 0:
                raise RuntimeError(f"contender {name} failed:\n{result.stdout}{result.stderr}")
            seconds = json.loads(result.stdout.strip().splitlines()[-1])["seconds"]
            measured[name].append(seconds)
            print(f"{name}: {seconds:.2f} s", flush=True)
    finally:
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(work, ignore_errors=True)

    medians = {name: statistics.median(values) for name, values in measured.items()}
    floor = medians.get("floor")
    return {name: {"seconds": round(value, 3),
                   "ratio_to_floor": round(value / floor, 3) if floor else None,
                   "ms_per_run": round(1000 * value / runs, 2),
                   "measurements": [round(seconds, 3) for seconds in measured[name]]}
            for name, value in medians.items()}


# -- the contenders --------------------------------------------------------------------------


def measure(name: str, runs: int, concurrency: int, work: Path, address: str | None) -> float:
    """Run one contender in this process and return its wall time in seconds."""
    work.mkdir(parents=True, exist_ok=True)
    script = work.parent / "src" / "noop.py"
    contender: Callable[[], None]
    if name == "floor":
        contender = floor_contender(script, runs, concurrency)
    elif name in ("local", "ray"):
        contender = hypersweep_contender(script, runs, concurrency, work,
                                         address if name == "ray" and address else "local")
    elif name == "optuna":
        contender = optuna_contender(script, runs, concurrency, work)
    else:
        assert address is not None
        contender = raytune_contender(script, runs, concurrency, work, address)

    started = time.perf_counter()
    contender()
    return time.perf_counter() - started


def floor_contender(script: Path, runs: int, concurrency: int) -> Callable[[], None]:
    def start(_: int) -> None:
        subprocess.run([sys.executable, str(script)], check=True)

    def contender() -> None:
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            list(pool.map(start, range(runs)))

    return contender


def hypersweep_contender(script: Path, runs: int, concurrency: int, work: Path,
                         target: str) -> Callable[[], None]:
    from hypersweep import (
        HyperDriveConfig,
        PrimaryMetricGoal,
        RandomParameterSampling,
        ScriptRunConfig,
        Workspace,
        uniform,
    )
    from hypersweep.controller import SweepController, record_sweep
    from hypersweep.enums import RunStatus

    def contender() -> None:
        config = HyperDriveConfig(
            run_config=ScriptRunConfig(source_directory=script.parent, script=script.name,
                                       compute_target=target),
            hyperparameter_sampling=RandomParameterSampling({"x": uniform(0, 1)}, seed=0),
            primary_metric_name="score", primary_metric_goal=PrimaryMetricGoal.MAXIMIZE,
            max_total_runs=runs, max_concurrent_runs=concurrency,
        )
        workspace = Workspace(work / "workspace")
        run_id = record_sweep(workspace, "overhead", config)
        status = SweepController(workspace, run_id).run()
        with workspace.open_store() as store:
            counts = store.count_child_runs(run_id)
        if status is not RunStatus.COMPLETED or counts.get(RunStatus.COMPLETED) != runs:
            raise RuntimeError(f"the sweep ended {status.value} with {counts}")

    return contender


def optuna_contender(script: Path, runs: int, concurrency: int,
                     work: Path) -> Callable[[], None]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)

    def objective(trial: Any) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        subprocess.run([sys.executable, str(script), "--x", repr(x)], check=True)
        return 0.0

    def contender() -> None:
        study = optuna.create_study(storage=f"sqlite:///{work / 'optuna.db'}",
                                    study_name="overhead", direction="maximize")
        study.optimize(objective, n_trials=runs, n_jobs=concurrency)
        finished = [trial for trial in study.trials
                    if trial.state == optuna.trial.TrialState.COMPLETE]
        if len(finished) != runs:
            raise RuntimeError(f"{len(finished)} of {runs} Optuna trials completed")

    return contender


def raytune_contender(script: Path, runs: int, concurrency: int, work: Path,
                      address: str) -> Callable[[], None]:
    import ray
    from ray import tune

    def trainable(config: dict[str, Any]) -> None:
        subprocess.run([sys.executable, str(script), "--x", repr(config["x"])], check=True)
        tune.report({"score": 0.0})

    def contender() -> None:
        ray.init(address=address, logging_level=logging.WARNING, log_to_driver=False)
        tuner = tune.Tuner(
            trainable,
            param_space={"x": tune.uniform(0.0, 1.0)},
            # Actor reuse is off by default; on, Tune starts fewer worker processes, as
            # hypersweep's reused run slots do.
            tune_config=tune.TuneConfig(num_samples=runs, max_concurrent_trials=concurrency,
                                        metric="score", mode="max", reuse_actors=True),
            run_config=tune.RunConfig(name="overhead", storage_path=str(work / "tune"),
                                      verbose=0),
        )
        results = tuner.fit()
        if results.num_errors or len(results) != runs:
            raise RuntimeError(f"{len(results)} Ray Tune trials, {results.num_errors} errors")
        ray.shutdown()

    return contender


# -- the Ray cluster -------------------------------------------------------------------------


class RayHead:
    """A one-node Ray cluster of this machine, in a session and a folder of its own."""

    def __init__(self, root: Path, cpus: int) -> None:
        ports = free_ports(10)
        self.address = f"127.0.0.1:{ports[0]}"
        argv = [
            sys.executable, "-m", "ray.scripts.scripts", "start", "--head",
            f"--port={ports[0]}", "--node-ip-address=127.0.0.1", f"--num-cpus={cpus}",
            "--include-dashboard=false", "--disable-usage-stats", f"--temp-dir={root}",
            "--object-store-memory=200000000", f"--dashboard-agent-listen-port={ports[1]}",
            f"--dashboard-agent-grpc-port={ports[2]}", f"--runtime-env-agent-port={ports[3]}",
            f"--metrics-export-port={ports[4]}", f"--node-manager-port={ports[5]}",
            f"--object-manager-port={ports[6]}", f"--ray-client-server-port={ports[7]}",
        ]
        # TMPDIR keeps the run slots' files below root, which the benchmark removes.
        (root / "tmp").mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **RAY_ENV, "AUTOSCALER_METRIC_PORT": str(ports[8]),
               "DASHBOARD_METRIC_PORT": str(ports[9]), "TMPDIR": str(root / "tmp")}
        started = subprocess.run(argv, env=env, capture_output=True, text=True,
                                 start_new_session=True, check=False)
        # `ray start` runs in a new session, and every process of the node stays in it.
        self.session = self._find_session(root)
        if started.returncode != 0:
            self.stop()
            raise RuntimeError(f"ray start failed:\n{started.stdout}{started.stderr}")

    @staticmethod
    def _find_session(root: Path) -> int | None:
        import psutil

        for process in psutil.process_iter():
            try:
                if any(str(root) in part for part in process.cmdline()):
                    return os.getsid(process.pid)
            except (psutil.Error, OSError):
                continue
        return None

    def stop(self) -> None:
        if self.session is None:
            return
        try:
            os.killpg(self.session, signal.SIGTERM)
            time.sleep(3)
            os.killpg(self.session, signal.SIGKILL)
        except ProcessLookupError:
            pass


def free_ports(count: int) -> list[int]:
    sockets = []
    for _ in range(count):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sockets.append(sock)
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


# -- the report ------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return {"nproc": os.cpu_count(), "cpu_model": model or platform.processor(),
            "memory_gib": round(memory / 2**30, 1), "os": platform.platform()}


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for package in ("hypersweep", "ray", "optuna"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


def print_table(results: dict[str, dict[str, Any]]) -> None:
    print(f"{'contender':<10} {'seconds':>9} {'ms/run':>8} {'x floor':>8}")
    for name, row in results.items():
        ratio = row["ratio_to_floor"]
        print(f"{name:<10} {row['seconds'] or 0.0:>9.2f} {row['ms_per_run'] or 0.0:>8.1f} "
              f"{ratio if ratio is not None else float('nan'):>8.2f}")


if __name__ == "__main__":
    sys.exit(main())
