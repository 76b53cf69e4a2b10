"""AshaPolicy: rungs, hand-computed promotions, and a sweep with two workers that never waits."""

from __future__ import annotations

import math
import re

import pytest

from hypersweep.enums import PrimaryMetricGoal
from hypersweep.errors import InvalidConfigError
from hypersweep.policies import AshaPolicy, RunHistory

from conftest import approx_or_none

MAX = PrimaryMetricGoal.MAXIMIZE
MIN = PrimaryMetricGoal.MINIMIZE
NAN = math.nan
INF = math.inf

ETA2 = AshaPolicy(reduction_factor=2)
ETA3 = AshaPolicy()


def run(run_id: str, *values: float, finished: bool = False, parent: bool = False) -> RunHistory:
    return RunHistory(run_id, list(values), finished, from_parent=parent)


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        pytest.param(AshaPolicy(), (1, 3, 9, 27), id="default-eta-3"),
        pytest.param(
            AshaPolicy(min_interval=2, reduction_factor=2), (2, 4, 8, 16), id="min-2-eta-2"
        ),
        pytest.param(AshaPolicy(min_interval=5, max_interval=30), (5, 15), id="max-interval-caps"),
        pytest.param(AshaPolicy(min_interval=4, max_interval=4), (4,), id="single-rung"),
    ],
)
def test_asha_rungs_and_schedule(policy: AshaPolicy, expected: tuple[int, ...]) -> None:
    evaluated = tuple(n for n in range(1, 31) if policy.should_evaluate(n))

    assert evaluated == expected
    assert policy.rungs(up_to=30) == expected


def test_asha_rung_index() -> None:
    assert [ETA3.rung_index(n) for n in (1, 2, 3, 9, 10, 27)] == [0, None, 1, 2, None, 3]


def test_asha_rungs_need_a_limit() -> None:
    assert AshaPolicy(max_interval=10).rungs() == (1, 3, 9)
    with pytest.raises(ValueError, match="rungs\\(\\) needs up_to"):
        ETA3.rungs()


def case(
    case_id: str,
    policy: AshaPolicy,
    runs: list[RunHistory],
    interval: int,
    goal: PrimaryMetricGoal,
    cancel: bool | None,
    value: float | None = None,
    reference: float | None = None,
) -> object:
    """Build one table row; the candidate is always the run named "c"."""
    return pytest.param(
        {
            "policy": policy,
            "runs": runs,
            "interval": interval,
            "goal": goal,
            "cancel": cancel,
            "value": value,
            "reference": reference,
        },
        id=case_id,
    )


