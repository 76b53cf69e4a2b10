"""The contract that every early termination policy keeps, and their serialised forms."""

from __future__ import annotations

import copy
import json
import math
import re

import numpy as np
import pytest
import yaml

import hypersweep.policies as policies
from hypersweep.enums import PrimaryMetricGoal
from hypersweep.errors import InvalidConfigError, InvalidMetricError
from hypersweep.policies import (
    AshaPolicy,
    BanditPolicy,
    EarlyTerminationPolicy,
    MedianStoppingPolicy,
    NoTerminationPolicy,
    RunHistory,
    TerminationDecision,
    TruncationSelectionPolicy,
    policy_from_dict,
    policy_from_yaml,
)

MAX = PrimaryMetricGoal.MAXIMIZE
NAN = math.nan
INF = math.inf

ALL_POLICIES = [
    pytest.param(BanditPolicy(slack_factor=0.1), id="bandit-factor"),
    pytest.param(
        BanditPolicy(slack_amount=0.5, evaluation_interval=2, delay_evaluation=4),
        id="bandit-amount",
    ),
    pytest.param(MedianStoppingPolicy(evaluation_interval=3, delay_evaluation=1), id="median"),
    pytest.param(TruncationSelectionPolicy(20, exclude_finished_runs=True), id="truncation"),
    pytest.param(NoTerminationPolicy(), id="no-termination"),
    pytest.param(AshaPolicy(min_interval=2, reduction_factor=4, max_interval=32), id="asha"),
]


def run(run_id: str, *values: float, finished: bool = False) -> RunHistory:
    return RunHistory(run_id, list(values), finished)


def test_all_lists_the_public_names() -> None:
    public = {
        name
        for name, value in vars(policies).items()
        if not name.startswith("_")
        and not isinstance(value, type(policies))
        and name != "annotations"
    }

    assert set(policies.__all__) == public
    for name in policies.__all__:
        assert getattr(policies, name) is not None


@pytest.mark.parametrize(
    ("evaluation_interval", "delay_evaluation", "expected"),
    [
        pytest.param(1, 0, list(range(1, 13)), id="interval-1-delay-0"),
        pytest.param(1, 5, [5, 6, 7, 8, 9, 10, 11, 12], id="interval-1-delay-5"),
        pytest.param(2, 5, [6, 8, 10, 12], id="interval-2-delay-5"),
        pytest.param(3, 0, [3, 6, 9, 12], id="interval-3-delay-0"),
        pytest.param(4, 6, [8, 12], id="interval-4-delay-6"),
    ],
)
@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda **kw: BanditPolicy(slack_factor=0.1, **kw), id="bandit"),
        pytest.param(lambda **kw: MedianStoppingPolicy(**kw), id="median"),
        pytest.param(lambda **kw: TruncationSelectionPolicy(10, **kw), id="truncation"),
    ],
)
def test_evaluation_schedule(make, evaluation_interval, delay_evaluation, expected) -> None:
    policy = make(evaluation_interval=evaluation_interval, delay_evaluation=delay_evaluation)

    evaluated = [n for n in range(1, 13) if policy.should_evaluate(n)]

    assert evaluated == expected


def test_no_termination_never_evaluates() -> None:
    policy = NoTerminationPolicy()
    histories = {"a": run("a", 0.9), "c": run("c", NAN)}

    assert not any(policy.should_evaluate(n) for n in range(1, 100))
    assert policy.decide("c", 1, histories, goal=MAX) is None


@pytest.mark.parametrize(
    ("interval", "error", "message"),
    [
        pytest.param(0, ValueError, "interval=0 is invalid; intervals count from 1", id="zero"),
        pytest.param(True, TypeError, "interval=True is invalid; use an int >= 1", id="bool"),
        pytest.param(2.0, TypeError, "interval=2.0 is invalid; use an int >= 1", id="float"),
    ],
)
@pytest.mark.parametrize("policy", ALL_POLICIES)
def test_should_evaluate_rejects_bad_interval(policy, interval, error, message) -> None:
    with pytest.raises(error, match=re.escape(message)):
        policy.should_evaluate(interval)


def _sweep_lists() -> dict[str, list[float]]:
    return {
        "a": [0.9, 0.8, 0.95, 0.9],
        "b": [0.5, NAN, 0.55, 0.6],
        "d": [0.1, 0.2, INF, 0.3],
        "c": [0.05, 0.1, 0.15, 0.2],
    }


