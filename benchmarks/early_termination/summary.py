"""Statistics over arrival orders, the comparison with peers, the targets and the text table."""

from __future__ import annotations

import os
import platform
import statistics
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from schedulers import BASELINE, SCHEDULERS


def quartiles(values: Sequence[float]) -> dict[str, float]:
    """Return the median, the 25th and 75th percentiles (inclusive method) and the mean."""
    mean = statistics.fmean(values)
    if len(values) == 1:
        return {"p25": values[0], "median": values[0], "p75": values[0], "mean": mean}

    p25, median, p75 = statistics.quantiles(values, n=4, method="inclusive")
    return {"p25": p25, "median": median, "p75": p75, "mean": mean}


def summarise(
    configurations: int, max_epochs: int, rows: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """Turn the replays of one task into per-scheduler statistics over arrival orders.

    Savings and loss are measured against the no-termination replay of the same order, which
    runs the same configurations (all of them, or the order's subset).
    """
    baseline = {row["order"]: row for row in rows if row["scheduler"] == BASELINE}
    sizes = sorted({row["runs"] for row in baseline.values()})

    summary: dict[str, Any] = {
        "configurations": configurations,
        "runs_per_sweep": sizes[0] if len(sizes) == 1 else sizes,
        "max_epochs": max_epochs,
        "total_epochs": quartiles([row["epochs"] for row in baseline.values()]),
        "total_seconds": quartiles([row["seconds"] for row in baseline.values()]),
        "best_without_termination": quartiles([row["best"] for row in baseline.values()]),
        "schedulers": {},
    }
    for spec in SCHEDULERS:
        mine = sorted(
            (row for row in rows if row["scheduler"] == spec.name), key=lambda row: row["order"]
        )
        if not mine:
            continue

        pairs = [(row, baseline[row["order"]]) for row in mine]
        per_order = {
            "epochs_used": [row["epochs"] for row in mine],
            "epochs_saved_pct": [100 * (1 - row["epochs"] / base["epochs"]) for row, base in pairs],
            "seconds_saved_pct": [
                100 * (1 - row["seconds"] / base["seconds"]) for row, base in pairs
            ],
            "makespan_saved_pct": [
                100 * (1 - row["makespan"] / base["makespan"]) for row, base in pairs
            ],
            "best": [row["best"] for row in mine],
            "loss_points": [100 * (base["best"] - row["best"]) for row, base in pairs],
            "stopped_runs": [row["stopped_runs"] for row in mine],
            "replay_seconds": [row["replay_seconds"] for row in mine],
        }
        summary["schedulers"][spec.name] = {
            "library": spec.library,
            "family": spec.family,
            "peer_of": spec.peer_of,
            "settings": spec.settings,
            "orders": len(mine),
            "stats": {key: quartiles(values) for key, values in per_order.items()},
            "per_order": per_order,
        }
    return summary


# A peer whose median saving is at most this many percentage points below a hypersweep rule's
# still counts as saving as much.
EQUAL_SAVINGS_POINTS = 1.0

# hypersweep schedulers with a target: minimum median epochs saved (%) and maximum median loss.
TARGETS = {"hs.MedianStopping": (25.0, 0.1), "hs.Asha": (60.0, 0.5)}


def _medians(stats: Mapping[str, Any]) -> tuple[float, float, float]:
    return (
        stats["epochs_saved_pct"]["median"],
        stats["loss_points"]["median"],
        stats["loss_points"]["mean"],
    )


def compare_with_peers(summary: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Compare each Optuna and Ray scheduler with the hypersweep schedulers of its family.

    The ratios are taken over the hypersweep scheduler with matched settings (``peer_of``). A
    peer beats a hypersweep scheduler when its median saving is at least as large, less
    EQUAL_SAVINGS_POINTS, and its median loss is strictly smaller. ``beats_on_mean`` applies the
    same test to the mean loss, which moves even when most orders lose nothing.
    ``closest`` is the hypersweep scheduler of the family whose median saving is nearest.
    """
    schedulers = summary["schedulers"]
    comparisons = []
    for name, entry in schedulers.items():
        matched = entry["peer_of"]
        if matched is None or matched not in schedulers:
            continue

        saved, loss, mean_loss = _medians(entry["stats"])
        saved_matched, loss_matched, _ = _medians(schedulers[matched]["stats"])
        members = {
            other: _medians(candidate["stats"])
            for other, candidate in schedulers.items()
            if candidate["library"] == "hypersweep" and candidate["family"] == entry["family"]
        }

        beaten, beaten_on_mean = [], []
        for other, (saved_ours, loss_ours, mean_ours) in members.items():
            if saved >= saved_ours - EQUAL_SAVINGS_POINTS:
                if loss < loss_ours:
                    beaten.append(other)
                if mean_loss < mean_ours:
                    beaten_on_mean.append(other)
        closest = min(members, key=lambda other: abs(members[other][0] - saved))

        comparisons.append(
            {
                "scheduler": name,
                "hypersweep": matched,
                "family": entry["family"],
                "saved_ratio": saved / saved_matched if saved_matched else None,
                "loss_ratio": loss / loss_matched if loss_matched else None,
                "peer_beats_hypersweep": bool(beaten),
                "beats": beaten,
                "beats_on_mean": beaten_on_mean,
                "closest": closest,
                "closest_saved_pct": members[closest][0],
                "closest_loss_points": members[closest][1],
                "closest_mean_loss_points": members[closest][2],
                "saved_pct": saved,
                "loss_points": loss,
                "mean_loss_points": mean_loss,
            }
        )
    return comparisons


def check_targets(summary: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Check the savings and loss targets and the comparison with peers, at the medians."""
    checks: list[dict[str, Any]] = []
    for name, (min_saved, max_loss) in TARGETS.items():
        entry = summary["schedulers"].get(name)
        if entry is None:
            continue

        saved = entry["stats"]["epochs_saved_pct"]["median"]
        loss = entry["stats"]["loss_points"]["median"]
        checks.append(
            {
                "scheduler": name,
                "target": f"saves >= {min_saved:g}% of the epochs and loses <= {max_loss:g} points",
                "epochs_saved_pct": saved,
                "loss_points": loss,
                "met": saved >= min_saved and loss <= max_loss,
            }
        )

    for comparison in compare_with_peers(summary):
        beaten = ", ".join(comparison["beats"]) or "none"
        beaten_on_mean = ", ".join(comparison["beats_on_mean"]) or "none"
        finding = (
            f"it saves {comparison['saved_pct']:.1f}% and loses {comparison['loss_points']:.2f} "
            f"points (mean {comparison['mean_loss_points']:.3f}); nearest in savings "
            f"{comparison['closest']} saves {comparison['closest_saved_pct']:.1f}% and loses "
            f"{comparison['closest_loss_points']:.2f} (mean "
            f"{comparison['closest_mean_loss_points']:.3f}); beats on median loss: {beaten}; "
            f"on mean loss: {beaten_on_mean}"
        )
        checks.append(
            {
                "scheduler": comparison["scheduler"],
                "hypersweep": comparison["hypersweep"],
                "target": f"beats no hypersweep {comparison['family']} rule (saving as much and "
                "losing less, at the medians)",
                "finding": finding,
                "met": not comparison["peer_beats_hypersweep"],
            }
        )
    return checks


def format_targets(checks: Sequence[Mapping[str, Any]]) -> str:
    """Return one line per target check."""
    lines = []
    for check in checks:
        verdict = "met" if check["met"] else "MISSED"
        if "finding" in check:
            lines.append(f"  {verdict}: {check['scheduler']} {check['target']}: {check['finding']}")
        else:
            lines.append(
                f"  {verdict}: {check['scheduler']} {check['target']}: it saves "
                f"{check['epochs_saved_pct']:.1f}% and loses {check['loss_points']:.2f} points"
            )
    return "\n".join(lines)


def _span(stats: Mapping[str, float], digits: int) -> str:
    return f"{stats['median']:.{digits}f} [{stats['p25']:.{digits}f}, {stats['p75']:.{digits}f}]"


def format_table(title: str, summary: Mapping[str, Any]) -> str:
    """Return the per-scheduler table of one task and experiment as text."""
    comparisons = {entry["scheduler"]: entry for entry in compare_with_peers(summary)}
    header = (
        f"{'scheduler':<25} {'epochs saved %':>20} {'seconds saved %':>20} "
        f"{'wall saved %':>20} {'loss, points':>18} {'mean loss':>9} {'saved/ours':>10} "
        f"{'loss/ours':>9} {'replay s':>8}"
    )
    epochs = summary["total_epochs"]["median"]
    seconds = summary["total_seconds"]["median"]
    best = summary["best_without_termination"]
    lines = [
        f"Task {title}: {summary['runs_per_sweep']} runs per sweep drawn from "
        f"{summary['configurations']} configurations, up to {summary['max_epochs']} epochs. "
        f"Without termination: {epochs:.0f} epochs, {seconds:.0f} compute-seconds and best "
        f"accuracy {best['median']:.4f} (medians over orders).",
        "Median [25th, 75th percentile] over arrival orders; ratios are medians over the "
        "matching hypersweep policy's.",
        header,
        "-" * len(header),
    ]
    for name, entry in summary["schedulers"].items():
        stats = entry["stats"]
        comparison = comparisons.get(name)
        saved_ratio = loss_ratio = "-"
        if comparison is not None:
            if comparison["saved_ratio"] is not None:
                saved_ratio = f"{comparison['saved_ratio']:.2f}"
            if comparison["loss_ratio"] is not None:
                loss_ratio = f"{comparison['loss_ratio']:.2f}"
            else:
                loss_ratio = "ours 0"
        lines.append(
            f"{name:<25} {_span(stats['epochs_saved_pct'], 1):>20} "
            f"{_span(stats['seconds_saved_pct'], 1):>20} "
            f"{_span(stats['makespan_saved_pct'], 1):>20} {_span(stats['loss_points'], 2):>18} "
            f"{stats['loss_points']['mean']:>9.3f} {saved_ratio:>10} {loss_ratio:>9} "
            f"{stats['replay_seconds']['median']:>8.2f}"
        )
    return "\n".join(lines)


def describe_machine() -> dict[str, Any]:
    """Return the machine and library versions behind the measured numbers."""
    import numpy as np

    cpu_model = memory_gib = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_gib = round(int(line.split()[1]) / 1024**2, 1)
                break
    except OSError:
        pass

    versions: dict[str, str | None] = {}
    for module in ("optuna", "ray"):
        try:
            versions[module] = __import__(module).__version__
        except ImportError:
            versions[module] = None

    return {
        "nproc": os.cpu_count(),
        "cpu_model": cpu_model,
        "memory_gib": memory_gib,
        "python": platform.python_version(),
        "numpy": np.__version__,
        **versions,
    }
