"""The events table's keys and indexes are those of the previous release, exactly.

CloudFormation adds or removes at most one global secondary index per stack update and can
change none in place (a new key schema or projection means drop and rebuild, and a search
answers nothing meanwhile). Changes in key *values*, such as the write shards of
``receipts.storage.keys``, need none of that. So the indexes and attribute definitions are
pinned here as released: a change to them fails this test until it comes with an upgrade
plan in the README ("Upgrading a deployed stack to this version") and a new pin.
"""

from __future__ import annotations

from typing import Any

from local_stack.template import resource

RELEASED_ATTRIBUTE_DEFINITIONS = [
    {"AttributeName": "pk", "AttributeType": "S"},
    {"AttributeName": "sk", "AttributeType": "S"},
    {"AttributeName": "destination_key", "AttributeType": "S"},
    {"AttributeName": "correlation_key", "AttributeType": "S"},
    {"AttributeName": "open_key", "AttributeType": "S"},
    {"AttributeName": "match_sort", "AttributeType": "S"},
]
RELEASED_KEY_SCHEMA = [
    {"AttributeName": "pk", "KeyType": "HASH"},
    {"AttributeName": "sk", "KeyType": "RANGE"},
]
_SEARCH_PROJECTION = {
    "ProjectionType": "INCLUDE",
    "NonKeyAttributes": ["channel", "status", "code", "classification"],
}
RELEASED_INDEXES = [
    {
        "IndexName": "by-destination",
        "KeySchema": [
            {"AttributeName": "destination_key", "KeyType": "HASH"},
            {"AttributeName": "match_sort", "KeyType": "RANGE"},
        ],
        "Projection": _SEARCH_PROJECTION,
    },
    {
        "IndexName": "by-correlation",
        "KeySchema": [
            {"AttributeName": "correlation_key", "KeyType": "HASH"},
            {"AttributeName": "match_sort", "KeyType": "RANGE"},
        ],
        "Projection": _SEARCH_PROJECTION,
    },
    {
        "IndexName": "open-by-day",
        "KeySchema": [
            {"AttributeName": "open_key", "KeyType": "HASH"},
            {"AttributeName": "match_sort", "KeyType": "RANGE"},
        ],
        "Projection": {"ProjectionType": "KEYS_ONLY"},
    },
]


def _table() -> dict[str, Any]:
    properties: dict[str, Any] = resource("EventsTable")["Properties"]
    return properties


def test_the_table_key_and_attribute_definitions_are_as_released() -> None:
    table = _table()

    assert table["KeySchema"] == RELEASED_KEY_SCHEMA
    assert table["AttributeDefinitions"] == RELEASED_ATTRIBUTE_DEFINITIONS


def test_the_global_secondary_indexes_are_as_released() -> None:
    # Only what defines an index; settings such as WarmThroughput may change in place.
    indexes = [
        {field: index[field] for field in ("IndexName", "KeySchema", "Projection")}
        for index in _table()["GlobalSecondaryIndexes"]
    ]

    assert indexes == RELEASED_INDEXES


def test_the_table_has_no_local_secondary_index() -> None:
    # A local index can only be created with the table: adding one means a new table.
    assert "LocalSecondaryIndexes" not in _table()