@pytest.mark.parametrize("interval", [1, 2, 4])
@pytest.mark.parametrize("policy", ALL_POLICIES)
def test_decide_leaves_histories_unchanged(policy: EarlyTerminationPolicy, interval: int) -> None:
    lists = _sweep_lists()
    histories = {
        run_id: RunHistory(run_id, values, run_id == "a") for run_id, values in lists.items()
    }
    before = copy.deepcopy(histories)
    lists_before = copy.deepcopy(lists)

    policy.decide("c", interval, histories, goal=MAX)

    assert histories == before
    assert repr(lists) == repr(lists_before)  # repr, because nan != nan
    assert list(histories) == ["a", "b", "d", "c"]


@pytest.mark.parametrize("interval", [1, 2, 4])
@pytest.mark.parametrize("policy", ALL_POLICIES)
def test_decide_is_deterministic(policy: EarlyTerminationPolicy, interval: int) -> None:
    histories = {run_id: run(run_id, *values) for run_id, values in _sweep_lists().items()}
    reordered = dict(reversed(list(histories.items())))

    first = policy.decide("c", interval, histories, goal=MAX)
    second = policy.decide("c", interval, histories, goal=MAX)
    third = policy.decide("c", interval, reordered, goal=MAX)

    assert first == second
    assert first == third


@pytest.mark.parametrize("policy", ALL_POLICIES)
def test_decide_needs_the_candidate(policy: EarlyTerminationPolicy) -> None:
    histories = {"a": run("a", 0.5)}

    with pytest.raises(ValueError, match="candidate run 'c' is not in histories"):
        policy.decide("c", 1, histories, goal=MAX)


@pytest.mark.parametrize("policy", ALL_POLICIES)
def test_decide_needs_interval_logged(policy: EarlyTerminationPolicy) -> None:
    histories = {"a": run("a", 0.5, 0.5), "c": run("c", 0.5)}

    with pytest.raises(ValueError, match="has logged 1 values, fewer than interval 2"):
        policy.decide("c", 2, histories, goal=MAX)


@pytest.mark.parametrize("interval", [2, 4, 8, 32])
@pytest.mark.parametrize("policy", ALL_POLICIES)
def test_only_member_never_cancelled(policy: EarlyTerminationPolicy, interval: int) -> None:
    histories = {"c": run("c", *[-1e9] * interval), "short": run("short", 1.0)}

    assert policy.decide("c", interval, histories, goal=MAX) is None


@pytest.mark.parametrize("interval", [2, 4, 8, 32])
@pytest.mark.parametrize("policy", ALL_POLICIES)
def test_all_non_finite_no_decision(policy: EarlyTerminationPolicy, interval: int) -> None:
    pattern = [NAN, INF, -INF, NAN]
    histories = {
        run_id: run(run_id, *(pattern * interval)[:interval]) for run_id in ("a", "b", "c", "d")
    }

    assert policy.decide("c", interval, histories, goal=MAX) is None


def test_goal_accepts_yaml_spelling() -> None:
    policy = BanditPolicy(slack_amount=0.25)
    histories = {"a": run("a", 0.25), "c": run("c", 0.625)}

    decision = policy.decide("c", 1, histories, goal="Minimize")

    assert decision is not None
    assert decision.cancel is True


def test_goal_rejects_unknown_word() -> None:
    histories = {"a": run("a", 0.25), "c": run("c", 0.625)}

    with pytest.raises(InvalidConfigError, match="goal='best' is invalid"):
        BanditPolicy(slack_amount=0.25).decide("c", 1, histories, goal="best")


@pytest.mark.parametrize("policy", ALL_POLICIES)
def test_to_dict_round_trip(policy: EarlyTerminationPolicy) -> None:
    text = json.dumps(policy.to_dict())

    rebuilt = policy_from_dict(json.loads(text))

    assert rebuilt == policy
    assert type(rebuilt) is type(policy)
    assert repr(rebuilt) == repr(policy)


@pytest.mark.parametrize(
    ("policy", "data"),
    [
        pytest.param(
            BanditPolicy(slack_factor=0.1, delay_evaluation=5),
            {
                "type": "bandit",
                "slack_factor": 0.1,
                "slack_amount": None,
                "evaluation_interval": 1,
                "delay_evaluation": 5,
            },
            id="bandit",
        ),
        pytest.param(
            MedianStoppingPolicy(),
            {"type": "median_stopping", "evaluation_interval": 1, "delay_evaluation": 0},
            id="median",
        ),
        pytest.param(
            TruncationSelectionPolicy(20),
            {
                "type": "truncation_selection",
                "truncation_percentage": 20,
                "evaluation_interval": 1,
                "delay_evaluation": 0,
                "exclude_finished_runs": False,
            },
            id="truncation",
        ),
        pytest.param(NoTerminationPolicy(), {"type": "no_termination"}, id="none"),
        pytest.param(
            AshaPolicy(),
            {"type": "asha", "min_interval": 1, "reduction_factor": 3, "max_interval": None},
            id="asha",
        ),
    ],
)
def test_to_dict_form(policy: EarlyTerminationPolicy, data: dict) -> None:
    assert policy.to_dict() == data


