"""The filter-pattern matcher the stream triggers use, against Lambda-shaped records."""

from __future__ import annotations

import json
from typing import Any

import pytest

from local_stack.event_patterns import PatternError, matches, matches_any, validate_pattern

# The consumer's filter in the template: new event items only.
CONSUMER_PATTERN = json.loads(
    '{"eventName": ["INSERT"], "dynamodb": {"Keys": {"sk": {"S": [{"prefix": "EV#"}]}}}}'
)


def _record(event_name: str, sk: str) -> dict[str, Any]:
    keys = {"pk": {"S": "TX#t-1"}, "sk": {"S": sk}}
    return {
        "eventName": event_name,
        "eventSource": "aws:dynamodb",
        "dynamodb": {"Keys": keys, "NewImage": {**keys, "count": {"N": "3"}}},
    }


@pytest.mark.parametrize(
    ("record", "kept"),
    [
        (_record("INSERT", "EV#2016-07-28T11:47:56.459Z#failed#7200"), True),
        (_record("MODIFY", "EV#2016-07-28T11:47:56.459Z#failed#7200"), False),
        (_record("INSERT", "TALLY#2016-07-28"), False),
        (_record("REMOVE", "EV#2016-07-28T11:47:56.459Z#failed#7200"), False),
    ],
)
def test_the_consumers_pattern_keeps_only_inserted_event_items(
    record: dict[str, Any], kept: bool
) -> None:
    assert matches(CONSUMER_PATTERN, record) is kept
    assert matches_any([CONSUMER_PATTERN], record) is kept


def test_no_pattern_keeps_everything_and_any_pattern_is_enough() -> None:
    modify = _record("MODIFY", "TALLY#x")

    assert matches_any([], modify)
    assert matches_any([{"eventName": ["INSERT"]}, {"eventName": ["MODIFY"]}], modify)
    assert not matches_any([{"eventName": ["INSERT"]}, {"eventName": ["REMOVE"]}], modify)


@pytest.mark.parametrize(
    ("pattern", "event", "expected"),
    [
        # Literals: any of the list, with JSON's types.
        ({"a": ["x", "y"]}, {"a": "y"}, True),
        ({"a": ["x"]}, {"a": "X"}, False),
        ({"a": [5]}, {"a": 5.0}, True),
        ({"a": [1]}, {"a": True}, False),
        ({"a": [True]}, {"a": True}, True),
        ({"a": [None]}, {"a": None}, True),
        ({"a": [None]}, {}, False),
        ({"a": ["x"]}, {}, False),
        # An event list matches when any element does.
        ({"a": ["x"]}, {"a": ["w", "x"]}, True),
        ({"a": ["x"]}, {"a": ["w"]}, False),
        # Leaves only: a literal never matches an object.
        ({"a": ["x"]}, {"a": {"b": "x"}}, False),
        # Prefix, suffix, case.
        ({"a": [{"prefix": "EV#"}]}, {"a": "EV#1"}, True),
        ({"a": [{"prefix": "EV#"}]}, {"a": "TALLY#1"}, False),
        ({"a": [{"prefix": "1"}]}, {"a": 12}, False),
        ({"a": [{"suffix": ".png"}]}, {"a": "x.png"}, True),
        ({"a": [{"equals-ignore-case": "alice"}]}, {"a": "ALICE"}, True),
        # Exists: present leaf, or absent.
        ({"a": [{"exists": True}]}, {"a": "anything"}, True),
        ({"a": [{"exists": True}]}, {}, False),
        ({"a": [{"exists": True}]}, {"a": {"nested": 1}}, False),
        ({"a": [{"exists": False}]}, {}, True),
        ({"a": [{"exists": False}]}, {"a": "there"}, False),
        ({"a": {"b": [{"exists": False}]}}, {"a": {}}, True),
        # Anything-but: present and none of those.
        ({"a": [{"anything-but": ["x", "y"]}]}, {"a": "z"}, True),
        ({"a": [{"anything-but": ["x", "y"]}]}, {"a": "x"}, False),
        ({"a": [{"anything-but": "x"}]}, {"a": "x"}, False),
        ({"a": [{"anything-but": ["x"]}]}, {}, False),
        ({"a": [{"anything-but": [5]}]}, {"a": 5.0}, False),
        ({"a": [{"anything-but": {"prefix": "EV#"}}]}, {"a": "TALLY#1"}, True),
        ({"a": [{"anything-but": {"prefix": "EV#"}}]}, {"a": "EV#1"}, False),
        # Numeric ranges.
        ({"a": [{"numeric": [">", 0, "<=", 5]}]}, {"a": 5}, True),
        ({"a": [{"numeric": [">", 0, "<=", 5]}]}, {"a": 0}, False),
        ({"a": [{"numeric": ["=", 3]}]}, {"a": "3"}, False),
        # Nested objects: every key must match, at its own level.
        ({"a": {"b": {"c": ["x"]}}}, {"a": {"b": {"c": "x"}, "d": 1}}, True),
        ({"a": {"b": {"c": ["x"]}}}, {"a": {"b": "x"}}, False),
        ({"a": {"b": ["x"]}, "e": ["y"]}, {"a": {"b": "x"}, "e": "z"}, False),
        # Several entries: any one is enough.
        ({"a": ["x", {"prefix": "y"}, {"exists": False}]}, {"a": "yes"}, True),
        ({"a": ["x", {"exists": False}]}, {}, True),
    ],
)
def test_each_operator_matches_as_eventbridge_does(
    pattern: dict[str, Any], event: dict[str, Any], expected: bool
) -> None:
    assert matches(pattern, event) is expected


@pytest.mark.parametrize(
    "pattern",
    [
        ["INSERT"],
        {"eventName": "INSERT"},
        {"a": [{"wildcard": "x*"}]},
        {"a": [{"prefix": "x", "suffix": "y"}]},
        {"a": [{"exists": "yes"}]},
        {"a": [{"numeric": [">", 0, "<"]}]},
        {"a": [{"numeric": ["~", 0]}]},
        {"a": [{"anything-but": {"wildcard": "x"}}]},
        {"a": {"b": [{"cidr": "10.0.0.0/8"}]}},
    ],
)
def test_a_pattern_this_cannot_evaluate_is_refused(pattern: Any) -> None:
    with pytest.raises(PatternError):
        validate_pattern(pattern)


def test_the_consumers_pattern_is_valid() -> None:
    validate_pattern(CONSUMER_PATTERN)
