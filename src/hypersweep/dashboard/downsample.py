"""Downsampling of long metric curves, so that a chart gets a bounded number of points."""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["downsample_curve", "lttb_indices", "stride_indices"]


def lttb_indices(xs: Sequence[float], ys: Sequence[float], threshold: int) -> list[int]:
    """Return the indices of the points that Largest-Triangle-Three-Buckets keeps.

    The algorithm keeps the first and the last point. From each of ``threshold - 2`` equal
    buckets in between, it keeps the point that spans the largest triangle with the point kept
    before it and the mean of the next bucket, so peaks and dips survive, unlike with a plain
    stride. ``xs`` must be increasing and every value finite. With ``threshold >= len(xs)``
    every index is returned.
    """
    if len(xs) != len(ys):
        raise ValueError(f"xs has {len(xs)} values but ys has {len(ys)}; give equal lengths.")

    if threshold < 3:
        raise ValueError(f"threshold={threshold!r} is invalid; it must be an int >= 3.")

    count = len(xs)
    if threshold >= count:
        return list(range(count))

    kept = [0]
    bucket_size = (count - 2) / (threshold - 2)
    previous = 0
    for bucket in range(threshold - 2):
        start = int(math.floor(bucket * bucket_size)) + 1
        end = int(math.floor((bucket + 1) * bucket_size)) + 1

        # The mean of the next bucket; the last point stands in for the bucket after the last.
        next_start = end
        next_end = min(int(math.floor((bucket + 2) * bucket_size)) + 1, count)
        if next_start >= count - 1 or next_end <= next_start:
            mean_x, mean_y = xs[count - 1], ys[count - 1]
        else:
            span = next_end - next_start
            mean_x = sum(xs[next_start:next_end]) / span
            mean_y = sum(ys[next_start:next_end]) / span

        anchor_x, anchor_y = xs[previous], ys[previous]
        best_index = start
        best_area = -1.0
        for index in range(start, min(end, count - 1)):
            # Twice the triangle's area; the factor does not change which point wins.
            area = abs((anchor_x - mean_x) * (ys[index] - anchor_y)
                       - (anchor_x - xs[index]) * (mean_y - anchor_y))
            if area > best_area:
                best_area = area
                best_index = index

        kept.append(best_index)
        previous = best_index

    kept.append(count - 1)
    return kept


def stride_indices(count: int, limit: int) -> list[int]:
    """Return at most ``limit`` evenly spaced indices of ``range(count)``, first and last kept."""
    if limit < 2:
        raise ValueError(f"limit={limit!r} is invalid; it must be an int >= 2.")

    if count <= limit:
        return list(range(count))

    step = (count - 1) / (limit - 1)
    return sorted({round(position * step) for position in range(limit)})


def downsample_curve(values: Sequence[float], limit: int) -> tuple[list[int], list[float | None]]:
    """Return ``(intervals, values)`` of a metric curve with at most ``limit`` points.

    Intervals count from 1. A curve no longer than ``limit`` comes back whole, with None for
    each non-finite value (a gap in the chart). A longer one is reduced with
    :func:`lttb_indices` over its finite values, so its gaps are not shown.
    """
    if len(values) <= limit:
        intervals = list(range(1, len(values) + 1))
        return intervals, [value if math.isfinite(value) else None for value in values]

    finite = [(index + 1, value) for index, value in enumerate(values) if math.isfinite(value)]
    xs = [float(interval) for interval, _ in finite]
    ys = [value for _, value in finite]
    kept = lttb_indices(xs, ys, max(limit, 3)) if len(finite) >= 3 else list(range(len(finite)))
    return [finite[index][0] for index in kept], [ys[index] for index in kept]
