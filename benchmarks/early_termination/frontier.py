"""Compare the losses of early termination rules at equal savings, along each rule's settings.

replay.py compares schedulers at matched settings, where the rules of different libraries save
different amounts. This script varies the one setting of each rule that sets how aggressive it
is, replays every setting on the same sweeps, and so traces each rule's loss as a function of
its saving. Each Optuna and Ray Tune setting is then compared with the hypersweep rule of its
family at the same saving: with the least loss among the hypersweep settings that save at least
as much (1 point less still counts). A user would pick that setting, and a setting that saves
less and loses more is never the better choice. A peer setting that saves more than every
hypersweep setting is not compared.

The loss of a setting is the mean loss over the sweeps, in accuracy points: in most sweeps no
rule loses anything, so the median loss is 0.00 for every setting and cannot tell them apart.
A peer setting beats hypersweep when its mean loss is smaller than that least hypersweep mean
loss. Such differences are often one or two lost sweeps out of a hundred, so the script also
reports in how many sweeps each setting loses.

    python benchmarks/early_termination/frontier.py

It replays sweeps of 50 configurations drawn from the cached curves (100 per task, the same
subsets as replay.py's second experiment) on 2 simulated workers, and writes frontier.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from replay import DEFAULT_CURVES, Curve, load_curves, make_orders, replay
from schedulers import SchedulerSpec
from summary import describe_machine

HERE = Path(__file__).resolve().parent
DEFAULT_OUTPUT = HERE / "frontier.json"

EPOCHS = 30  # every cached curve has 30 epochs

# A setting that saves up to this many percentage points less than another counts as saving as
# much, as in replay.py.
EQUAL_SAVINGS_POINTS = 1.0


@dataclass(frozen=True)
class Setting:
    """One setting of one rule: the scheduler, and the value of the varied setting."""

    rule: str
    family: str
    library: str
    knob: str
    value: float
    spec: SchedulerSpec


def _median_rules(delays: Sequence[int]) -> list[Setting]:
    settings = []
    for delay in delays:
        specs = (
            ("hs.MedianStopping", "hypersweep", "MedianStoppingPolicy",
             {"evaluation_interval": 1, "delay_evaluation": delay}),
            ("optuna.Median", "optuna", "MedianPruner",
             {"n_startup_trials": 1, "n_warmup_steps": delay, "interval_steps": 1}),
            ("ray.MedianStoppingRule", "ray", "MedianStoppingRule",
             {"time_attr": "training_iteration", "grace_period": delay,
              "min_samples_required": 1, "hard_stop": True}),
        )
        for rule, library, class_name, arguments in specs:
            spec = SchedulerSpec(f"{rule}/{delay}", library, "median", None, class_name, arguments)
            settings.append(Setting(rule, "median", library, "first epoch judged", delay, spec))
    return settings


def _percentile_rules(percentages: Sequence[int]) -> list[Setting]:
    settings = []
    for percentage in percentages:
        # Truncating the worst p% matches Optuna's PercentilePruner keeping the top (100 - p)%.
        specs = (
            ("hs.Truncation", "hypersweep", "TruncationSelectionPolicy",
             {"truncation_percentage": percentage, "evaluation_interval": 1,
              "delay_evaluation": 5}),
            ("optuna.Percentile", "optuna", "PercentilePruner",
             {"percentile": float(100 - percentage), "n_startup_trials": 1,
              "n_warmup_steps": 5, "interval_steps": 1}),
        )
        for rule, library, class_name, arguments in specs:
            spec = SchedulerSpec(
                f"{rule}/{percentage}", library, "percentile", None, class_name, arguments
            )
            settings.append(
                Setting(rule, "percentile", library, "% stopped", percentage, spec)
            )
    return settings


def _halving_rules(factors: Sequence[int]) -> list[Setting]:
    settings = []
    for factor in factors:
        specs = (
            ("hs.Asha", "hypersweep", "AshaPolicy",
             {"min_interval": 1, "reduction_factor": factor, "max_interval": EPOCHS}),
            ("optuna.SuccessiveHalving", "optuna", "SuccessiveHalvingPruner",
             {"min_resource": 1, "reduction_factor": factor, "min_early_stopping_rate": 0}),
            ("ray.ASHA", "ray", "ASHAScheduler",
             {"time_attr": "training_iteration", "grace_period": 1,
              "reduction_factor": factor, "max_t": EPOCHS, "brackets": 1}),
        )
        for rule, library, class_name, arguments in specs:
            spec = SchedulerSpec(f"{rule}/{factor}", library, "halving", None, class_name,
                                 arguments)
            settings.append(Setting(rule, "halving", library, "reduction factor", factor, spec))
    return settings


BASELINE = SchedulerSpec("no termination", "none", "baseline", None, "NoStopScheduler")
SETTINGS: tuple[Setting, ...] = (
    *_median_rules([1, 2, 3, 5, 8, 12]),
    *_percentile_rules([10, 20, 40, 60, 80]),
    *_halving_rules([2, 3, 4, 6]),
)
SPECS_BY_NAME = {BASELINE.name: BASELINE, **{s.spec.name: s.spec for s in SETTINGS}}

# Set in each worker process by _load_worker, so a job ships only names and an order.
_WORKER_CURVES: dict[str, list[Curve]] = {}


def _load_worker(path: Path) -> None:
    _WORKER_CURVES.update(load_curves(path))


def _replay_job(task: str, name: str, index: int, order: list[int], workers: int
                ) -> dict[str, Any]:
    curves = _WORKER_CURVES[task]
    outcome = replay(curves, order, SPECS_BY_NAME[name].build(EPOCHS), workers=workers)
    return {"task": task, "scheduler": name, "order": index, "epochs": outcome.epochs,
            "best": outcome.best}


def summarise_setting(rows: Sequence[Mapping[str, Any]],
                      baseline: Mapping[int, Mapping[str, Any]]) -> dict[str, Any]:
    """Return a setting's median saving, mean loss and number of sweeps with a loss."""
    saved = [100 * (1 - row["epochs"] / baseline[row["order"]]["epochs"]) for row in rows]
    losses = [100 * (baseline[row["order"]]["best"] - row["best"]) for row in rows]
    return {
        "epochs_saved_pct": statistics.median(saved),
        "mean_loss_points": statistics.fmean(losses),
        "sweeps_with_loss": sum(loss > 1e-9 for loss in losses),
        "sweeps": len(rows),
    }


