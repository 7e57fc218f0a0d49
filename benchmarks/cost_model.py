"""Cost per million callbacks from the template's choices and measured figures.

The prices live in ``benchmarks/prices.toml``; every other input is a measurement or a
template value passed in by the caller, so nothing here is a guess but the traffic mix.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

PRICES_PATH = Path(__file__).with_name("prices.toml")
MILLION = 1_000_000


@dataclass(frozen=True)
class CallbackProfile:
    """What one callback costs in resources, from measurements."""

    billed_duration_ms: float  # Lambda bills per 1 ms
    memory_mb: int  # the template's MemorySize
    table_write_units: float  # average write units of the event item
    index_write_units: float  # average write units in the global secondary indexes
    log_bytes: float  # bytes the function logs per invocation: its log lines and EMF metrics
    failure_share: float  # share of callbacks that are failures and raise an alert
    platform_log_bytes: float  # Lambda's own lines per invocation, as the LoggingConfig keeps


def load_prices(path: Path = PRICES_PATH) -> dict[str, dict[str, float]]:
    with path.open("rb") as handle:
        loaded = tomllib.load(handle)
    return {key: value for key, value in loaded.items() if isinstance(value, dict)}


def cost_per_million_callbacks(
    profile: CallbackProfile, prices: dict[str, dict[str, float]] | None = None
) -> dict[str, float]:
    """US dollars per million callbacks, by service, plus a ``total``."""
    prices = prices or load_prices()
    gb_seconds = MILLION * (profile.billed_duration_ms / 1000) * (profile.memory_mb / 1024)
    write_units = MILLION * (profile.table_write_units + profile.index_write_units)
    alerts = MILLION * profile.failure_share
    lines = {
        "HTTP API": prices["http_api"]["per_million_requests"],
        "Lambda requests": prices["lambda_arm64"]["per_million_requests"],
        "Lambda duration": gb_seconds * prices["lambda_arm64"]["per_gb_second"],
        "DynamoDB writes": write_units
        / MILLION
        * prices["dynamodb_on_demand"]["per_million_write_request_units"],
        # The pipe forwards only failures; the queue sees a send, a receive and a delete each.
        "Pipe + SQS (alerts)": alerts
        / MILLION
        * (
            prices["eventbridge_pipes"]["per_million_requests"]
            + 3 * prices["sqs_standard"]["per_million_requests"]
        ),
        "CloudWatch Logs": MILLION
        * (profile.log_bytes + profile.platform_log_bytes)
        / 1e9
        * prices["cloudwatch_logs"]["per_gb_ingested"],
    }
    lines["total"] = sum(lines.values())
    return lines


@dataclass(frozen=True)
class StreamConsumerProfile:
    """What the reports' stream consumer costs per stored event, from measurements."""

    write_units_per_event: float  # tally puts and counter updates, transactional (2x)
    read_units_per_event: float  # consistent tally reads
    events_per_invocation: float  # a batch of the stream
    billed_ms_per_invocation: float
    memory_mb: int


def stream_consumer_cost_per_million_callbacks(
    profile: StreamConsumerProfile, prices: dict[str, dict[str, float]] | None = None
) -> dict[str, float]:
    """US dollars per million callbacks for the reports, by service, plus a ``total``.

    Apart from :func:`cost_per_million_callbacks` on purpose: the reports are an extra on
    top of ingest. Each callback stored is one stream record the consumer folds in; Lambda
    reads DynamoDB Streams for free, so the stream itself adds nothing here.
    """
    prices = prices or load_prices()
    invocations = MILLION / profile.events_per_invocation
    gb_seconds = invocations * (profile.billed_ms_per_invocation / 1000) * profile.memory_mb / 1024
    dynamodb = prices["dynamodb_on_demand"]
    lines = {
        "DynamoDB writes": profile.write_units_per_event
        * dynamodb["per_million_write_request_units"],
        "DynamoDB reads": profile.read_units_per_event * dynamodb["per_million_read_request_units"],
        "Lambda requests": invocations / MILLION * prices["lambda_arm64"]["per_million_requests"],
        "Lambda duration": gb_seconds * prices["lambda_arm64"]["per_gb_second"],
    }
    lines["total"] = sum(lines.values())
    return lines
