"""Compare the losses of early termination rules at equal savings, along each rule's settings.

replay.py compares schedulers at matched settings, where the rules of different libraries save
different amounts. This script varies the settings that make each rule more or less
aggressive. For the median rules that is the first epoch judged, for the percentile rules the
share of runs stopped, and for the halving rules the reduction factor and first rung. It
replays every setting on the same sweeps, and so traces each rule's loss as a function of its
saving. Each Optuna and Ray Tune setting is then compared with the hypersweep rule of its
family at the same mean saving. Where no hypersweep setting saves exactly that much, the
comparison uses a mix of the two hypersweep settings around it, as a user who runs each sweep
with one of them at random would get. A hypersweep setting that saves more also counts. The mix
with the least mean loss is the one compared. A peer setting that saves more than every
hypersweep setting is not compared.

The loss of a setting is the mean loss over the sweeps, in accuracy points: in most sweeps no
rule loses anything, so the median loss is 0.00 for every setting and cannot tell them apart.
Both settings of a comparison run the same sweeps, so the script takes the difference of their
losses sweep by sweep and gives the 90% bootstrap interval of its mean. The peer loses less when
the whole interval lies below zero, hypersweep loses less when it lies above, and otherwise the
sweeps show no clear difference.

    python benchmarks/early_termination/frontier.py

It replays sweeps of 50 configurations drawn from the cached curves (500 per task, of which the
first 100 are the subsets of replay.py's second experiment) on 2 simulated workers, and writes
frontier.json.
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

import numpy as np
from replay import (
    DEFAULT_CURVES,
    WORKER_CURVES,
    load_curves,
    load_worker_curves,
    make_orders,
    replay,
)
from schedulers import SchedulerSpec
from summary import describe_machine

HERE = Path(__file__).resolve().parent
DEFAULT_OUTPUT = HERE / "frontier.json"

EPOCHS = 30  # every cached curve has 30 epochs


@dataclass(frozen=True)
class Setting:
    """One setting of one rule, and the family of rules it is compared within."""

    rule: str
    family: str
    library: str
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
            settings.append(Setting(rule, "median", library, spec))
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
            settings.append(Setting(rule, "percentile", library, spec))
    return settings


def _halving_rules(factors: Sequence[int], first_rungs: Sequence[int]) -> list[Setting]:
    settings = []
    for factor in factors:
        for first_rung in first_rungs:
            specs = (
                ("hs.Asha", "hypersweep", "AshaPolicy",
                 {"min_interval": first_rung, "reduction_factor": factor,
                  "max_interval": EPOCHS}),
                ("optuna.SuccessiveHalving", "optuna", "SuccessiveHalvingPruner",
                 {"min_resource": first_rung, "reduction_factor": factor,
                  "min_early_stopping_rate": 0}),
                ("ray.ASHA", "ray", "ASHAScheduler",
                 {"time_attr": "training_iteration", "grace_period": first_rung,
                  "reduction_factor": factor, "max_t": EPOCHS, "brackets": 1}),
            )
            for rule, library, class_name, arguments in specs:
                spec = SchedulerSpec(f"{rule}/{factor}/{first_rung}", library, "halving", None,
                                     class_name, arguments)
                settings.append(Setting(rule, "halving", library, spec))
    return settings


BASELINE = SchedulerSpec("no termination", "none", "baseline", None, "NoStopScheduler")
SETTINGS: tuple[Setting, ...] = (
    *_median_rules([1, 2, 3, 5, 8, 12]),
    *_percentile_rules([10, 20, 40, 60, 80]),
    *_halving_rules([2, 3, 4], [1, 2, 3]),
)
SPECS_BY_NAME = {BASELINE.name: BASELINE, **{s.spec.name: s.spec for s in SETTINGS}}

def _replay_job(task: str, name: str, index: int, order: list[int], workers: int
                ) -> dict[str, Any]:
    curves = WORKER_CURVES[task]
    outcome = replay(curves, order, SPECS_BY_NAME[name].build(EPOCHS), workers=workers)
    return {"task": task, "scheduler": name, "order": index, "epochs": outcome.epochs,
            "best": outcome.best}


def sweep_losses(rows: Sequence[Mapping[str, Any]],
                 baseline: Mapping[int, Mapping[str, Any]]) -> tuple[list[float], list[float]]:
    """Return a setting's epochs saved (%) and loss (points) per sweep, in sweep order."""
    ordered = sorted(rows, key=lambda row: row["order"])
    saved = [100 * (1 - row["epochs"] / baseline[row["order"]]["epochs"]) for row in ordered]
    losses = [100 * (baseline[row["order"]]["best"] - row["best"]) for row in ordered]
    return saved, losses


