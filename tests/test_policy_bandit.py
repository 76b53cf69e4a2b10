"""BanditPolicy: hand-computed decisions for both goals, both slacks and non-finite values."""

from __future__ import annotations

import math
import re

import pytest

from hypersweep.enums import PrimaryMetricGoal
from hypersweep.errors import InvalidConfigError
from hypersweep.policies import BanditPolicy, RunHistory

from conftest import approx_or_none

MAX = PrimaryMetricGoal.MAXIMIZE
MIN = PrimaryMetricGoal.MINIMIZE
NAN = math.nan
INF = math.inf

FACTOR_02 = BanditPolicy(slack_factor=0.2)
FACTOR_05 = BanditPolicy(slack_factor=0.5)
AMOUNT_025 = BanditPolicy(slack_amount=0.25)


def run(run_id: str, *values: float, finished: bool = False, parent: bool = False) -> RunHistory:
    return RunHistory(run_id, list(values), finished, from_parent=parent)


def case(
    case_id: str,
    policy: BanditPolicy,
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


CASES = [
    # slack_factor, MAXIMIZE, best >= 0: threshold = best / (1 + s).
    case(
        "factor-max-below-threshold",
        FACTOR_02,
        [run("best", 0.7, 0.8, 0.75), run("c", 0.55, 0.61, 0.6)],
        3,
        MAX,
        cancel=True,
        value=0.61,
        reference=0.6666666666666667,  # 0.8 / 1.2
    ),
    case(
        "factor-max-above-threshold",
        FACTOR_02,
        [run("best", 0.7, 0.8, 0.75), run("c", 0.6, 0.7, 0.65)],
        3,
        MAX,
        cancel=False,
        value=0.7,
        reference=0.6666666666666667,
    ),
    case(
        "factor-max-equal-threshold",
        FACTOR_05,
        [run("best", 0.75), run("c", 0.5)],
        1,
        MAX,
        cancel=False,
        value=0.5,
        reference=0.5,  # 0.75 / 1.5
    ),
    case(
        "factor-max-zero-best",
        FACTOR_05,
        [run("best", 0.0), run("c", -0.25)],
        1,
        MAX,
        cancel=True,
        value=-0.25,
        reference=0.0,  # 0 / 1.5
    ),
    # slack_factor, MAXIMIZE, best < 0: threshold = best * (1 + s).
    case(
        "factor-max-negative-best-below",
        FACTOR_05,
        [run("best", -4.0, -2.0), run("c", -3.5, -3.25)],
        2,
        MAX,
        cancel=True,
        value=-3.25,
        reference=-3.0,  # -2 * 1.5
    ),
    case(
        "factor-max-negative-best-above",
        FACTOR_05,
        [run("best", -4.0, -2.0), run("c", -3.0, -2.75)],
        2,
        MAX,
        cancel=False,
        value=-2.75,
        reference=-3.0,
    ),
    # slack_factor, MINIMIZE, best >= 0: threshold = best * (1 + s).
    case(
        "factor-min-positive-best-above",
        FACTOR_05,
        [run("best", 0.75, 0.5), run("c", 1.0, 0.875)],
        2,
        MIN,
        cancel=True,
        value=0.875,
        reference=0.75,  # 0.5 * 1.5
    ),
    case(
        "factor-min-positive-best-equal",
        FACTOR_05,
        [run("best", 0.75, 0.5), run("c", 1.0, 0.75)],
        2,
        MIN,
        cancel=False,
        value=0.75,
        reference=0.75,
    ),
    # slack_factor, MINIMIZE, best < 0: threshold = best / (1 + s).
    case(
        "factor-min-negative-best-above",
        FACTOR_05,
        [run("best", -2.0, -3.0), run("c", -1.0, -1.5)],
        2,
        MIN,
        cancel=True,
        value=-1.5,
        reference=-2.0,  # -3 / 1.5
    ),
    case(
        "factor-min-negative-best-below",
        FACTOR_05,
        [run("best", -2.0, -3.0), run("c", -1.0, -2.5)],
        2,
        MIN,
        cancel=False,
        value=-2.5,
        reference=-2.0,
    ),
    # slack_amount: threshold = best - a (MAXIMIZE) or best + a (MINIMIZE).
    case(
        "amount-max-below",
        AMOUNT_025,
        [run("best", 0.75), run("c", 0.4375)],
        1,
        MAX,
        cancel=True,
        value=0.4375,
        reference=0.5,
    ),
    case(
        "amount-max-equal",
        AMOUNT_025,
        [run("best", 0.75), run("c", 0.5)],
        1,
        MAX,
        cancel=False,
        value=0.5,
        reference=0.5,
    ),
    case(
        "amount-max-negative",
        AMOUNT_025,
        [run("best", -1.0), run("c", -1.5)],
        1,
        MAX,
        cancel=True,
        value=-1.5,
        reference=-1.25,
    ),
    case(
        "amount-min-above",
        AMOUNT_025,
        [run("best", 0.25), run("c", 0.625)],
        1,
        MIN,
        cancel=True,
        value=0.625,
        reference=0.5,
    ),
    case(
        "amount-min-negative-below",
        AMOUNT_025,
        [run("best", -1.0), run("c", -0.875)],
        1,
        MIN,
        cancel=False,
        value=-0.875,
        reference=-0.75,
    ),
    # Non-finite values never count as a best.
    case(
        "nan-and-inf-skipped-max",
        FACTOR_05,
        [run("best", NAN, 0.75, INF), run("c", 0.4, -INF, NAN)],
        3,
        MAX,
        cancel=True,
        value=0.4,
        reference=0.5,  # 0.75 / 1.5, not inf / 1.5
    ),
    case(
        "minus-inf-skipped-min",
        FACTOR_05,
        [run("best", -INF, 0.5, NAN), run("c", 0.875, NAN, INF)],
        3,
        MIN,
        cancel=True,
        value=0.875,
        reference=0.75,
    ),
    case(
        "all-non-finite",
        FACTOR_05,
        [run("a", NAN, INF), run("c", -INF, NAN)],
        2,
        MAX,
        cancel=None,
    ),
    case(
        "candidate-non-finite",
        FACTOR_05,
        [run("best", 0.75, NAN), run("c", NAN, INF)],
        2,
        MAX,
        cancel=True,
        value=None,
        reference=0.5,
    ),
    case(
        "other-non-finite",
        FACTOR_05,
        [run("a", NAN), run("c", 0.25)],
        1,
        MAX,
        cancel=False,
        value=0.25,
        reference=0.16666666666666666,  # 0.25 / 1.5
    ),
    # Cohorts: runs with at least `interval` values, whatever their status.
    case(
        "only-member",
        FACTOR_05,
        [run("c", -5.0, -6.0)],
        2,
        MAX,
        cancel=None,
    ),
    case(
        "other-too-short",
        FACTOR_05,
        [run("a", 0.9), run("c", 0.1, 0.2)],
        2,
        MAX,
        cancel=None,
    ),
    case(
        "short-run-not-in-cohort",
        FACTOR_05,
        # With "a" counted, the threshold would be 0.99 / 1.5 = 0.66 and "c" would be cancelled.
        [run("a", 0.99), run("b", 0.5, 0.6), run("c", 0.45, 0.55)],
        2,
        MAX,
        cancel=False,
        value=0.55,
        reference=0.4,  # 0.6 / 1.5
    ),
    case(
        "later-values-ignored",
        FACTOR_05,
        [run("a", 0.5, 0.6, 0.99), run("c", 0.45, 0.55)],
        2,
        MAX,
        cancel=False,
        value=0.55,
        reference=0.4,
    ),
    case(
        "finished-run-in-cohort",
        FACTOR_05,
        [run("a", 0.75, 0.6, finished=True), run("c", 0.25, 0.4375)],
        2,
        MAX,
        cancel=True,
        value=0.4375,
        reference=0.5,
    ),
    case(
        "warm-start-parent-in-cohort",
        FACTOR_05,
        # Without the parent run the best would be 0.5 and the threshold 0.33.
        [run("p", 0.75, finished=True, parent=True), run("b", 0.5), run("c", 0.4375)],
        1,
        MAX,
        cancel=True,
        value=0.4375,
        reference=0.5,
    ),
    case(
        "candidate-is-best",
        FACTOR_02,
        [run("a", 0.5), run("c", 0.9)],
        1,
        MAX,
        cancel=False,
        value=0.9,
        reference=0.75,  # 0.9 / 1.2
    ),
    # The schedule: delay_evaluation and evaluation_interval.
    case(
        "before-delay",
        BanditPolicy(slack_factor=0.5, delay_evaluation=5),
        [run("best", 0.75, 0.75, 0.75), run("c", 0.1, 0.1, 0.1)],
        3,
        MAX,
        cancel=None,
    ),
    case(
        "at-delay",
        BanditPolicy(slack_factor=0.5, delay_evaluation=3),
        [run("best", 0.75, 0.75, 0.75), run("c", 0.1, 0.1, 0.1)],
        3,
        MAX,
        cancel=True,
        value=0.1,
        reference=0.5,
    ),
    case(
        "off-interval",
        BanditPolicy(slack_factor=0.5, evaluation_interval=2),
        [run("best", 0.75, 0.75, 0.75), run("c", 0.1, 0.1, 0.1)],
        3,
        MAX,
        cancel=None,
    ),
]


@pytest.mark.parametrize("row", CASES)
def test_bandit_decision_table(row: dict) -> None:
    histories = {history.run_id: history for history in row["runs"]}

    decision = row["policy"].decide("c", row["interval"], histories, goal=row["goal"])

    if row["cancel"] is None:
        assert decision is None
        return
    assert decision is not None
    assert decision.cancel is row["cancel"]
    assert decision.value == approx_or_none(row["value"])
    assert decision.reference == approx_or_none(row["reference"])
    assert decision.policy == "BanditPolicy"
    assert decision.interval == row["interval"]


def _decide(policy: BanditPolicy, goal: PrimaryMetricGoal, *runs: RunHistory, interval: int = 1):
    histories = {history.run_id: history for history in runs}
    return policy.decide("c", interval, histories, goal=goal, metric_name="accuracy")


@pytest.mark.parametrize(
    ("policy", "goal", "runs", "message"),
    [
        pytest.param(
            FACTOR_02,
            MAX,
            [run("a", 0.8), run("c", 0.61)],
            "cancelled at interval 1: best accuracy 0.61 is below 0.666667 = 0.8 / (1 + 0.2)",
            id="factor-cancel",
        ),
        pytest.param(
            FACTOR_02,
            MAX,
            [run("a", 0.8), run("c", 0.7)],
            "continues at interval 1: best accuracy 0.7 is not below 0.666667 = 0.8 / (1 + 0.2)",
            id="factor-continue",
        ),
        pytest.param(
            FACTOR_05,
            MAX,
            [run("a", -2.0), run("c", -3.25)],
            "cancelled at interval 1: best accuracy -3.25 is below -3 = -2 * (1 + 0.5)",
            id="factor-negative-best",
        ),
        pytest.param(
            AMOUNT_025,
            MIN,
            [run("a", 0.25), run("c", 0.625)],
            "cancelled at interval 1: best accuracy 0.625 is above 0.5 = 0.25 + 0.25",
            id="amount-minimize",
        ),
        pytest.param(
            AMOUNT_025,
            MAX,
            [run("a", 0.75), run("c", NAN)],
            "cancelled at interval 1: best accuracy none (no finite value among the first 1) "
            "is below 0.5 = 0.75 - 0.25",
            id="candidate-non-finite",
        ),
    ],
)
def test_bandit_message_sentence(policy, goal, runs, message) -> None:
    decision = _decide(policy, goal, *runs)

    assert decision is not None
    assert decision.message == message


def test_bandit_details_numbers() -> None:
    decision = _decide(FACTOR_05, MAX, run("a", 0.75), run("b", 0.6), run("c", 0.4375))

    assert decision is not None
    assert dict(decision.details) == {
        "cohort_size": 3,
        "best": 0.75,
        "best_run": "a",
        "slack_factor": 0.5,
        "threshold": 0.5,
    }


def test_bandit_details_slack_amount() -> None:
    decision = _decide(AMOUNT_025, MIN, run("a", 0.25), run("c", 0.625))

    assert decision is not None
    assert decision.details["slack_amount"] == 0.25
    assert "slack_factor" not in decision.details


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        pytest.param({}, "BanditPolicy needs a slack: set slack_factor", id="no-slack"),
        pytest.param(
            {"slack_factor": 0.1, "slack_amount": 0.2},
            "slack_factor=0.1 and slack_amount=0.2 are both set; set exactly one of them",
            id="both-slacks",
        ),
        pytest.param(
            {"slack_factor": 0}, "slack_factor=0 is invalid; use a number > 0", id="factor-zero"
        ),
        pytest.param(
            {"slack_factor": -0.1},
            "slack_factor=-0.1 is invalid; use a number > 0",
            id="factor-negative",
        ),
        pytest.param(
            {"slack_amount": 0.0},
            "slack_amount=0.0 is invalid; use a number > 0",
            id="amount-zero",
        ),
        pytest.param(
            {"slack_amount": NAN},
            "slack_amount=nan is invalid; use a finite number > 0",
            id="amount-nan",
        ),
        pytest.param(
            {"slack_factor": True},
            "slack_factor=True is invalid; use a number > 0",
            id="factor-bool",
        ),
        pytest.param(
            {"slack_factor": "0.1"},
            "slack_factor='0.1' is invalid; use a number > 0",
            id="factor-text",
        ),
        pytest.param(
            {"slack_factor": 0.1, "evaluation_interval": 0},
            "evaluation_interval=0 is invalid; use an int >= 1",
            id="interval-zero",
        ),
        pytest.param(
            {"slack_factor": 0.1, "delay_evaluation": -1},
            "delay_evaluation=-1 is invalid; use an int >= 0",
            id="delay-negative",
        ),
    ],
)
def test_bandit_rejects_invalid_arguments(arguments: dict, message: str) -> None:
    with pytest.raises(InvalidConfigError, match=re.escape(message)):
        BanditPolicy(**arguments)


def test_bandit_accepts_integer_slack() -> None:
    policy = BanditPolicy(slack_amount=1)

    assert policy.slack_amount == 1.0
    assert isinstance(policy.slack_amount, float)
