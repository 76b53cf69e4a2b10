"""Replay cached learning curves under early termination schedulers and measure what they save.

The replay is a discrete-event simulation of a sweep with a fixed number of workers (2 by
default). The configurations arrive in one random order, and a free worker takes the next one.
Epoch ``n`` of a run ends at the run's start time plus the recorded seconds of its first ``n``
epochs. When a run reports an epoch, the scheduler under test decides whether it continues, from
what all runs have reported up to that moment. A stopped run frees its worker at once.

Each replay measures the epochs and compute-seconds used, the sweep's wall-clock time, and the
best accuracy that any run logged. hypersweep reports a run's best logged value as its primary
metric value, so this is the value the sweep would report. The loss is
``100 * (best without termination - best with termination)``, in accuracy points.

The schedulers, their settings and their adapters are in schedulers.py, and the statistics over
arrival orders in summary.py. One command replays them all side by side:

    python benchmarks/early_termination/replay.py --orders 30

Importing this module imports hypersweep but neither Optuna nor Ray: those are imported only when
one of their schedulers is built.
"""

from __future__ import annotations

import argparse
import gzip
import heapq
import itertools
import json
import math
import re
import sys
import time
from collections import deque
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from schedulers import BASELINE, SCHEDULERS, SCHEDULERS_BY_NAME, Scheduler

HERE = Path(__file__).resolve().parent
DEFAULT_CURVES = HERE / "curves.json.gz"
DEFAULT_RESULTS = HERE / "results.json"


@dataclass(frozen=True)
class Curve:
    """The recorded learning curve of one configuration.

    ``accuracy[n - 1]`` is the validation accuracy after epoch ``n`` and ``elapsed[n - 1]`` the
    cumulative wall-clock seconds of the first ``n`` epochs. ``failed`` marks a run whose training
    raised before its last epoch, so its curve is shorter than the others.
    """

    run_id: str
    accuracy: tuple[float, ...]
    elapsed: tuple[float, ...]
    failed: bool = False

    def __post_init__(self) -> None:
        if not self.accuracy:
            raise ValueError(f"curve {self.run_id!r} is empty; a curve needs at least one epoch")

        if len(self.accuracy) != len(self.elapsed):
            raise ValueError(
                f"curve {self.run_id!r} has {len(self.accuracy)} accuracy values and "
                f"{len(self.elapsed)} elapsed times; give one of each per epoch"
            )

        if any(later < earlier for earlier, later in itertools.pairwise(self.elapsed)):
            raise ValueError(f"curve {self.run_id!r}: elapsed times must not decrease")

    @classmethod
    def from_epoch_seconds(
        cls,
        run_id: str,
        accuracy: Sequence[float],
        seconds: Sequence[float],
        *,
        failed: bool = False,
    ) -> Curve:
        """Build a curve from the seconds of each epoch, as generate_curves.py records them."""
        return cls(run_id, tuple(accuracy), tuple(itertools.accumulate(seconds)), failed)

    def __len__(self) -> int:
        return len(self.accuracy)


@dataclass(frozen=True)
class ReplayOutcome:
    """The cost and result of one replayed sweep.

    ``seconds`` is the compute time of all runs added up and ``makespan`` the sweep's wall-clock
    time on its workers. ``run_epochs`` maps each run id to the epochs it ran.
    """

    epochs: int
    seconds: float
    makespan: float
    best: float | None
    stopped_runs: int
    run_epochs: dict[str, int]


def replay(
    curves: Sequence[Curve],
    order: Iterable[int],
    scheduler: Scheduler,
    *,
    workers: int = 2,
) -> ReplayOutcome:
    """Replay the curves at positions ``order`` of ``curves`` on ``workers`` workers.

    Events that end at the same simulated time are handled in the order they were scheduled, so a
    replay is deterministic. A run's epoch counts as used once it ends, even when the scheduler
    stops the run at that epoch, and the value of that epoch counts towards the best.
    """
    if workers < 1:
        raise ValueError(f"workers={workers!r} is invalid; use an int >= 1")

    pending = deque(order)
    # (end time, sequence number, curve position, epoch, run start time)
    events: list[tuple[float, int, int, int, float]] = []
    sequence = itertools.count()

    def start_next(now: float) -> None:
        if not pending:
            return
        position = pending.popleft()
        curve = curves[position]
        scheduler.start(curve.run_id)
        heapq.heappush(events, (now + curve.elapsed[0], next(sequence), position, 1, now))

    for _ in range(workers):
        start_next(0.0)

    epochs = 0
    seconds = 0.0
    makespan = 0.0
    best: float | None = None
    stopped_runs = 0
    run_epochs: dict[str, int] = {}

    while events:
        now, _, position, epoch, started = heapq.heappop(events)
        curve = curves[position]
        value = curve.accuracy[epoch - 1]
        if math.isfinite(value) and (best is None or value > best):
            best = value

        stop = scheduler.report(curve.run_id, epoch, value, curve.elapsed[epoch - 1])
        last = epoch == len(curve)
        if not stop and not last:
            ends = started + curve.elapsed[epoch]
            heapq.heappush(events, (ends, next(sequence), position, epoch + 1, started))
            continue

        # A stop at the last epoch saves nothing, so the run counts as having run to its end.
        stopped = stop and not last
        scheduler.end(curve.run_id, stopped=stopped, failed=last and curve.failed)
        run_epochs[curve.run_id] = epoch
        epochs += epoch
        seconds += curve.elapsed[epoch - 1]
        makespan = max(makespan, now)
        stopped_runs += stopped
        start_next(now)

    return ReplayOutcome(epochs, seconds, makespan, best, stopped_runs, run_epochs)