def summarise_setting(saved: Sequence[float], losses: Sequence[float]) -> dict[str, Any]:
    """Return a setting's median and mean saving, mean loss and number of sweeps with a loss."""
    return {
        "epochs_saved_pct": statistics.median(saved),
        "mean_epochs_saved_pct": statistics.fmean(saved),
        "mean_loss_points": statistics.fmean(losses),
        "sweeps_with_loss": sum(loss > 1e-9 for loss in losses),
        "sweeps": len(losses),
    }


def least_loss_mix(points: Mapping[str, tuple[float, float]], saving: float
                   ) -> tuple[dict[str, float], float] | None:
    """Return the mix of settings with the least mean loss among those that save ``saving``.

    ``points`` maps each setting to its mean saving and mean loss. A mix runs each sweep with
    one of at most two settings, chosen at random with the returned weights, so its mean saving
    and mean loss are the weighted means of theirs. A single setting that saves more also
    counts, because saving more is never worse. Returns the weights by setting and the mix's
    mean loss, or None when no setting saves that much.
    """
    candidates = [({name: 1.0}, loss) for name, (saved, loss) in points.items()
                  if saved >= saving]
    for low_name, (low_saved, low_loss) in points.items():
        for high_name, (high_saved, high_loss) in points.items():
            if low_saved < saving < high_saved:
                weight = (high_saved - saving) / (high_saved - low_saved)
                candidates.append(({low_name: weight, high_name: 1 - weight},
                                   weight * low_loss + (1 - weight) * high_loss))
    return min(candidates, key=lambda candidate: candidate[1]) if candidates else None


def difference_interval(peer: Sequence[float], ours: Sequence[float], *, seed: int = 0,
                        resamples: int = 4000) -> tuple[float, float, float]:
    """Return the mean of ``peer - ours`` over paired sweeps and its 90% bootstrap interval."""
    differences = np.asarray(peer) - np.asarray(ours)
    rng = np.random.default_rng(seed)
    picks = rng.integers(len(differences), size=(resamples, len(differences)))
    means = differences[picks].mean(axis=1)
    low, high = np.quantile(means, [0.05, 0.95])
    return float(differences.mean()), float(low), float(high)


def verdict(low: float, high: float) -> str:
    """Name the rule that loses less, when the 90% interval of peer - hypersweep excludes 0."""
    if high < 0:
        return "peer loses less"
    if low > 0:
        return "hypersweep loses less"
    return "no clear difference"


def compare(task_summary: Mapping[str, Mapping[str, Any]],
            per_sweep: Mapping[str, Sequence[float]]) -> list[dict[str, Any]]:
    """Compare every peer setting with the best mix of hypersweep settings that saves as much.

    ``per_sweep`` maps each setting to its loss in each sweep, in the same sweep order.
    """
    comparisons = []
    for setting in SETTINGS:
        if setting.library == "hypersweep":
            continue

        ours = {
            s.spec.name: (task_summary[s.spec.name]["mean_epochs_saved_pct"],
                          task_summary[s.spec.name]["mean_loss_points"])
            for s in SETTINGS if s.family == setting.family and s.library == "hypersweep"
        }
        peer = task_summary[setting.spec.name]
        mix = least_loss_mix(ours, peer["mean_epochs_saved_pct"])
        row: dict[str, Any] = {
            "peer": setting.spec.name,
            "mean_epochs_saved_pct": peer["mean_epochs_saved_pct"],
            "peer_mean_loss": peer["mean_loss_points"],
            "hypersweep_mix": None if mix is None else mix[0],
        }
        if mix is None:
            row["verdict"] = "peer saves more than every hypersweep setting"
        else:
            weights, mix_loss = mix
            mixed = np.zeros(len(per_sweep[setting.spec.name]))
            for name, weight in weights.items():
                mixed += weight * np.asarray(per_sweep[name])
            mean, low, high = difference_interval(per_sweep[setting.spec.name], mixed)
            row.update({
                "hypersweep_mean_epochs_saved_pct": sum(
                    weight * ours[name][0] for name, weight in weights.items()),
                "hypersweep_mean_loss": mix_loss,
                "difference": mean, "difference_90": [low, high], "verdict": verdict(low, high),
            })
        comparisons.append(row)
    return comparisons


