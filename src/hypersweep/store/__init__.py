"""The run store: experiments, sweeps, child runs, metric values and tags in a SQLite database."""

from __future__ import annotations

from hypersweep.errors import RunNotFoundError, StoreError, StoreVersionError
from hypersweep.store.records import (
    ChildRunRecord,
    ExperimentRecord,
    MetricRecord,
    ParentRunRecord,
)
from hypersweep.store.schema import MIGRATIONS, SCHEMA_VERSION
from hypersweep.store.sqlite import (
    CHILD_MUTABLE_FIELDS,
    PARENT_MUTABLE_FIELDS,
    Store,
)

__all__ = [
    "CHILD_MUTABLE_FIELDS",
    "MIGRATIONS",
    "PARENT_MUTABLE_FIELDS",
    "SCHEMA_VERSION",
    "ChildRunRecord",
    "ExperimentRecord",
    "MetricRecord",
    "ParentRunRecord",
    "RunNotFoundError",
    "Store",
    "StoreError",
    "StoreVersionError",
]
