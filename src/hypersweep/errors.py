"""The exceptions that hypersweep raises.

Every error derives from :class:`HyperSweepError`. Errors about user input also derive from
``ValueError`` or ``TypeError`` so that ordinary ``except`` clauses catch them.
"""

from __future__ import annotations

__all__ = [
    "HyperSweepError",
    "InvalidConfigError",
    "InvalidMetricError",
    "RunNotFoundError",
    "StoreError",
    "StoreVersionError",
]


class HyperSweepError(Exception):
    """Base class of every error that hypersweep raises on purpose."""


class InvalidConfigError(HyperSweepError, ValueError):
    """A search space, sampling, policy, limit or YAML sweep file is invalid.

    The message names the field, shows the value and says what is accepted.
    """


class InvalidMetricError(HyperSweepError, TypeError):
    """A logged metric value is not a number."""


class RunNotFoundError(HyperSweepError, LookupError):
    """No run with the requested id exists in the workspace."""


class StoreError(HyperSweepError):
    """The run store cannot be opened or written."""


class StoreVersionError(StoreError):
    """The run store was written by an incompatible version of hypersweep."""