def describe_mix(weights: Mapping[str, float]) -> str:
    """Return a mix of settings as text, such as ``0.40 hs.Asha/2 + 0.60 hs.Asha/3``."""
    if len(weights) == 1:
        return next(iter(weights))
    return " + ".join(f"{weight:.2f} {name}" for name, weight in weights.items())


def format_task(task: str, task_summary: Mapping[str, Mapping[str, Any]],
                comparisons: Sequence[Mapping[str, Any]]) -> str:
    """Return the settings and the comparisons of one task as two Markdown tables."""
    lines = [f"`{task}`, every setting:", "",
             "| setting | epochs saved, % (median) | mean | mean loss, points | sweeps with a "
             "loss |", "|---|---|---|---|---|"]
    for setting in SETTINGS:
        entry = task_summary[setting.spec.name]
        lines.append(
            f"| {setting.spec.name} | {entry['epochs_saved_pct']:.1f} | "
            f"{entry['mean_epochs_saved_pct']:.1f} | {entry['mean_loss_points']:.3f} | "
            f"{entry['sweeps_with_loss']} of {entry['sweeps']} |"
        )
    lines += ["", f"`{task}`, each peer setting against hypersweep at the same mean saving:", "",
              "| peer setting | mean saved, % | mean loss | hypersweep mix | mean loss | "
              "peer − hypersweep [90% interval] | verdict |", "|---|---|---|---|---|---|---|"]
    for row in comparisons:
        if row["hypersweep_mix"] is None:
            lines.append(f"| {row['peer']} | {row['mean_epochs_saved_pct']:.1f} | "
                         f"{row['peer_mean_loss']:.3f} | | | | {row['verdict']} |")
            continue
        low, high = row["difference_90"]
        lines.append(
            f"| {row['peer']} | {row['mean_epochs_saved_pct']:.1f} | "
            f"{row['peer_mean_loss']:.3f} | {describe_mix(row['hypersweep_mix'])} | "
            f"{row['hypersweep_mean_loss']:.3f} | {row['difference']:+.3f} "
            f"[{low:+.3f}, {high:+.3f}] | {row['verdict']} |"
        )
    return "\n".join(lines)


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subset-size", type=int, default=50,
                        help="configurations per sweep (default 50)")
    parser.add_argument("--sweeps", type=int, default=500,
                        help="random sweeps per task (default 500)")
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
    with ProcessPoolExecutor(max_workers=arguments.processes, initializer=load_worker_curves,
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
        task_summary, per_sweep = {}, {}
        for name in (name for name in names if name != BASELINE.name):
            saved, losses = sweep_losses([row for row in mine if row["scheduler"] == name],
                                         baseline)
            task_summary[name] = summarise_setting(saved, losses)
            per_sweep[name] = losses
        comparisons = compare(task_summary, per_sweep)
        results["tasks"][task] = {"settings": task_summary, "comparisons": comparisons}
        print()
        print(format_task(task, task_summary, comparisons))

    arguments.output.write_text(json.dumps(results, indent=1) + "\n")
    print(f"\nWrote {arguments.output}; {len(rows)} replays in {elapsed:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