# In the comments: m = runs at the rung, kept = ceil(m / reduction_factor), and the reference
# is the value at rank `kept`, the worst value that continues.
CASES = [
    case(
        "fewer-than-eta-second-stopped",
        # m=2, kept=1: only the leader continues.
        ETA3,
        [run("a", 0.9), run("c", 0.1)],
        1,
        MAX,
        cancel=True,
        value=0.1,
        reference=0.9,
    ),
    case(
        "fewer-than-eta-leader-continues",
        ETA3,
        [run("a", 0.1), run("c", 0.9)],
        1,
        MAX,
        cancel=False,
        value=0.9,
        reference=0.9,
    ),
    case(
        "four-runs-rounds-up",
        # m=4, kept=ceil(4/3)=2: ranks .9 .7 .5 .4, boundary .7. Rounding down would keep 1.
        ETA3,
        [run("a", 0.9), run("b", 0.5), run("d", 0.4), run("c", 0.7)],
        1,
        MAX,
        cancel=False,
        value=0.7,
        reference=0.7,
    ),
    case(
        "four-runs-rank-three-stopped",
        ETA3,
        [run("a", 0.9), run("b", 0.7), run("d", 0.4), run("c", 0.5)],
        1,
        MAX,
        cancel=True,
        value=0.5,
        reference=0.7,
    ),
    case(
        "seven-runs-eta-two-keeps-four",
        # m=7, kept=ceil(7/2)=4: ranks .9 .8 .7 .6 .5 .4 .3, boundary .6.
        ETA2,
        [run(f"r{i}", v) for i, v in enumerate([0.9, 0.8, 0.7, 0.5, 0.4, 0.3])] + [run("c", 0.6)],
        1,
        MAX,
        cancel=False,
        value=0.6,
        reference=0.6,
    ),
    case(
        "three-runs-second-stopped",
        # m=3, kept=1: boundary .9.
        ETA3,
        [run("a", 0.9), run("b", 0.5), run("c", 0.7)],
        1,
        MAX,
        cancel=True,
        value=0.7,
        reference=0.9,
    ),
    case(
        "three-runs-best-continues",
        ETA3,
        [run("a", 0.5), run("b", 0.7), run("c", 0.9)],
        1,
        MAX,
        cancel=False,
        value=0.9,
        reference=0.9,
    ),
    case(
        "six-runs-rank-two-continues",
        # m=6, kept=2: ranks .9 .8 .6 .5 .4 .3, boundary .8.
        ETA3,
        [run(f"r{i}", v) for i, v in enumerate([0.9, 0.6, 0.5, 0.4, 0.3])] + [run("c", 0.8)],
        1,
        MAX,
        cancel=False,
        value=0.8,
        reference=0.8,
    ),
    case(
        "six-runs-rank-three-stopped",
        ETA3,
        [run(f"r{i}", v) for i, v in enumerate([0.9, 0.8, 0.5, 0.4, 0.3])] + [run("c", 0.7)],
        1,
        MAX,
        cancel=True,
        value=0.7,
        reference=0.8,
    ),
    case(
        "tie-at-boundary-continues",
        # m=4, kept=2: ranks .9 .5 .5 .5, boundary .5, one run better than c.
        ETA2,
        [run("a", 0.9), run("b", 0.5), run("d", 0.5), run("c", 0.5)],
        1,
        MAX,
        cancel=False,
        value=0.5,
        reference=0.5,
    ),
    case(
        "minimize",
        ETA3,
        [run("a", 0.1), run("b", 0.5), run("c", 0.3)],
        1,
        MIN,
        cancel=True,
        value=0.3,
        reference=0.1,
    ),
    case(
        "negative-values",
        ETA3,
        [run("a", -1.0), run("b", -3.0), run("c", -2.0)],
        1,
        MAX,
        cancel=True,
        value=-2.0,
        reference=-1.0,
    ),
    case(
        "rung-value-is-value-at-rung",
        # Values at interval 3: a .3 (its later .99 is past the rung), b .4 (not its best .6),
        # c .5, so c leads.
        ETA3,
        [run("a", 0.1, 0.2, 0.3, 0.99), run("b", 0.5, 0.6, 0.4), run("c", 0.45, 0.2, 0.5)],
        3,
        MAX,
        cancel=False,
        value=0.5,
        reference=0.5,
    ),
    case(
        "candidate-judged-at-rung-not-by-best",
        # c's best .7 came at interval 1; at the rung it logged .2, the lowest of .3 .4 .2.
        ETA3,
        [run("a", 0.1, 0.2, 0.3), run("b", 0.5, 0.6, 0.4), run("c", 0.7, 0.1, 0.2)],
        3,
        MAX,
        cancel=True,
        value=0.2,
        reference=0.4,
    ),
    case(
        "candidate-non-finite-at-rung",
        # c's earlier .9 does not count: its value at the rung is NaN, which ranks last.
        ETA3,
        [run("a", 0.1, 0.1, 0.1), run("b", 0.2, 0.2, 0.2), run("c", 0.9, 0.9, NAN)],
        3,
        MAX,
        cancel=True,
        value=None,
        reference=0.2,
    ),
    case(
        "run-below-rung-left-out",
        # "a" and "e" have 2 values, so rung 3 contains b, d and c: m=3, kept=1, and c leads.
        # Counting them would make m=5, kept=2 with boundary .9, and c would be stopped.
        ETA3,
        [
            run("a", 0.9, 0.9),
            run("e", 0.95, 0.95),
            run("b", 0.5, 0.5, 0.5),
            run("d", 0.4, 0.4, 0.4),
            run("c", 0.6, 0.6, 0.6),
        ],
        3,
        MAX,
        cancel=False,
        value=0.6,
        reference=0.6,
    ),
    case(
        "finished-runs-count",
        ETA3,
        [run("a", 0.9, finished=True), run("b", 0.8, finished=True), run("c", 0.5)],
        1,
        MAX,
        cancel=True,
        value=0.5,
        reference=0.9,
    ),
    case(
        "warm-start-parents-count",
        ETA3,
        [
            run("p1", 0.9, finished=True, parent=True),
            run("p2", 0.8, finished=True, parent=True),
            run("c", 0.5),
        ],
        1,
        MAX,
        cancel=True,
        value=0.5,
        reference=0.9,
    ),
    case(
        "candidate-non-finite",
        ETA3,
        [run("a", 0.1), run("b", 0.2), run("c", NAN)],
        1,
        MAX,
        cancel=True,
        value=None,
        reference=0.2,
    ),
    case(
        "other-non-finite-ranks-last",
        # Ranks .2 .1 none: c is second, and only the first continues.
        ETA3,
        [run("a", INF), run("b", 0.2), run("c", 0.1)],
        1,
        MAX,
        cancel=True,
        value=0.1,
        reference=0.2,
    ),
    case(
        "all-non-finite",
        ETA3,
        [run("a", NAN), run("b", INF), run("c", -INF)],
        1,
        MAX,
        cancel=None,
    ),
    case(
        "only-member",
        ETA3,
        [run("c", 0.1)],
        1,
        MAX,
        cancel=None,
    ),
    case(
        "not-a-rung",
        ETA3,
        [run("a", 0.9, 0.9), run("b", 0.8, 0.8), run("c", 0.1, 0.1)],
        2,
        MAX,
        cancel=None,
    ),
    case(
        "beyond-max-interval",
        AshaPolicy(max_interval=3),
        [run("a", *[0.9] * 9), run("b", *[0.8] * 9), run("c", *[0.1] * 9)],
        9,
        MAX,
        cancel=None,
    ),
    case(
        "min-interval-shifts-rungs",
        AshaPolicy(min_interval=2, reduction_factor=2),
        [run("a", 0.1, 0.9), run("c", 0.5, 0.4)],
        2,
        MAX,
        cancel=True,
        value=0.4,
        reference=0.9,
    ),
]