def load_curves(path: Path) -> dict[str, list[Curve]]:
    """Read the curves written by generate_curves.py, per task, in sampling order."""
    with gzip.open(path, "rt", encoding="utf-8") as stream:
        data = json.load(stream)

    tasks: dict[str, list[Curve]] = {}
    for task, content in data["tasks"].items():
        tasks[task] = [
            Curve.from_epoch_seconds(
                f"{task}-{run['index']:04d}",
                run["accuracy"],
                run["seconds"],
                failed=run["error"] is not None,
            )
            for run in content["runs"]
            if run["accuracy"]
        ]
    return tasks


def make_orders(count: int, runs: int, seed: int, size: int | None = None) -> list[list[int]]:
    """Return ``count`` random arrival orders of the configurations ``range(runs)``.

    An order is a permutation of all of them, or with ``size`` the first ``size`` entries of
    one: a smaller sweep over a random subset. The same seed gives the same orders.
    """
    import numpy as np

    if size is not None and not 1 <= size <= runs:
        raise ValueError(f"size={size!r} is invalid; use an int from 1 to {runs}")

    generator = np.random.default_rng(seed)
    return [generator.permutation(runs)[:size].tolist() for _ in range(count)]


# Set in each worker process by load_worker_curves, so a job ships only names and an order.
WORKER_CURVES: dict[str, list[Curve]] = {}


def load_worker_curves(path: Path) -> None:
    """Read the curves file into WORKER_CURVES; the initializer of each replay process."""
    WORKER_CURVES.update(load_curves(path))


def _replay_job(
    experiment: str, task: str, name: str, order_index: int, order: list[int], workers: int
) -> dict[str, Any]:
    curves = WORKER_CURVES[task]
    scheduler = SCHEDULERS_BY_NAME[name].build(max(len(curve) for curve in curves))
    started = time.perf_counter()
    outcome = replay(curves, order, scheduler, workers=workers)
    replay_seconds = time.perf_counter() - started

    row = asdict(outcome)
    # The per-run epochs would make the results file large; the totals are enough there.
    del row["run_epochs"]
    return {
        "experiment": experiment,
        "task": task,
        "scheduler": name,
        "order": order_index,
        "runs": len(order),
        "replay_seconds": replay_seconds,
        **row,
    }


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {key: _rounded(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_rounded(item) for item in value]
    return value


def to_json(results: dict[str, Any]) -> str:
    """Return the results as indented JSON.

    Floats are rounded to 4 decimals and each list of numbers stays on one line, so the file is
    small and its diffs read well.
    """
    text = json.dumps(_rounded(results), indent=1)
    return re.sub(
        r"\[\s+([-\d.eE+,\s]*?)\s+\]",
        lambda match: "[" + " ".join(match.group(1).split()) + "]",
        text,
    )


@dataclass(frozen=True)
class Experiment:
    """A set of replays: ``orders`` arrival orders of ``size`` runs each (None: every run)."""

    name: str
    orders: int
    size: int | None


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--orders",
        type=int,
        default=30,
        help="random arrival orders of all configurations, per task (default 30)",
    )
    parser.add_argument(
        "--subset-size",
        type=int,
        default=50,
        help="runs per sweep in the second experiment, which replays random subsets of the "
        "configurations; 0 skips it (default 50)",
    )
    parser.add_argument(
        "--subset-orders",
        type=int,
        default=100,
        help="random subsets, each in random order, per task (default 100)",
    )
    parser.add_argument(
        "--seed", type=int, default=12345, help="seed of the arrival orders (default 12345)"
    )
    parser.add_argument(
        "--workers", type=int, default=2, help="simulated concurrent runs (default 2)"
    )
    parser.add_argument(
        "--processes", type=int, default=2, help="processes that run replays (default 2)"
    )
    parser.add_argument(
        "--schedulers",
        nargs="+",
        choices=[spec.name for spec in SCHEDULERS],
        default=None,
        metavar="NAME",
        help="schedulers to replay (default all; the no-termination baseline always runs)",
    )
    parser.add_argument(
        "--tasks", nargs="+", default=None, help="tasks to replay (default all in the curves file)"
    )
    parser.add_argument(
        "--curves",
        type=Path,
        default=DEFAULT_CURVES,
        help=f"curves file (default {DEFAULT_CURVES})",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_RESULTS,
        help=f"results JSON file (default {DEFAULT_RESULTS})",
    )
    arguments = parser.parse_args(argv)

    for name in ("orders", "subset_orders", "workers", "processes"):
        if getattr(arguments, name) < 1:
            option = "--" + name.replace("_", "-")
            parser.error(f"{option}={getattr(arguments, name)} is invalid; use an int >= 1")

    if arguments.subset_size < 0:
        parser.error(
            f"--subset-size={arguments.subset_size} is invalid; use an int >= 1, or 0 to skip"
        )

    if not arguments.curves.exists():
        parser.error(
            f"curves file {arguments.curves} not found; create it with "
            "python benchmarks/early_termination/generate_curves.py"
        )
    return arguments