@pytest.mark.parametrize(
    ("policy", "text"),
    [
        pytest.param(
            BanditPolicy(slack_factor=0.2, delay_evaluation=5),
            "BanditPolicy(slack_factor=0.2, slack_amount=None, evaluation_interval=1, "
            "delay_evaluation=5)",
            id="bandit",
        ),
        pytest.param(
            TruncationSelectionPolicy(20, exclude_finished_runs=True),
            "TruncationSelectionPolicy(truncation_percentage=20, evaluation_interval=1, "
            "delay_evaluation=0, exclude_finished_runs=True)",
            id="truncation",
        ),
        pytest.param(NoTerminationPolicy(), "NoTerminationPolicy()", id="none"),
        pytest.param(
            AshaPolicy(max_interval=27),
            "AshaPolicy(min_interval=1, reduction_factor=3, max_interval=27)",
            id="asha",
        ),
    ],
)
def test_repr_shows_arguments(policy: EarlyTerminationPolicy, text: str) -> None:
    assert repr(policy) == text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(
            {"type": "hyperband"},
            "policy type='hyperband' is invalid; use one of: asha, bandit, median_stopping, "
            "no_termination, truncation_selection",
            id="unknown-type",
        ),
        pytest.param({"slack_factor": 0.1}, "policy type=None is invalid", id="missing-type"),
        pytest.param(
            {"type": "median_stopping", "slack_factor": 0.1},
            "'slack_factor' is not a parameter of MedianStoppingPolicy; accepted keys: type, "
            "evaluation_interval, delay_evaluation",
            id="unknown-key",
        ),
        pytest.param(["bandit"], "policy=['bandit'] is invalid; use a dict", id="not-a-dict"),
    ],
)
def test_policy_from_dict_rejects(data: object, message: str) -> None:
    with pytest.raises(InvalidConfigError, match=re.escape(message)):
        policy_from_dict(data)  # type: ignore[arg-type]


YAML_CASES = [
    pytest.param(
        "type: bandit\nslack_factor: 0.1\nevaluation_interval: 2\ndelay_evaluation: 5\n",
        BanditPolicy(slack_factor=0.1, evaluation_interval=2, delay_evaluation=5),
        id="bandit-factor",
    ),
    pytest.param(
        "type: bandit\nslack_amount: 0.2\n",
        BanditPolicy(slack_amount=0.2),
        id="bandit-amount",
    ),
    pytest.param(
        # Azure's v2 SDK writes 0 for the slack and interval that were not set.
        "type: bandit\nslack_factor: 0.0\nslack_amount: 0.2\nevaluation_interval: 0\n",
        BanditPolicy(slack_amount=0.2),
        id="bandit-azure-zeros",
    ),
    pytest.param(
        "type: bandit\nslack_factor: 0.1\nslack_amount: null\ndelay_evaluation: null\n",
        BanditPolicy(slack_factor=0.1),
        id="bandit-nulls",
    ),
    pytest.param(
        "type: median_stopping\nevaluation_interval: 1\ndelay_evaluation: 5\n",
        MedianStoppingPolicy(delay_evaluation=5),
        id="median",
    ),
    pytest.param(
        "type: truncation_selection\ntruncation_percentage: 20\nexclude_finished_jobs: true\n",
        TruncationSelectionPolicy(20, exclude_finished_runs=True),
        id="truncation",
    ),
    pytest.param(
        "type: asha\nmin_interval: 2\nreduction_factor: 2\nmax_interval: 16\n",
        AshaPolicy(min_interval=2, reduction_factor=2, max_interval=16),
        id="asha",
    ),
    pytest.param("type: MedianStopping\n", MedianStoppingPolicy(), id="camel-case-type"),
    pytest.param(
        "type: Bandit\nslack_factor: 0.1\n", BanditPolicy(slack_factor=0.1), id="bandit-cap"
    ),
]


