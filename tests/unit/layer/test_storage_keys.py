"""The write-shard keys: stable shards, the old spelling as shard 0, no two pairs on one key."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.fresh_interpreter import output_of

from receipts.storage import keys

SHARDED: dict[str, tuple[Callable[[str, int], str], Callable[[str], list[str]], str]] = {
    "correlation": (keys.correlation_key, keys.correlation_keys, "CORR"),
    "open": (keys.open_key, keys.open_keys, "OPEN"),
    "quarantine": (keys.quarantine_key, keys.quarantine_keys, "QUARANTINE"),
}
shards = st.integers(min_value=0, max_value=keys.WRITE_SHARDS - 1)
# Values that try to pass for another shard's key: dots, hashes and digits.
values = st.text(alphabet=st.sampled_from("#.0123456789CORPENabc-"), max_size=12) | st.text()


# A deployed table holds items under these shards: the function may never change.
@pytest.mark.parametrize(
    ("value", "shard"),
    [("262895e4-2217-4eef-92ca-79fd0250c4a3", 3), ("req-1", 11), ("tx-0", 14), ("a", 15)],
)
def test_the_shard_of_a_value_never_changes(value: str, shard: int) -> None:
    assert keys.shard_of(value) == shard


def test_the_shard_does_not_depend_on_the_process() -> None:
    script = (
        "from receipts.storage import keys;"
        "print([keys.shard_of(v) for v in ('req-1', 'tx-0', 'a')])"
    )
    # str hashes are salted per process; the shard must not be.
    for seed in ("1", "2"):
        assert output_of(script, PYTHONHASHSEED=seed).strip() == "[11, 14, 15]"


def test_transactions_spread_evenly_over_the_shards() -> None:
    counts = Counter(keys.shard_of(str(uuid.UUID(int=n * 7919 + 1))) for n in range(32_000))

    assert set(counts) == set(range(keys.WRITE_SHARDS))
    # 1,000 expected per shard; a standard deviation is about 31.
    assert max(counts.values()) < 1_150
    assert min(counts.values()) > 850


@pytest.mark.parametrize("kind", SHARDED)
def test_shard_zero_is_the_spelling_before_sharding(kind: str) -> None:
    key, all_keys, word = SHARDED[kind]

    assert key("2026-11-23", 0) == f"{word}#2026-11-23"
    assert all_keys("2026-11-23")[0] == f"{word}#2026-11-23"
    assert key("2026-11-23", 7) == f"{word}.7#2026-11-23"


@pytest.mark.parametrize("kind", SHARDED)
def test_every_shard_has_its_own_key(kind: str) -> None:
    key, all_keys, _ = SHARDED[kind]

    found = all_keys("campaign")
    assert found == [key("campaign", shard) for shard in range(keys.WRITE_SHARDS)]
    assert len(set(found)) == keys.WRITE_SHARDS
    assert {keys.strip_prefix(each) for each in found} == {"campaign"}


@pytest.mark.parametrize("kind", SHARDED)
@pytest.mark.parametrize("shard", [-1, keys.WRITE_SHARDS])
def test_a_shard_out_of_range_is_refused(kind: str, shard: int) -> None:
    key, _, _ = SHARDED[kind]
    with pytest.raises(ValueError, match="shard"):
        key("campaign", shard)


@pytest.mark.parametrize("kind", SHARDED)
@settings(max_examples=300, deadline=None)
@given(first=st.tuples(values, shards), second=st.tuples(values, shards))
def test_two_values_or_shards_never_share_a_key(
    kind: str, first: tuple[str, int], second: tuple[str, int]
) -> None:
    key, _, _ = SHARDED[kind]

    assert (key(*first) == key(*second)) == (first == second)
    assert keys.strip_prefix(key(*first)) == first[0]


@pytest.mark.parametrize("kind", SHARDED)
@settings(max_examples=200, deadline=None)
@given(value=values, shard=st.integers(min_value=1, max_value=keys.WRITE_SHARDS - 1))
def test_no_shard_key_is_a_key_of_before_sharding(kind: str, value: str, shard: int) -> None:
    key, _, word = SHARDED[kind]
    sharded = key(value, shard)

    # Before sharding every key was word + "#" + value: a sharded key never starts so.
    assert not sharded.startswith(f"{word}#")
    assert sharded.startswith(word)


@pytest.mark.parametrize(
    "colliding",
    [
        # The pairs a "{word}{shard}#{value}" spelling would have merged.
        (("1#x", 1), ("x", 11)),
        (("x", 0), ("#x", 0)),
        ((".1#x", 0), ("x", 1)),
    ],
)
def test_pairs_that_look_alike_still_differ(
    colliding: tuple[tuple[str, int], tuple[str, int]],
) -> None:
    (first_value, first_shard), (second_value, second_shard) = colliding
    assert keys.correlation_key(first_value, first_shard) != keys.correlation_key(
        second_value, second_shard
    )
