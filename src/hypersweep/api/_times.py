"""Time formatting for run details."""

from __future__ import annotations

import datetime

__all__ = ["utc_iso"]


def utc_iso(timestamp: float | None) -> str | None:
    """Format a Unix timestamp as ISO 8601 in UTC (``2026-12-04T19:47:30.123Z``)."""
    if timestamp is None:
        return None

    moment = datetime.datetime.fromtimestamp(timestamp, tz=datetime.timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