def least_loss_saving_as_much(points: Sequence[tuple[float, float]], saving: float
                              ) -> float | None:
    """Return the least loss among ``points`` (saving, loss) that save at least ``saving``.

    A point that saves up to EQUAL_SAVINGS_POINTS less still counts. None means that no point
    saves that much.
    """
    losses = [loss for saved, loss in points if saved >= saving - EQUAL_SAVINGS_POINTS]
    return min(losses) if losses else None


def compare(task_summary: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Compare every peer setting with the hypersweep rule of its family at the same saving."""
    comparisons = []
    for setting in SETTINGS:
        if setting.library == "hypersweep":
            continue

        ours = [s for s in SETTINGS if s.family == setting.family and s.library == "hypersweep"]
        curve = [
            (task_summary[s.spec.name]["epochs_saved_pct"],
             task_summary[s.spec.name]["mean_loss_points"])
            for s in ours
        ]
        peer = task_summary[setting.spec.name]
        at_saving = least_loss_saving_as_much(curve, peer["epochs_saved_pct"])
        comparisons.append({
            "peer": setting.spec.name,
            "rule": ours[0].rule,
            "epochs_saved_pct": peer["epochs_saved_pct"],
            "peer_mean_loss": peer["mean_loss_points"],
            "hypersweep_mean_loss": at_saving,
            "peer_loses_less": at_saving is not None and peer["mean_loss_points"] < at_saving,
        })
    return comparisons


def format_task(task: str, task_summary: Mapping[str, Mapping[str, Any]],
                comparisons: Sequence[Mapping[str, Any]]) -> str:
    lines = [f"{task}:", "  setting | epochs saved, % (median) | mean loss, points | "
             "sweeps with a loss"]
    for setting in SETTINGS:
        entry = task_summary[setting.spec.name]
        lines.append(
            f"  {setting.spec.name} | {entry['epochs_saved_pct']:.1f} | "
            f"{entry['mean_loss_points']:.3f} | {entry['sweeps_with_loss']}"
        )
    lines.append("  peer setting | saved, % | peer mean loss | least hypersweep mean loss at "
                 "that saving or more")
    for row in comparisons:
        ours = row["hypersweep_mean_loss"]
        lines.append(
            f"  {row['peer']} | {row['epochs_saved_pct']:.1f} | {row['peer_mean_loss']:.3f} | "
            + ("no setting saves as much" if ours is None else f"{ours:.3f}")
            + ("  <- peer loses less" if row["peer_loses_less"] else "")
        )
    return "\n".join(lines)


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subset-size", type=int, default=50,
                        help="configurations per sweep (default 50)")
    parser.add_argument("--sweeps", type=int, default=100,
                        help="random sweeps per task (default 100)")
    parser.add_argument("--seed", type=int, default=12345,
                        help="seed of the subsets and orders (default 12345, as replay.py)")
    parser.add_argument("--workers", type=int, default=2,
                        help="simulated concurrent runs (default 2)")
    parser.add_argument("--processes", type=int, default=2,
                        help="processes that run replays (default 2)")
    parser.add_argument("--curves", type=Path, default=DEFAULT_CURVES,
                        help=f"curves file (default {DEFAULT_CURVES})")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT,
                        help=f"results JSON file (default {DEFAULT_OUTPUT})")
    arguments = parser.parse_args(argv)
    for name in ("subset_size", "sweeps", "workers", "processes"):
        if getattr(arguments, name) < 1:
            option = "--" + name.replace("_", "-")
            parser.error(f"{option}={getattr(arguments, name)} is invalid; use an int >= 1")
    if not arguments.curves.exists():
        parser.error(f"curves file {arguments.curves} not found; create it with "
                     "python benchmarks/early_termination/generate_curves.py")
    return arguments


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    all_curves = load_curves(arguments.curves)
    names = list(SPECS_BY_NAME)

    jobs = []
    for task, curves in all_curves.items():
        if arguments.subset_size > len(curves):
            raise SystemExit(f"--subset-size={arguments.subset_size} is invalid; task {task!r} "
                             f"has only {len(curves)} configurations")
        orders = make_orders(arguments.sweeps, len(curves), arguments.seed, arguments.subset_size)
        jobs.extend((task, name, index, order, arguments.workers)
                    for name in names for index, order in enumerate(orders))

    print(f"Replaying {len(names)} settings on {len(all_curves)} tasks, {arguments.sweeps} "
          f"sweeps of {arguments.subset_size} each: {len(jobs)} replays")
    started = time.perf_counter()
    rows = []
    with ProcessPoolExecutor(max_workers=arguments.processes, initializer=_load_worker,
                             initargs=(arguments.curves,)) as pool:
        futures = [pool.submit(_replay_job, *job) for job in jobs]
        for done, future in enumerate(futures, start=1):
            rows.append(future.result())
            if done % 500 == 0 or done == len(futures):
                print(f"  {done}/{len(futures)} replays, {time.perf_counter() - started:.0f} s")
    elapsed = time.perf_counter() - started

    results: dict[str, Any] = {
        "command": "python benchmarks/early_termination/frontier.py "
        + " ".join(sys.argv[1:] if argv is None else argv),
        "seed": arguments.seed, "sweeps": arguments.sweeps,
        "subset_size": arguments.subset_size, "simulated_workers": arguments.workers,
        "replay_wall_seconds": round(elapsed, 1), "machine": describe_machine(),
        "settings": {name: spec.settings for name, spec in SPECS_BY_NAME.items()},
        "tasks": {},
    }
    for task in all_curves:
        mine = [row for row in rows if row["task"] == task]
        baseline = {row["order"]: row for row in mine if row["scheduler"] == BASELINE.name}
        task_summary = {
            name: summarise_setting([row for row in mine if row["scheduler"] == name], baseline)
            for name in names if name != BASELINE.name
        }
        comparisons = compare(task_summary)
        results["tasks"][task] = {"settings": task_summary, "comparisons": comparisons}
        print()
        print(format_task(task, task_summary, comparisons))

    arguments.output.write_text(json.dumps(results, indent=1) + "\n")
    print(f"\nWrote {arguments.output}; {len(rows)} replays in {elapsed:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