@pytest.mark.parametrize("row", CASES)
def test_asha_decision_table(row: dict) -> None:
    histories = {history.run_id: history for history in row["runs"]}

    decision = row["policy"].decide("c", row["interval"], histories, goal=row["goal"])

    if row["cancel"] is None:
        assert decision is None
        return
    assert decision is not None
    assert decision.cancel is row["cancel"]
    assert decision.value == approx_or_none(row["value"])
    assert decision.reference == approx_or_none(row["reference"])
    assert decision.policy == "AshaPolicy"


def _simulate(
    policy: AshaPolicy, curves: dict[str, list[float]], workers: int
) -> tuple[list[tuple], dict[str, str]]:
    """Run a sweep in lock step: per step, each busy worker logs one value in worker order.

    A free worker takes the next queued run at the start of a step. A run ends when the policy
    cancels it or when it has logged its whole curve.
    """
    queue = list(curves)
    slots: list[str | None] = [None] * workers
    histories: dict[str, RunHistory] = {}
    decisions: list[tuple] = []
    outcome: dict[str, str] = {}

    # Each run logs at most max(len) values, so this bound is only reached if a run hangs.
    for _ in range(sum(len(curve) for curve in curves.values()) + 1):
        for index, slot in enumerate(slots):
            if slot is None and queue:
                slots[index] = queue.pop(0)
                histories[slots[index]] = run(slots[index])

        if all(slot is None for slot in slots):
            return decisions, outcome

        for index, run_id in enumerate(slots):
            if run_id is None:
                continue

            values = [*histories[run_id].values, curves[run_id][len(histories[run_id].values)]]
            interval = len(values)
            histories[run_id] = run(run_id, *values)
            decision = policy.decide(run_id, interval, histories, goal=MAX)
            if policy.should_evaluate(interval):
                decisions.append(
                    (
                        run_id,
                        interval,
                        decision and decision.cancel,
                        decision and decision.reference,
                    )
                )

            if decision is not None and decision.cancel:
                outcome[run_id] = "cancelled"
            elif interval == len(curves[run_id]):
                outcome[run_id] = "finished"
            else:
                continue
            histories[run_id] = run(run_id, *values, finished=True)
            slots[index] = None

    pytest.fail(f"the sweep did not end; runs still in workers: {slots}")


