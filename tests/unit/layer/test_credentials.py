"""Credentials compared as fixed-length digests: the shared check of ingest and lookup."""

from __future__ import annotations

import hmac
from collections.abc import Callable

import pytest

from receipts.credentials import credential_digest, matches_any


@pytest.fixture
def comparisons(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """The lengths of both sides of every hmac.compare_digest call."""
    recorded: list[tuple[int, int]] = []
    compare: Callable[[bytes, bytes], bool] = hmac.compare_digest

    def recording(left: bytes, right: bytes) -> bool:
        recorded.append((len(left), len(right)))
        return compare(left, right)

    monkeypatch.setattr(hmac, "compare_digest", recording)
    return recorded


@pytest.mark.parametrize("presented", ["k", "key-one", "key-one" * 40, ""])
def test_every_comparison_is_between_two_digests_of_one_fixed_length(
    presented: str, comparisons: list[tuple[int, int]]
) -> None:
    matches_any(presented, ["key-one", "a-much-longer-second-key"])

    assert comparisons == [(32, 32), (32, 32)]


def test_every_candidate_is_compared_even_after_a_match(
    comparisons: list[tuple[int, int]],
) -> None:
    assert matches_any("first", ["first", "second", "third"]) is True
    assert len(comparisons) == 3


@pytest.mark.parametrize(
    ("presented", "expected"),
    [("key-one", True), ("key-two", True), ("key-on", False), ("KEY-ONE", False), ("", False)],
)
def test_only_an_exact_credential_matches(presented: str, expected: bool) -> None:
    assert matches_any(presented, ["key-one", "key-two"]) is expected


def test_text_and_bytes_of_one_credential_match() -> None:
    assert matches_any("pässword".encode(), ["pässword"]) is True
    assert credential_digest("pässword") == credential_digest("pässword".encode())


def test_a_lone_surrogate_fails_the_comparison_instead_of_crashing() -> None:
    assert matches_any("key\udc80", ["key"]) is False


def test_no_candidate_means_no_match() -> None:
    assert matches_any("anything", []) is False
