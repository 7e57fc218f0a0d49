"""Durations in buckets: a percentile read from them is at most one bucket above the truth."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from receipts.aggregates import histogram


def test_bounds_only_grow() -> None:
    assert list(histogram.BOUNDS) == sorted(set(histogram.BOUNDS))
    assert histogram.BOUNDS[0] == 0 and histogram.BOUNDS[-1] == 7 * 86400


@pytest.mark.parametrize(
    ("seconds", "bound"),
    [(-3, 0), (0, 0), (0.4, 1), (1, 1), (1.001, 2), (59, 60), (3600, 3600), (3601, 5400)],
)
def test_a_duration_falls_in_the_bucket_whose_upper_bound_holds_it(
    seconds: float, bound: int
) -> None:
    assert histogram.upper_bound(histogram.bucket_of(seconds)) == bound


def test_beyond_a_week_is_the_overflow_bucket() -> None:
    assert histogram.bucket_of(8 * 86400) == histogram.OVERFLOW_BUCKET
    assert histogram.upper_bound(histogram.OVERFLOW_BUCKET) is None
    assert histogram.percentile({histogram.OVERFLOW_BUCKET: 3}, 0.5) == 7 * 86400


def test_nothing_counted_has_no_percentile() -> None:
    assert histogram.percentile({}, 0.5) is None
    assert histogram.percentile({4: 0}, 0.9) is None


@given(st.lists(st.floats(min_value=0, max_value=6 * 86400), min_size=1, max_size=300))
def test_a_percentile_is_the_exact_one_or_at_most_one_bucket_above(durations: list[float]) -> None:
    counts: dict[int, int] = {}
    for duration in durations:
        bucket = histogram.bucket_of(duration)
        counts[bucket] = counts.get(bucket, 0) + 1
    ordered = sorted(durations)
    for fraction in (0.5, 0.9, 0.99):
        exact = ordered[max(math.ceil(fraction * len(ordered)) - 1, 0)]
        read = histogram.percentile(counts, fraction)
        assert read is not None
        assert exact <= read
        assert read == histogram.upper_bound(histogram.bucket_of(exact))
