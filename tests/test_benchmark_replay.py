"""The early termination benchmark's simulator, on five hand-made curves.

The expected epochs and best values below are worked out by hand from the rules of
MedianStoppingPolicy, event by event, so that a change in the simulator's event order or in its
accounting shows up here. Optuna and Ray are exercised only when they are installed.
"""

from __future__ import annotations

import importlib
import math
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from hypersweep.policies import MedianStoppingPolicy

BENCHMARK_DIR = Path(__file__).resolve().parents[1] / "benchmarks" / "early_termination"


@pytest.fixture(scope="module")
def bench() -> Iterator[tuple[ModuleType, ModuleType]]:
    """Import the benchmark's replay and schedulers modules from their folder."""
    sys.path.insert(0, str(BENCHMARK_DIR))
    try:
        yield importlib.import_module("replay"), importlib.import_module("schedulers")
    finally:
        sys.path.remove(str(BENCHMARK_DIR))


def make_curves(replay: ModuleType) -> list:
    """Return five curves of three epochs, with the seconds of each epoch.

    The test below uses 2 workers, the order A, B, C, D, E and a median rule. Xn names epoch n
    of run X, and these epochs end at: A1 1.0, B1 1.1, A2 2.0, B2 2.2, C1 2.7, A3 3.0, C2 3.2,
    E1 3.5, E2 3.8, D1 4.0, D2 5.0 and D3 6.0. C starts when B stops at 2.2, D when A ends at
    3.0, and E when C stops at 3.2.
    """
    table = {
        "A": ([0.5, 0.6, 0.7], [1.0, 1.0, 1.0]),
        "B": ([0.4, 0.5, 0.9], [1.1, 1.1, 1.1]),
        "C": ([0.1, 0.2, 0.3], [0.5, 0.5, 0.5]),
        "D": ([0.6, 0.8, 0.85], [1.0, 1.0, 1.0]),
        "E": ([0.2, 0.3, 0.95], [0.3, 0.3, 0.3]),
    }
    return [
        replay.Curve.from_epoch_seconds(run_id, accuracy, seconds)
        for run_id, (accuracy, seconds) in table.items()
    ]


def test_replay_without_termination_runs_everything(bench):
    replay, schedulers = bench
    curves = make_curves(replay)

    outcome = replay.replay(curves, range(5), schedulers.NoStopScheduler())

    assert outcome.epochs == 15
    assert outcome.run_epochs == {"A": 3, "B": 3, "C": 3, "D": 3, "E": 3}
    assert outcome.best == 0.95
    assert outcome.stopped_runs == 0
    assert math.isclose(outcome.seconds, 3.0 + 3.3 + 1.5 + 3.0 + 0.9)


def test_replay_median_stopping_by_hand(bench):
    replay, schedulers = bench
    curves = make_curves(replay)
    policy = MedianStoppingPolicy(evaluation_interval=1, delay_evaluation=2)

    outcome = replay.replay(curves, range(5), schedulers.HypersweepScheduler(policy))

    # B2 at 2.2: b(2)=0.5 < median of {A: 0.55} -> stopped.
    # A3 at 3.0: alone in the cohort at 3 -> completes.
    # C2 at 3.2: b(2)=0.2 < median of {A: 0.55, B: 0.45} = 0.5 -> stopped.
    # E2 at 3.8: b(2)=0.3 < median of {A: 0.55, B: 0.45, C: 0.15} = 0.45 -> stopped.
    # D2 at 5.0: b(2)=0.8 >= 0.35; D3 at 6.0: b(3)=0.85 >= A's 0.6 -> completes.
    assert outcome.run_epochs == {"A": 3, "B": 2, "C": 2, "D": 3, "E": 2}
    assert outcome.epochs == 12
    assert outcome.stopped_runs == 3
    assert math.isclose(outcome.seconds, 3.0 + 2.2 + 1.0 + 3.0 + 0.6)
    assert math.isclose(outcome.makespan, 6.0)
    # E, the late bloomer with 0.95 at epoch 3, was stopped, so the sweep reports D's 0.85.
    assert outcome.best == 0.85


def test_replay_keeps_one_history_per_run(bench):
    replay, schedulers = bench
    curves = make_curves(replay)
    scheduler = schedulers.HypersweepScheduler(MedianStoppingPolicy(delay_evaluation=2))

    replay.replay(curves, range(5), scheduler)

    assert sorted(scheduler.histories) == ["A", "B", "C", "D", "E"]
    assert all(history.finished for history in scheduler.histories.values())
    assert scheduler.histories["B"].values == (0.4, 0.5)


def test_replay_one_worker_follows_the_order(bench):
    replay, schedulers = bench
    curves = make_curves(replay)

    outcome = replay.replay(curves, [4, 0], schedulers.NoStopScheduler(), workers=1)

    assert list(outcome.run_epochs) == ["E", "A"]
    assert math.isclose(outcome.makespan, 0.9 + 3.0)


