"""MedianStoppingPolicy: hand-computed medians of running averages over the other runs."""

from __future__ import annotations

import math
import re

import pytest

from hypersweep.enums import PrimaryMetricGoal
from hypersweep.errors import InvalidConfigError
from hypersweep.policies import MedianStoppingPolicy, RunHistory

from conftest import approx_or_none

MAX = PrimaryMetricGoal.MAXIMIZE
MIN = PrimaryMetricGoal.MINIMIZE
NAN = math.nan
INF = math.inf

MEDIAN = MedianStoppingPolicy()


def run(run_id: str, *values: float, finished: bool = False, parent: bool = False) -> RunHistory:
    return RunHistory(run_id, list(values), finished, from_parent=parent)


def case(
    case_id: str,
    runs: list[RunHistory],
    interval: int,
    goal: PrimaryMetricGoal,
    cancel: bool | None,
    value: float | None = None,
    reference: float | None = None,
    policy: MedianStoppingPolicy = MEDIAN,
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


# Running averages at interval 2: a = 0.625, b = 0.5, z = 0.25, so the median is 0.5.
OTHERS = [run("a", 0.5, 0.75), run("b", 0.75, 0.25), run("z", 0.25, 0.25)]

CASES = [
    case(
        "max-below-median",
        [*OTHERS, run("c", 0.375, 0.4375)],
        2,
        MAX,
        cancel=True,
        value=0.4375,
        reference=0.5,
    ),
    case(
        "max-equal-median",
        [*OTHERS, run("c", 0.5, 0.25)],
        2,
        MAX,
        cancel=False,
        value=0.5,
        reference=0.5,
    ),
    case(
        "max-above-median",
        [*OTHERS, run("c", 0.25, 0.75)],
        2,
        MAX,
        cancel=False,
        value=0.75,
        reference=0.5,
    ),
    case(
        "even-count-mean-of-middle",
        # Averages 0.625, 0.5, 0.25, 0.75: the median is (0.5 + 0.625) / 2 = 0.5625.
        [*OTHERS, run("d", 0.75, 0.75), run("c", 0.5, 0.5)],
        2,
        MAX,
        cancel=True,
        value=0.5,
        reference=0.5625,
    ),
    case(
        "candidate-left-out-of-median",
        # Averages of the others: 0.25 and 0.75, median 0.5. With the candidate's own 0.375
        # included, the median would be 0.375 and the candidate would continue.
        [run("a", 0.25, 0.25), run("b", 0.75, 0.75), run("c", 0.375, 0.375)],
        2,
        MAX,
        cancel=True,
        value=0.375,
        reference=0.5,
    ),
    case(
        "best-against-average",
        # The other run's best is 1.0 but its running average is 0.5.
        [run("a", 0.0, 1.0), run("c", 0.75, 0.5)],
        2,
        MAX,
        cancel=False,
        value=0.75,
        reference=0.5,
    ),
    case(
        "min-above-median",
        # Averages 1, 2, 3: median 2. The candidate's best (its minimum) is 2.5.
        [run("a", 1.5, 0.5), run("b", 3.0, 1.0), run("z", 2.0, 4.0), run("c", 3.0, 2.5)],
        2,
        MIN,
        cancel=True,
        value=2.5,
        reference=2.0,
    ),
    case(
        "min-equal-median",
        [run("a", 1.5, 0.5), run("b", 3.0, 1.0), run("z", 2.0, 4.0), run("c", 3.0, 2.0)],
        2,
        MIN,
        cancel=False,
        value=2.0,
        reference=2.0,
    ),
    case(
        "max-negative-metrics",
        # Averages -1, -2, -3: median -2.
        [run("a", -1.0), run("b", -2.0), run("z", -3.0), run("c", -2.5)],
        1,
        MAX,
        cancel=True,
        value=-2.5,
        reference=-2.0,
    ),
    case(
        "min-negative-metrics",
        [run("a", -1.0), run("b", -2.0), run("z", -3.0), run("c", -2.5)],
        1,
        MIN,
        cancel=False,
        value=-2.5,
        reference=-2.0,
    ),
    case(
        "non-finite-skipped-in-average",
        # x averages (0.5 + 0.75) / 2 = 0.625, y has no finite value and is left out, z = 0.25:
        # median (0.25 + 0.625) / 2 = 0.4375. The candidate's best skips -inf.
        [
            run("x", NAN, 0.5, INF, 0.75),
            run("y", NAN, NAN, INF, -INF),
            run("z", 0.25, 0.25, 0.25, 0.25),
            run("c", 0.4, -INF, 0.25, NAN),
        ],
        4,
        MAX,
        cancel=True,
        value=0.4,
        reference=0.4375,
    ),
    case(
        "others-all-non-finite",
        [run("a", NAN, INF), run("b", -INF, NAN), run("c", 0.1, 0.2)],
        2,
        MAX,
        cancel=None,
    ),
    case(
        "candidate-non-finite",
        [run("a", 0.5), run("b", 0.25), run("c", NAN)],
        1,
        MAX,
        cancel=True,
        value=None,
        reference=0.375,
    ),
    case(
        "only-member",
        [run("c", 0.1, 0.2)],
        2,
        MAX,
        cancel=None,
    ),
    case(
        "short-run-not-in-cohort",
        # "a" has 1 value: at interval 2 the median is b's average 0.25 alone.
        [run("a", 0.9), run("b", 0.25, 0.25), run("c", 0.2, 0.3)],
        2,
        MAX,
        cancel=False,
        value=0.3,
        reference=0.25,
    ),
    case(
        "finished-and-parent-runs-in-cohort",
        [
            run("p", 0.75, 0.75, finished=True, parent=True),
            run("f", 0.5, 0.75, finished=True),
            run("c", 0.5, 0.5),
        ],
        2,
        MAX,
        cancel=True,
        value=0.5,
        reference=0.6875,  # median of 0.75 and 0.625
    ),
    case(
        "before-delay",
        [run("a", 0.9, 0.9), run("c", 0.1, 0.1)],
        2,
        MAX,
        cancel=None,
        policy=MedianStoppingPolicy(delay_evaluation=5),
    ),
    case(
        "off-interval",
        [run("a", 0.9, 0.9, 0.9), run("c", 0.1, 0.1, 0.1)],
        3,
        MAX,
        cancel=None,
        policy=MedianStoppingPolicy(evaluation_interval=2),
    ),
]


@pytest.mark.parametrize("row", CASES)
def test_median_decision_table(row: dict) -> None:
    histories = {history.run_id: history for history in row["runs"]}

    decision = row["policy"].decide("c", row["interval"], histories, goal=row["goal"])

    if row["cancel"] is None:
        assert decision is None
        return
    assert decision is not None
    assert decision.cancel is row["cancel"]
    assert decision.value == approx_or_none(row["value"])
    assert decision.reference == approx_or_none(row["reference"])
    assert decision.policy == "MedianStoppingPolicy"


@pytest.mark.parametrize(
    ("goal", "runs", "message"),
    [
        pytest.param(
            MAX,
            [run("a", 0.5), run("b", 0.75), run("z", 0.25), run("c", 0.4375)],
            "cancelled at interval 1: best loss 0.4375 is below 0.5, the median of the running "
            "averages of 3 other runs",
            id="cancel-max",
        ),
        pytest.param(
            MIN,
            [run("a", 0.5), run("c", 0.5)],
            "continues at interval 1: best loss 0.5 is not above 0.5, the median of the running "
            "averages of 1 other run",
            id="continue-min-tie",
        ),
    ],
)
def test_median_message_sentence(goal, runs, message) -> None:
    histories = {history.run_id: history for history in runs}

    decision = MEDIAN.decide("c", 1, histories, goal=goal, metric_name="loss")

    assert decision is not None
    assert decision.message == message


def test_median_details_numbers() -> None:
    histories = {history.run_id: history for history in [*OTHERS, run("c", 0.375, 0.4375)]}

    decision = MEDIAN.decide("c", 2, histories, goal=MAX)

    assert decision is not None
    assert dict(decision.details) == {"cohort_size": 4, "median": 0.5, "averaged_runs": 3}


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        pytest.param(
            {"evaluation_interval": 0},
            "evaluation_interval=0 is invalid; use an int >= 1",
            id="interval-zero",
        ),
        pytest.param(
            {"evaluation_interval": 2.0},
            "evaluation_interval=2.0 is invalid; use an int >= 1",
            id="interval-float",
        ),
        pytest.param(
            {"delay_evaluation": True},
            "delay_evaluation=True is invalid; use an int >= 0",
            id="delay-bool",
        ),
    ],
)
def test_median_rejects_invalid_arguments(arguments: dict, message: str) -> None:
    with pytest.raises(InvalidConfigError, match=re.escape(message)):
        MedianStoppingPolicy(**arguments)
