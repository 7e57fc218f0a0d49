"""The suppression list rebuilt from the stored events: what the stream's registers must hold.

A full read of the table, like the reports' recount (``receipts.aggregates.recount``): for
tests, checks and a rebuild after an outage longer than the stream keeps records, never on a
request's path. Operators' lifts are not events: a rebuild leaves them to the registers.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from receipts.channels import Channel
from receipts.storage import keys
from receipts.storage.event_store import event_summary_from_item, stored_description
from receipts.storage.suppressions import suppression_from_item
from receipts.suppressions.verdicts import (
    Verdict,
    latest_per_destination,
    needs_description,
    verdict_of,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
else:
    DynamoDBClient = Any


def _scan(client: DynamoDBClient, table: str, prefix: str) -> Iterator[dict[str, Any]]:
    paginator = client.get_paginator("scan")
    for page in paginator.paginate(
        TableName=table,
        FilterExpression="begins_with(pk, :prefix)",
        ExpressionAttributeValues={":prefix": {"S": prefix}},
    ):
        yield from page.get("Items", [])


def stored_verdicts(client: DynamoDBClient, table: str) -> Iterator[Verdict]:
    """The verdict of every decisive event stored in the table."""
    for item in _scan(client, table, keys.TRANSACTION_PREFIX):
        if not item[keys.SORT_KEY]["S"].startswith(keys.EVENT_SORT_PREFIX):
            continue
        summary = event_summary_from_item(item)
        description = (
            stored_description(item) if needs_description(summary.status, summary.code) else ""
        )
        transid = item[keys.PARTITION_KEY]["S"].removeprefix(keys.TRANSACTION_PREFIX)
        verdict = verdict_of(transid, summary, description)
        if verdict is not None:
            yield verdict


def recount_suppressions(client: DynamoDBClient, table: str) -> dict[tuple[Channel, str], Verdict]:
    """Each destination's latest verdict among the stored events."""
    return latest_per_destination(stored_verdicts(client, table))


def stored_registers(client: DynamoDBClient, table: str) -> dict[tuple[Channel, str], Verdict]:
    """Every suppression register in the table, by (channel, destination)."""
    registers = (
        suppression_from_item(item) for item in _scan(client, table, keys.SUPPRESSION_PREFIX)
    )
    return {register.verdict.key: register.verdict for register in registers}
