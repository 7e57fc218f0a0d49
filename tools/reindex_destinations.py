"""Re-key the destination index of events stored before destinations were normalised.

Search finds a destination by its normal form (``receipts.destinations``): a number by its
digits alone, an email address in lower case. Events stored by an earlier version carry the
destination as the platform wrote it (``DEST#+91 888 666 1353``) and would no longer be found
under any spelling. This rewrites their ``destination_key``; nothing else of an event changes,
and the index follows by itself. Run it once after upgrading, with credentials that may scan
and update the table (the functions' roles may not)::

    .venv/bin/python tools/reindex_destinations.py --table <EventsTableName output> [--dry-run]

It is safe to run again, or beside the running webhook: an event whose key is already in
normal form is left alone, and each update is conditional on the key it read.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
_LAYER = str(REPO_ROOT / "layers" / "shared")
if _LAYER not in sys.path:
    sys.path.insert(0, _LAYER)

from botocore.exceptions import ClientError  # noqa: E402

from receipts.storage import keys  # noqa: E402


@dataclass
class Counts:
    events: int = 0
    rekeyed: int = 0
    changed_meanwhile: int = 0


def _events_with_a_destination(client: Any, table: str) -> Iterator[dict[str, Any]]:
    paginator = client.get_paginator("scan")
    pages = paginator.paginate(
        TableName=table,
        ProjectionExpression="#pk, #sk, #destination",
        FilterExpression="begins_with(#pk, :events) AND attribute_exists(#destination)",
        ExpressionAttributeNames={
            "#pk": keys.PARTITION_KEY,
            "#sk": keys.SORT_KEY,
            "#destination": keys.DESTINATION_KEY,
        },
        ExpressionAttributeValues={":events": {"S": keys.TRANSACTION_PREFIX}},
    )
    for page in pages:
        yield from page.get("Items", [])


def reindex(client: Any, table: str, *, dry_run: bool = False) -> Counts:
    """Give every event's ``destination_key`` its normal form; count what was done."""
    counts = Counts()
    for item in _events_with_a_destination(client, table):
        counts.events += 1
        stored = item[keys.DESTINATION_KEY]["S"]
        wanted = keys.destination_key(keys.strip_prefix(stored))
        if wanted == stored:
            continue
        counts.rekeyed += 1
        if dry_run:
            continue
        try:
            client.update_item(
                TableName=table,
                Key={
                    keys.PARTITION_KEY: item[keys.PARTITION_KEY],
                    keys.SORT_KEY: item[keys.SORT_KEY],
                },
                UpdateExpression="SET #destination = :wanted",
                ConditionExpression="#destination = :stored",
                ExpressionAttributeNames={"#destination": keys.DESTINATION_KEY},
                ExpressionAttributeValues={":wanted": {"S": wanted}, ":stored": {"S": stored}},
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            # Expired or re-keyed by a concurrent run since the scan read it.
            counts.rekeyed -= 1
            counts.changed_meanwhile += 1
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", required=True, help="the stack's EventsTableName output")
    parser.add_argument("--region", help="the table's region (default: the AWS configuration)")
    parser.add_argument("--dry-run", action="store_true", help="count, change nothing")
    arguments = parser.parse_args(argv)

    import boto3

    client = boto3.client("dynamodb", region_name=arguments.region)
    counts = reindex(client, arguments.table, dry_run=arguments.dry_run)
    verb = "would re-key" if arguments.dry_run else "re-keyed"
    print(
        f"{counts.events} events with a destination; {verb} {counts.rekeyed};"
        f" {counts.changed_meanwhile} changed meanwhile"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
