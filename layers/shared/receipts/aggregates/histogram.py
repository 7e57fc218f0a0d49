"""Durations in fixed buckets, from which percentiles are read.

A report must not grow with its campaign, so durations are counted in buckets rather than
kept one by one. The bounds are the round numbers people read durations in (seconds,
minutes, hours, days), about 1.25-1.5x apart: a percentile read from them is the bucket's
upper bound, at most one bucket above the exact value. Bucket ``i`` holds the durations in
``(BOUNDS[i - 1], BOUNDS[i]]`` (bucket 0: up to ``BOUNDS[0]``); the last bucket holds
everything beyond the last bound and has no upper bound of its own.

The bounds are part of the stored counters' meaning: a bound may be added after the last one
(older counters then simply have nothing there), but never moved.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping

_MINUTE = 60
_HOUR = 3600
_DAY = 86400

BOUNDS: tuple[int, ...] = (
    *(0, 1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50),
    *(
        int(m * _MINUTE)
        for m in (1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50)
    ),
    *(int(h * _HOUR) for h in (1, 1.5, 2, 3, 4, 6, 8, 12, 18)),
    *(int(d * _DAY) for d in (1, 1.5, 2, 3, 4, 5, 7)),
)
# Beyond the last bound: "more than a week".
OVERFLOW_BUCKET = len(BOUNDS)
BUCKETS = len(BOUNDS) + 1


def bucket_of(seconds: float) -> int:
    """The bucket a duration is counted in (negative durations count as zero)."""
    return bisect_left(BOUNDS, max(seconds, 0.0))


def upper_bound(bucket: int) -> int | None:
    """The largest duration a bucket holds; None for the overflow bucket."""
    if not 0 <= bucket < BUCKETS:
        raise ValueError(f"bucket {bucket} is not in 0..{BUCKETS - 1}")
    return BOUNDS[bucket] if bucket < OVERFLOW_BUCKET else None


def percentile(counts: Mapping[int, int], fraction: float) -> float | None:
    """The duration at or under which ``fraction`` of the counted durations lie, in seconds.

    Read as the upper bound of the bucket where the running count reaches the fraction
    (so the exact percentile is at most this); None with nothing counted. In the overflow
    bucket the answer is the last bound: "more than a week" has no better number.
    """
    if not 0 < fraction <= 1:
        raise ValueError("fraction must be in (0, 1]")
    total = sum(count for count in counts.values() if count > 0)
    if total == 0:
        return None
    needed = fraction * total
    running = 0
    for bucket in sorted(counts):
        if counts[bucket] <= 0:
            continue
        running += counts[bucket]
        # A small tolerance: 0.9 * 10 is 9.000000000000002 in floating point.
        if running >= needed - 1e-9:
            bound = upper_bound(bucket)
            return float(bound if bound is not None else BOUNDS[-1])
    return float(BOUNDS[-1])
