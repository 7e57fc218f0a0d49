"""A campaign day's worth of stored events, of every kind the reports count, and the stream
records they produce (as the table's stream gives them)."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from receipts.lifecycle import EventOrigin
from receipts.models.callback import DeliveryEvent, parse_callback
from receipts.models.reconciled import horizon_event, status_api_event
from receipts.storage import EventStore

START = datetime(2026, 12, 1, 23, 40, tzinfo=UTC)
CAMPAIGNS = ("black-friday", "welcome-series")
# (channel as the platform spells it, destination, final statuses it may end in with codes)
CHANNELS = (
    (
        "SMS",
        "9188866613{:02d}",
        [("Delivered", "7505"), ("Un-Delivered", "7202"), ("Failed", "7203")],
    ),
    (
        "email",
        "user{:02d}@example.com",
        [("Delivered", None), ("Bounce", "7510"), ("Complaint", None)],
    ),
    ("RT", "rtm-device-{:02d}", [("Delivered", "7505"), ("Failed", "7203")]),
)


def callback(
    transid: str,
    channel: str,
    status: str,
    at: datetime | None,
    *,
    destination: str,
    correlationid: str,
    code: str | None = None,
    description: str = "",
) -> DeliveryEvent:
    info: dict[str, Any] = {
        "deliveryChannel": channel,
        "deliveryStatus": status,
        "destination": destination,
        "Description": description or status,
        # A missing timestamp is stored at a fixed instant; the reports use its arrival.
        "timeStamp": at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] if at else "",
    }
    if code is not None:
        info["code"] = code
    body = {"deliveryInfoNotification": {"deliveryInfo": info, "transid": transid}}
    if correlationid:
        body["deliveryInfoNotification"]["correlationid"] = correlationid
    return parse_callback(json.dumps(body).encode())


@dataclass(frozen=True)
class Stored:
    event: DeliveryEvent
    received_at: datetime


def population(count: int, seed: int = 7) -> list[Stored]:
    """Events of ``count`` transactions, in the order they arrive (not the order they
    happened), with repeats: a transaction submitted, then delivered and maybe read, or
    failed, or left open, reconciled, closed at the horizon; some across midnight."""
    rng = random.Random(seed)
    stored: list[Stored] = []
    for number in range(count):
        transid = f"tx-{number:05d}-{rng.randrange(16**8):08x}"
        channel, destination, finals = CHANNELS[number % len(CHANNELS)]
        campaign = CAMPAIGNS[number % 2] if number % 7 else ""
        sent = START + timedelta(seconds=rng.uniform(0, 3600))
        to = destination.format(number % 100)

        def add(event: DeliveryEvent, at: datetime) -> None:
            stored.append(Stored(event, at + timedelta(seconds=rng.uniform(0.1, 5))))

        submitted = callback(
            transid, channel, "Submitted", sent, destination=to, correlationid=campaign, code="7501"
        )
        add(submitted, sent)
        fate = rng.random()
        later = sent + timedelta(seconds=rng.expovariate(1 / 40))
        if fate < 0.55:
            status, code = finals[0]
            add(
                callback(
                    transid,
                    channel,
                    status,
                    later,
                    destination=to,
                    correlationid=campaign,
                    code=code,
                ),
                later,
            )
            if rng.random() < 0.4:
                read_at = later + timedelta(seconds=rng.expovariate(1 / 300))
                add(
                    callback(
                        transid, channel, "Read", read_at, destination=to, correlationid=campaign
                    ),
                    read_at,
                )
        elif fate < 0.75:
            status, code = rng.choice(finals[1:])
            add(
                callback(
                    transid,
                    channel,
                    status,
                    later,
                    destination=to,
                    correlationid=campaign,
                    code=code,
                ),
                later,
            )
        elif fate < 0.82:
            answer = {
                "channel": channel,
                "status": "Delivered",
                "last_updated": later.strftime("%a, %d %b %Y %H:%M:%S UTC"),
            }
            add(
                status_api_event(transid, answer, destination=to, correlationid=campaign),
                later + timedelta(minutes=20),
            )
        elif fate < 0.87:
            closed = sent + timedelta(hours=72)
            add(
                horizon_event(
                    transid,
                    closed_at=closed,
                    horizon_hours=72,
                    reason="quiet",
                    channel=channel,
                    correlationid=campaign,
                ),
                closed,
            )
        elif fate < 0.92:
            # Delivered with no usable timestamp.
            add(
                callback(
                    transid,
                    channel,
                    finals[0][0],
                    None,
                    destination=to,
                    correlationid=campaign,
                    code=finals[0][1],
                ),
                later,
            )
        # else: still open (submitted only)
        if rng.random() < 0.2:
            # The platform's retry of an event already stored: the same body again.
            stored.append(replace(rng.choice([s for s in stored if s.event.transid == transid])))
    rng.shuffle(stored)
    return stored


def store_all(store: EventStore, events: list[Stored]) -> int:
    """Store every event as ingest does; how many were new."""
    return sum(store.put_event(item.event, received_at=item.received_at) for item in events)


def stream_records(client: Any, table: str) -> list[dict[str, Any]]:
    """Every record in the table's stream, oldest first, as Lambda's event source gives them."""
    stream_arn = client.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    import boto3

    # botocore sends stream calls to an account-based host that moto does not serve yet.
    streams = boto3.client(
        "dynamodbstreams",
        region_name="us-east-1",
        endpoint_url="https://streams.dynamodb.us-east-1.amazonaws.com",
    )
    records: list[dict[str, Any]] = []
    for shard in streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            answer = streams.get_records(ShardIterator=iterator, Limit=1000)
            if not answer["Records"]:
                break
            records.extend(answer["Records"])
            iterator = answer.get("NextShardIterator")
    return records


def batches(records: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(records), size):
        yield records[start : start + size]


__all__ = ["EventOrigin", "Stored", "batches", "population", "store_all", "stream_records"]
