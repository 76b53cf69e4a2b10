"""Early termination policies: pure rules that decide whether a run should be cancelled.

Each policy reads the primary metric values of the runs of a sweep (as :class:`RunHistory`
objects) and returns a :class:`TerminationDecision`, or ``None`` when it does not judge the run at
that interval. The sweep controller records the decision and cancels the run.
"""

from __future__ import annotations

from hypersweep.policies._serialization import policy_from_dict, policy_from_yaml
from hypersweep.policies.asha import AshaPolicy
from hypersweep.policies.bandit import BanditPolicy
from hypersweep.policies.base import EarlyTerminationPolicy, RunHistory, TerminationDecision
from hypersweep.policies.median_stopping import MedianStoppingPolicy
from hypersweep.policies.no_termination import NoTerminationPolicy
from hypersweep.policies.truncation_selection import TruncationSelectionPolicy

__all__ = [
    "AshaPolicy",
    "BanditPolicy",
    "EarlyTerminationPolicy",
    "MedianStoppingPolicy",
    "NoTerminationPolicy",
    "RunHistory",
    "TerminationDecision",
    "TruncationSelectionPolicy",
    "policy_from_dict",
    "policy_from_yaml",
]