def run_replays(
    arguments: argparse.Namespace,
    all_curves: dict[str, list[Curve]],
    tasks: Sequence[str],
    experiments: Sequence[Experiment],
    names: Sequence[str],
) -> list[dict[str, Any]]:
    """Replay every scheduler on every order of every experiment, in a process pool."""
    jobs = []
    for experiment in experiments:
        for task in tasks:
            orders = make_orders(
                experiment.orders, len(all_curves[task]), arguments.seed, experiment.size
            )
            jobs.extend(
                (experiment.name, task, name, index, order, arguments.workers)
                for name in names
                for index, order in enumerate(orders)
            )

    started = time.perf_counter()
    rows: list[dict[str, Any]] = []
    with ProcessPoolExecutor(
        max_workers=arguments.processes,
        initializer=load_worker_curves,
        initargs=(arguments.curves,),
    ) as pool:
        futures = [pool.submit(_replay_job, *job) for job in jobs]
        for done, future in enumerate(futures, start=1):
            rows.append(future.result())
            if done % 100 == 0 or done == len(futures):
                print(f"  {done}/{len(futures)} replays, {time.perf_counter() - started:.0f} s")
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    all_curves = load_curves(arguments.curves)
    tasks = arguments.tasks or list(all_curves)
    for task in tasks:
        if task not in all_curves:
            raise SystemExit(
                f"task {task!r} not found in {arguments.curves}; use one of {', '.join(all_curves)}"
            )

    experiments = [Experiment("all", arguments.orders, None)]
    if arguments.subset_size:
        smallest = min(len(all_curves[task]) for task in tasks)
        if arguments.subset_size > smallest:
            raise SystemExit(
                f"--subset-size={arguments.subset_size} is invalid; a task has only {smallest} "
                "configurations"
            )
        experiments.append(
            Experiment(
                f"subsets of {arguments.subset_size}",
                arguments.subset_orders,
                arguments.subset_size,
            )
        )
    requested = arguments.schedulers or [spec.name for spec in SCHEDULERS]
    names = list(dict.fromkeys([BASELINE, *requested]))

    print(
        f"Replaying {len(names)} schedulers on {len(tasks)} tasks with {arguments.workers} "
        f"simulated workers, in {arguments.processes} processes; experiments: "
        + "; ".join(f"{e.name} ({e.orders} orders)" for e in experiments)
    )
    started = time.perf_counter()
    rows = run_replays(arguments, all_curves, tasks, experiments, names)
    elapsed = time.perf_counter() - started

    # Imported here so that importing the simulator stays light.
    from summary import check_targets, describe_machine, format_table, format_targets, summarise

    results: dict[str, Any] = {
        "command": "python benchmarks/early_termination/replay.py "
        + " ".join(sys.argv[1:] if argv is None else argv),
        "seed": arguments.seed,
        "simulated_workers": arguments.workers,
        "replay_wall_seconds": round(elapsed, 1),
        "machine": describe_machine(),
        "settings": {name: SCHEDULERS_BY_NAME[name].settings for name in names},
        "experiments": {},
    }
    for experiment in experiments:
        results["experiments"][experiment.name] = {"orders": experiment.orders, "tasks": {}}
        for task in tasks:
            curves = all_curves[task]
            mine = [
                row for row in rows if row["experiment"] == experiment.name and row["task"] == task
            ]
            summary = summarise(len(curves), max(len(curve) for curve in curves), mine)
            summary["targets"] = check_targets(summary)
            results["experiments"][experiment.name]["tasks"][task] = summary
            print()
            print(format_table(f"{task}, {experiment.name}", summary))
            print(format_targets(summary["targets"]))

    print()
    print("Settings:")
    for name in names:
        print(f"  {name}: {SCHEDULERS_BY_NAME[name].settings}")
    arguments.output.write_text(to_json(results) + "\n")
    print(f"Wrote {arguments.output}; {len(rows)} replays in {elapsed:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
