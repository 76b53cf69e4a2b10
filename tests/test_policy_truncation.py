"""TruncationSelectionPolicy: hand-computed ranks, boundaries and ties."""

from __future__ import annotations

import math
import re

import pytest

from hypersweep.enums import PrimaryMetricGoal
from hypersweep.errors import InvalidConfigError
from hypersweep.policies import RunHistory, TruncationSelectionPolicy

from conftest import approx_or_none

MAX = PrimaryMetricGoal.MAXIMIZE
MIN = PrimaryMetricGoal.MINIMIZE
NAN = math.nan
INF = math.inf

P25 = TruncationSelectionPolicy(25)
P34 = TruncationSelectionPolicy(34)
P50 = TruncationSelectionPolicy(50)
P50_EXCLUDE = TruncationSelectionPolicy(50, exclude_finished_runs=True)


def run(run_id: str, *values: float, finished: bool = False, parent: bool = False) -> RunHistory:
    return RunHistory(run_id, list(values), finished, from_parent=parent)


def case(
    case_id: str,
    policy: TruncationSelectionPolicy,
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


# In the comments: n = cohort size, k = floor(n * p / 100), kept = n - k, and the reference is
# the value at rank `kept`.
CASES = [
    case(
        "max-worst-quarter",
        # n=4, k=1, kept=3: ranks .9 .8 .7 .6, boundary .7, three runs better than c.
        P25,
        [run("a", 0.9), run("b", 0.8), run("d", 0.7), run("c", 0.6)],
        1,
        MAX,
        cancel=True,
        value=0.6,
        reference=0.7,
    ),
    case(
        "max-second-worst",
        P25,
        [run("a", 0.9), run("b", 0.8), run("d", 0.6), run("c", 0.7)],
        1,
        MAX,
        cancel=False,
        value=0.7,
        reference=0.7,
    ),
    case(
        "tie-at-boundary",
        # n=4, k=2, kept=2: ranks .9 .6 .6 .6, boundary .6, only one run better than c.
        P50,
        [run("a", 0.9), run("b", 0.6), run("d", 0.6), run("c", 0.6)],
        1,
        MAX,
        cancel=False,
        value=0.6,
        reference=0.6,
    ),
    case(
        "tie-below-boundary",
        # n=4, k=2, kept=2: ranks .9 .8 .5 .5, boundary .8, two runs better than c.
        P50,
        [run("a", 0.9), run("b", 0.8), run("d", 0.5), run("c", 0.5)],
        1,
        MAX,
        cancel=True,
        value=0.5,
        reference=0.8,
    ),
    case(
        "k-rounds-down-to-zero",
        # n=3, k=floor(0.75)=0.
        P25,
        [run("a", 0.9), run("b", 0.8), run("c", 0.1)],
        1,
        MAX,
        cancel=False,
        value=0.1,
        reference=None,
    ),
    case(
        "min-worst-third",
        # n=3, k=floor(1.02)=1, kept=2: ranks .1 .2 .3, boundary .2.
        P34,
        [run("a", 0.1), run("b", 0.2), run("c", 0.3)],
        1,
        MIN,
        cancel=True,
        value=0.3,
        reference=0.2,
    ),
    case(
        "min-best",
        P34,
        [run("a", 0.2), run("b", 0.3), run("c", 0.1)],
        1,
        MIN,
        cancel=False,
        value=0.1,
        reference=0.2,
    ),
    case(
        "max-negative",
        # n=3, k=1, kept=2: ranks -1 -2 -3, boundary -2.
        P50,
        [run("a", -1.0), run("b", -2.0), run("c", -3.0)],
        1,
        MAX,
        cancel=True,
        value=-3.0,
        reference=-2.0,
    ),
    case(
        "min-negative",
        # MINIMIZE ranks -3 -2 -1, boundary -2, and c has the best value, -3.
        P50,
        [run("a", -1.0), run("b", -2.0), run("c", -3.0)],
        1,
        MIN,
        cancel=False,
        value=-3.0,
        reference=-2.0,
    ),
    case(
        "best-of-first-n",
        # b(3): a 0.9, b 0.5, c 0.7. n=3, k=1, kept=2: boundary 0.7.
        P34,
        [run("a", 0.1, 0.9, 0.2), run("b", 0.5, 0.5, 0.5), run("c", 0.6, 0.4, 0.7)],
        3,
        MAX,
        cancel=False,
        value=0.7,
        reference=0.7,
    ),
    case(
        "non-finite-run-ranks-last",
        # Ranks .9 .5 none: boundary .5, one run better than c.
        P34,
        [run("a", 0.9, 0.8), run("n", NAN, INF), run("c", 0.5, -INF)],
        2,
        MAX,
        cancel=False,
        value=0.5,
        reference=0.5,
    ),
    case(
        "candidate-non-finite",
        P34,
        [run("a", 0.9), run("b", 0.5), run("c", NAN)],
        1,
        MAX,
        cancel=True,
        value=None,
        reference=0.5,
    ),
    case(
        "non-finite-ties",
        # Ranks .9 then two non-finite runs: the boundary at rank 2 is non-finite, and only one
        # run beats c.
        P50,
        [run("a", 0.9), run("n", NAN), run("c", INF)],
        1,
        MAX,
        cancel=False,
        value=None,
        reference=None,
    ),
    case(
        "all-non-finite",
        P50,
        [run("a", NAN), run("c", -INF)],
        1,
        MAX,
        cancel=None,
    ),
    case(
        "only-member",
        P50,
        [run("c", 0.1)],
        1,
        MAX,
        cancel=None,
    ),
    case(
        "short-run-not-in-cohort",
        # Without "a": n=2, k=1, kept=1, boundary .8. With it, c would rank 2 of 3 and continue.
        P50,
        [run("a", 0.1), run("b", 0.8, 0.8), run("c", 0.5, 0.5)],
        2,
        MAX,
        cancel=True,
        value=0.5,
        reference=0.8,
    ),
    case(
        "finished-runs-counted",
        # n=4, k=2, kept=2: ranks .9 .8 .7 .6, boundary .8.
        P50,
        [
            run("f1", 0.9, finished=True),
            run("f2", 0.8, finished=True),
            run("c", 0.7),
            run("r", 0.6),
        ],
        1,
        MAX,
        cancel=True,
        value=0.7,
        reference=0.8,
    ),
    case(
        "exclude-finished-runs",
        # Cohort c and r only: n=2, k=1, kept=1, boundary .7.
        P50_EXCLUDE,
        [
            run("f1", 0.9, finished=True),
            run("f2", 0.8, finished=True),
            run("c", 0.7),
            run("r", 0.6),
        ],
        1,
        MAX,
        cancel=False,
        value=0.7,
        reference=0.7,
    ),
    case(
        "exclude-finished-leaves-candidate-alone",
        P50_EXCLUDE,
        [run("f", 0.9, finished=True), run("c", 0.1)],
        1,
        MAX,
        cancel=None,
    ),
    case(
        "exclude-finished-keeps-candidate",
        P50_EXCLUDE,
        [run("r", 0.9), run("c", 0.1, finished=True)],
        1,
        MAX,
        cancel=True,
        value=0.1,
        reference=0.9,
    ),
    case(
        "warm-start-parents-counted",
        # n=4, k=2, kept=2: boundary .8. Without the parents c would lead a cohort of two.
        P50,
        [
            run("p1", 0.9, finished=True, parent=True),
            run("p2", 0.8, finished=True, parent=True),
            run("r", 0.4),
            run("c", 0.5),
        ],
        1,
        MAX,
        cancel=True,
        value=0.5,
        reference=0.8,
    ),
    case(
        "before-delay",
        TruncationSelectionPolicy(50, delay_evaluation=2),
        [run("a", 0.9), run("c", 0.1)],
        1,
        MAX,
        cancel=None,
    ),
    case(
        "on-interval",
        TruncationSelectionPolicy(50, evaluation_interval=2),
        [run("a", 0.9, 0.9), run("c", 0.1, 0.1)],
        2,
        MAX,
        cancel=True,
        value=0.1,
        reference=0.9,
    ),
]


@pytest.mark.parametrize("row", CASES)
def test_truncation_decision_table(row: dict) -> None:
    histories = {history.run_id: history for history in row["runs"]}

    decision = row["policy"].decide("c", row["interval"], histories, goal=row["goal"])

    if row["cancel"] is None:
        assert decision is None
        return
    assert decision is not None
    assert decision.cancel is row["cancel"]
    assert decision.value == approx_or_none(row["value"])
    assert decision.reference == approx_or_none(row["reference"])
    assert decision.policy == "TruncationSelectionPolicy"


def _decide(policy: TruncationSelectionPolicy, *runs: RunHistory):
    histories = {history.run_id: history for history in runs}
    return policy.decide("c", 1, histories, goal=MAX, metric_name="accuracy")


@pytest.mark.parametrize(
    ("policy", "runs", "message"),
    [
        pytest.param(
            P25,
            [run("a", 0.9), run("b", 0.8), run("d", 0.7), run("c", 0.6)],
            "cancelled at interval 1: best accuracy 0.6 ranks 4 of 4 runs and is below 0.7, "
            "the worst value kept when truncating 25% (the bottom 1 run)",
            id="cancel",
        ),
        pytest.param(
            P50,
            [run("a", 0.9), run("b", 0.6), run("d", 0.6), run("c", 0.6)],
            "continues at interval 1: best accuracy 0.6 ranks 2 of 4 runs and is not below 0.6, "
            "the worst value kept when truncating 50% (the bottom 2 runs)",
            id="tie-continues",
        ),
        pytest.param(
            P25,
            [run("a", 0.9), run("b", 0.8), run("c", 0.1)],
            "continues at interval 1: truncating 25% of 3 runs rounds down to 0 runs, "
            "so none is cancelled",
            id="nothing-to-truncate",
        ),
    ],
)
def test_truncation_message_sentence(policy, runs, message) -> None:
    decision = _decide(policy, *runs)

    assert decision is not None
    assert decision.message == message


def test_truncation_details_numbers() -> None:
    decision = _decide(P25, run("a", 0.9), run("b", 0.8), run("d", 0.7), run("c", 0.6))

    assert decision is not None
    assert dict(decision.details) == {
        "cohort_size": 4,
        "truncation_percentage": 25,
        "truncated_runs": 1,
        "kept_runs": 3,
        "rank": 4,
    }


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        pytest.param(
            {"truncation_percentage": 0},
            "truncation_percentage=0 is invalid; use an int from 1 to 99",
            id="zero",
        ),
        pytest.param(
            {"truncation_percentage": 100},
            "truncation_percentage=100 is invalid; use an int from 1 to 99",
            id="hundred",
        ),
        pytest.param(
            {"truncation_percentage": 20.0},
            "truncation_percentage=20.0 is invalid; use an int from 1 to 99",
            id="float",
        ),
        pytest.param(
            {"truncation_percentage": True},
            "truncation_percentage=True is invalid; use an int from 1 to 99",
            id="bool",
        ),
        pytest.param(
            {"truncation_percentage": 20, "exclude_finished_runs": "yes"},
            "exclude_finished_runs='yes' is invalid; use True or False",
            id="exclude-text",
        ),
        pytest.param(
            {"truncation_percentage": 20, "evaluation_interval": -2},
            "evaluation_interval=-2 is invalid; use an int >= 1",
            id="interval-negative",
        ),
    ],
)
def test_truncation_rejects_invalid_arguments(arguments: dict, message: str) -> None:
    with pytest.raises(InvalidConfigError, match=re.escape(message)):
        TruncationSelectionPolicy(**arguments)


def test_truncation_percentage_is_required() -> None:
    with pytest.raises(TypeError, match="truncation_percentage"):
        TruncationSelectionPolicy()  # type: ignore[call-arg]