def test_replay_rejects_zero_workers(bench):
    replay, schedulers = bench

    with pytest.raises(ValueError, match="workers=0"):
        replay.replay(make_curves(replay), range(5), schedulers.NoStopScheduler(), workers=0)


def test_curve_rejects_bad_input(bench):
    replay, _ = bench

    with pytest.raises(ValueError, match="empty"):
        replay.Curve("X", (), ())
    with pytest.raises(ValueError, match="2 accuracy values and 1 elapsed"):
        replay.Curve("X", (0.1, 0.2), (1.0,))
    with pytest.raises(ValueError, match="must not decrease"):
        replay.Curve("X", (0.1, 0.2), (2.0, 1.0))


def test_make_orders_is_seeded(bench):
    replay, _ = bench

    first = replay.make_orders(3, 10, seed=7)
    again = replay.make_orders(3, 10, seed=7)
    subsets = replay.make_orders(2, 10, seed=7, size=4)

    assert first == again
    assert all(sorted(order) == list(range(10)) for order in first)
    assert all(len(order) == 4 and len(set(order)) == 4 for order in subsets)
    with pytest.raises(ValueError, match="size=11"):
        replay.make_orders(1, 10, seed=7, size=11)


def test_optuna_and_ray_adapters_run(bench):
    pytest.importorskip("optuna")
    pytest.importorskip("ray.tune.schedulers")
    replay, schedulers = bench
    curves = make_curves(replay)

    for spec in schedulers.SCHEDULERS:
        outcome = replay.replay(curves, range(5), spec.build(3))

        assert 5 <= outcome.epochs <= 15, spec.name
        assert outcome.best in {0.7, 0.85, 0.9, 0.95}, spec.name


@pytest.fixture(scope="module")
def frontier() -> Iterator[ModuleType]:
    """Import the benchmark's frontier module from its folder."""
    sys.path.insert(0, str(BENCHMARK_DIR))
    try:
        yield importlib.import_module("frontier")
    finally:
        sys.path.remove(str(BENCHMARK_DIR))


POINTS = {"a": (50.0, 0.0), "b": (60.0, 0.2), "c": (70.0, 0.5), "d": (30.0, 0.4)}


@pytest.mark.parametrize(
    ("saving", "weights", "loss"),
    [
        (40.0, {"a": 1.0}, 0.0),  # a saves more and loses nothing
        (50.0, {"a": 1.0}, 0.0),
        (55.0, {"a": 0.5, "b": 0.5}, 0.1),  # half the sweeps with a, half with b
        (60.0, {"b": 1.0}, 0.2),
        (67.5, {"b": 0.25, "c": 0.75}, 0.425),
        (70.0, {"c": 1.0}, 0.5),
    ],
)
def test_least_loss_mix_at_equal_saving(frontier: ModuleType, saving: float,
                                        weights: dict[str, float], loss: float) -> None:
    mix = frontier.least_loss_mix(POINTS, saving)

    assert mix is not None
    assert mix[0] == pytest.approx(weights)
    assert mix[1] == pytest.approx(loss)


def test_least_loss_mix_beyond_every_setting(frontier: ModuleType) -> None:
    assert frontier.least_loss_mix(POINTS, 70.5) is None


def test_least_loss_mix_skips_dominated_setting(frontier: ModuleType) -> None:
    # d saves least and loses more than a, so no mix with d is the best below 50%.
    mix = frontier.least_loss_mix(POINTS, 35.0)

    assert mix == ({"a": 1.0}, 0.0)


@pytest.mark.parametrize(
    ("peer", "ours", "expected"),
    [
        ([0.0] * 50, [0.22] * 25 + [0.0] * 25, "peer loses less"),
        ([0.22] * 25 + [0.0] * 25, [0.0] * 50, "hypersweep loses less"),
        ([0.22, 0.0] * 25, [0.0, 0.22] * 25, "no clear difference"),
        ([0.0] * 50, [0.0] * 50, "no clear difference"),
    ],
)
def test_paired_difference_verdict(frontier: ModuleType, peer: list[float], ours: list[float],
                                   expected: str) -> None:
    mean, low, high = frontier.difference_interval(peer, ours)

    assert low <= mean <= high
    assert mean == pytest.approx(sum(peer) / len(peer) - sum(ours) / len(ours))
    assert frontier.verdict(low, high) == expected


def test_frontier_settings_cover_each_family(frontier: ModuleType) -> None:
    families: dict[str, set[str]] = {}
    for setting in frontier.SETTINGS:
        families.setdefault(setting.family, set()).add(setting.library)

    assert families == {"median": {"hypersweep", "optuna", "ray"},
                        "percentile": {"hypersweep", "optuna"},
                        "halving": {"hypersweep", "optuna", "ray"}}
    assert len(frontier.SPECS_BY_NAME) == len(frontier.SETTINGS) + 1
