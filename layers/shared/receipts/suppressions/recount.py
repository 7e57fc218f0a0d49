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
from receipts.storage.event_store import event_of_item, scan_items
from receipts.storage.suppressions import suppression_from_item
from receipts.suppressions.verdicts import (
    Verdict,
    description_for,
    latest_per_destination,
    verdict_of,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
else:
    DynamoDBClient = Any


def stored_verdicts(client: DynamoDBClient, table: str) -> Iterator[Verdict]:
    """The verdict of every decisive event stored in the table."""
    for item in scan_items(client, table, prefix=keys.TRANSACTION_PREFIX):
        found = event_of_item(item)
        if found is None:
            continue
        transid, summary = found
        description = description_for(summary, item)
        verdict = verdict_of(transid, summary, description)
        if verdict is not None:
            yield verdict


def recount_suppressions(client: DynamoDBClient, table: str) -> dict[tuple[Channel, str], Verdict]:
    """Each destination's latest verdict among the stored events."""
    return latest_per_destination(stored_verdicts(client, table))


def stored_registers(client: DynamoDBClient, table: str) -> dict[tuple[Channel, str], Verdict]:
    """Every suppression register in the table, by (channel, destination)."""
    registers = (
        suppression_from_item(item)
        for item in scan_items(client, table, prefix=keys.SUPPRESSION_PREFIX)
    )
    return {register.verdict.key: register.verdict for register in registers}