@pytest.mark.parametrize(("text", "expected"), YAML_CASES)
def test_policy_from_yaml(text: str, expected: EarlyTerminationPolicy) -> None:
    policy = policy_from_yaml(yaml.safe_load(text))

    assert policy == expected
    assert policy_from_dict(json.loads(json.dumps(policy.to_dict()))) == expected


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        pytest.param(
            {"type": "bandit", "slack_factr": 0.1},
            "early_termination.slack_factr is not a key of a bandit policy; accepted keys: type, "
            "slack_factor, slack_amount, evaluation_interval, delay_evaluation",
            id="misspelt-key",
        ),
        pytest.param(
            {
                "type": "truncation_selection",
                "truncation_percentage": 10,
                "exclude_finished_runs": 1,
            },
            "early_termination.exclude_finished_runs is not a key of a truncation_selection "
            "policy; accepted keys: type, truncation_percentage, evaluation_interval, "
            "delay_evaluation, exclude_finished_jobs",
            id="python-name-in-yaml",
        ),
        pytest.param(
            {"type": "hyperband"},
            "early_termination.type='hyperband' is invalid; use one of: bandit, median_stopping, "
            "truncation_selection, asha",
            id="unknown-type",
        ),
        pytest.param(
            {"type": "no_termination"},
            "early_termination.type='no_termination' is invalid",
            id="no-termination-not-yaml",
        ),
        pytest.param(
            {"slack_factor": 0.1},
            "early_termination.type is missing; use one of: bandit, median_stopping",
            id="missing-type",
        ),
        pytest.param(
            "bandit",
            "early_termination='bandit' is invalid; use a mapping such as",
            id="not-a-mapping",
        ),
        pytest.param(
            {"type": "truncation_selection", "truncation_percentage": 0},
            "early_termination: truncation_percentage=0 is invalid; use an int from 1 to 99",
            id="bad-percentage",
        ),
        pytest.param(
            {
                "type": "truncation_selection",
                "truncation_percentage": 5,
                "exclude_finished_jobs": 1,
            },
            "early_termination: exclude_finished_jobs=1 is invalid; use True or False",
            id="bad-exclude",
        ),
        pytest.param(
            {"type": "bandit", "slack_factor": 0, "slack_amount": 0},
            "early_termination: BanditPolicy needs a slack",
            id="zero-slacks",
        ),
        pytest.param(
            {"type": "bandit", "slack_factor": 0.1, "slack_amount": 0.2},
            "early_termination: slack_factor=0.1 and slack_amount=0.2 are both set",
            id="two-slacks",
        ),
        pytest.param(
            {"type": "median_stopping", "delay_evaluation": -1},
            "early_termination: delay_evaluation=-1 is invalid; use an int >= 0",
            id="negative-delay",
        ),
    ],
)
def test_policy_from_yaml_rejects(mapping: object, message: str) -> None:
    with pytest.raises(InvalidConfigError, match=re.escape(message)):
        policy_from_yaml(mapping)  # type: ignore[arg-type]


def test_policy_from_yaml_names_where() -> None:
    with pytest.raises(InvalidConfigError, match=re.escape("jobs[0].early_termination.size is")):
        policy_from_yaml({"type": "asha", "size": 3}, where="jobs[0].early_termination")


def _a_decision() -> TerminationDecision:
    histories = {"a": run("a", 0.8), "c": run("c", 0.61)}
    decision = BanditPolicy(slack_factor=0.2).decide(
        "c", 1, histories, goal=MAX, metric_name="accuracy"
    )
    assert decision is not None
    return decision


def test_decision_to_dict_is_json() -> None:
    decision = _a_decision()

    data = json.loads(json.dumps(decision.to_dict()))

    assert data["policy"] == "BanditPolicy"
    assert data["cancel"] is True
    assert data["interval"] == 1
    assert data["value"] == 0.61
    assert data["reference"] == pytest.approx(0.8 / 1.2)
    assert data["message"].startswith("cancelled at interval 1: best accuracy 0.61 is below")
    assert data["details"]["best"] == 0.8
    assert TerminationDecision.from_dict(data) == decision


def test_decision_details_are_read_only() -> None:
    details = {"rank": 1}
    decision = TerminationDecision(False, "X", 1, 0.5, 0.4, "continues", details)
    details["rank"] = 2

    assert decision.details["rank"] == 1
    with pytest.raises(TypeError):
        decision.details["rank"] = 3  # type: ignore[index]


def test_run_history_normalises_values() -> None:
    history = RunHistory("r", [np.float32(0.5), np.int64(2), 1, NAN], False)

    assert history.values[:3] == (0.5, 2.0, 1.0)
    assert math.isnan(history.values[3])
    assert all(type(value) is float for value in history.values)


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        pytest.param(
            ("r", [0.5, "0.6"], False), InvalidMetricError, "value 2 of run 'r'", id="text"
        ),
        pytest.param(
            ("r", [None], False), InvalidMetricError, "value 1 of run 'r' is None", id="none"
        ),
        pytest.param(
            ("r", "0.5", False), TypeError, "values='0.5' of run 'r' is invalid", id="str"
        ),
        pytest.param((7, [0.5], False), TypeError, "run_id=7 is invalid; use a str", id="id"),
        pytest.param(("r", [0.5], 1), TypeError, "finished=1 of run 'r' is invalid", id="finished"),
    ],
)
def test_run_history_rejects(arguments: tuple, error: type, message: str) -> None:
    with pytest.raises(error, match=re.escape(message)):
        RunHistory(*arguments)