def test_asha_two_workers_never_wait() -> None:
    # eta=3, rungs 1 and 3. Two workers, five runs of three values each:
    # step 1: r0@1 alone at rung 1 (no decision), r1@1 leads r0, kept 1: continues.
    # step 3: r0@3 alone at rung 3 (no decision), finishes; r1@3 leads r0: continues.
    # step 4: r2@1 ranks 2 of 3 (.5 .4 .2), kept 1: stopped. r3@1 ranks 4 of 4, kept 2 with
    # boundary .4: stopped.
    # step 5: r4@1 leads 5 runs, kept 2 with boundary .5: continues. step 7: r4@3 leads r0 and
    # r1: continues.
    policy = AshaPolicy(reduction_factor=3, max_interval=3)
    curves = {
        "r0": [0.2, 0.3, 0.4],
        "r1": [0.5, 0.6, 0.7],
        "r2": [0.4, 0.45, 0.5],
        "r3": [0.1, 0.15, 0.2],
        "r4": [0.6, 0.65, 0.9],
    }

    decisions, outcome = _simulate(policy, curves, workers=2)

    assert decisions == [
        ("r0", 1, None, None),
        ("r1", 1, False, 0.5),
        ("r0", 3, None, None),
        ("r1", 3, False, 0.7),
        ("r2", 1, True, 0.5),
        ("r3", 1, True, 0.4),
        ("r4", 1, False, 0.5),
        ("r4", 3, False, 0.9),
    ]
    assert outcome == {
        "r0": "finished",
        "r1": "finished",
        "r2": "cancelled",
        "r3": "cancelled",
        "r4": "finished",
    }


def test_asha_one_worker_lets_every_run_finish() -> None:
    # With one worker each run reaches every rung before the next starts, so r1 joins a rung of 2
    # and r2 a rung of 3, and each leads its rung: no rung ever waits for company.
    policy = AshaPolicy(reduction_factor=3, max_interval=3)
    curves = {"r0": [0.1, 0.1, 0.1], "r1": [0.2, 0.2, 0.2], "r2": [0.3, 0.3, 0.3]}

    decisions, outcome = _simulate(policy, curves, workers=1)

    assert decisions == [
        ("r0", 1, None, None),
        ("r0", 3, None, None),
        ("r1", 1, False, 0.2),
        ("r1", 3, False, 0.2),
        ("r2", 1, False, 0.3),
        ("r2", 3, False, 0.3),
    ]
    assert set(outcome.values()) == {"finished"}


@pytest.mark.parametrize(
    ("runs", "message"),
    [
        pytest.param(
            [run("a", 0.9), run("b", 0.5), run("c", 0.7)],
            "cancelled at interval 1 (ASHA rung 0): accuracy 0.7 ranks 2 of 3 runs at this "
            "rung and is below 0.9, the worst of the top 1 (ceil(3 / 3)) that continue",
            id="stopped",
        ),
        pytest.param(
            [run("a", 0.1), run("b", 0.3), run("d", 0.2), run("c", 0.5)],
            "continues at interval 1 (ASHA rung 0): accuracy 0.5 ranks 1 of 4 runs at this "
            "rung and is not below 0.3, the worst of the top 2 (ceil(4 / 3)) that continue",
            id="continues",
        ),
    ],
)
def test_asha_message_sentence(runs: list[RunHistory], message: str) -> None:
    histories = {history.run_id: history for history in runs}

    decision = ETA3.decide("c", 1, histories, goal=MAX, metric_name="accuracy")

    assert decision is not None
    assert decision.message == message


def test_asha_details_numbers() -> None:
    histories = {h.run_id: h for h in [run("a", 0.9, 0.9, 0.9), run("b", 0.5, 0.5, 0.5)]}
    histories["c"] = run("c", 0.7, 0.7, 0.7)

    decision = ETA3.decide("c", 3, histories, goal=MAX)

    assert decision is not None
    assert dict(decision.details) == {
        "cohort_size": 3,
        "rung": 3,
        "rung_index": 1,
        "reduction_factor": 3,
        "kept_runs": 1,
        "rank": 2,
    }


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        pytest.param({"min_interval": 0}, "min_interval=0 is invalid; use an int >= 1", id="min-0"),
        pytest.param(
            {"min_interval": True}, "min_interval=True is invalid; use an int >= 1", id="min-bool"
        ),
        pytest.param(
            {"reduction_factor": 1},
            "reduction_factor=1 is invalid; use an int >= 2",
            id="eta-1",
        ),
        pytest.param(
            {"reduction_factor": 2.5},
            "reduction_factor=2.5 is invalid; use an int >= 2",
            id="eta-float",
        ),
        pytest.param(
            {"min_interval": 4, "max_interval": 3},
            "max_interval=3 is invalid; use an int >= min_interval (4), or None for no limit",
            id="max-below-min",
        ),
        pytest.param(
            {"max_interval": "10"},
            "max_interval='10' is invalid; use an int >= min_interval (1), or None for no limit",
            id="max-text",
        ),
    ],
)
def test_asha_rejects_invalid_arguments(arguments: dict, message: str) -> None:
    with pytest.raises(InvalidConfigError, match=re.escape(message)):
        AshaPolicy(**arguments)


def test_asha_arguments_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        AshaPolicy(1, 3)  # type: ignore[misc]
