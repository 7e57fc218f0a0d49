"""What one callback costs in CloudWatch: a sampled INFO line, and metrics under ``service`` only.

The table holds every callback, so an accepted or duplicate one is logged at INFO only for the
share ``ACCEPTED_LOG_SAMPLE_RATE`` sets (DEBUG otherwise); warnings and errors always log.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from tests.integration.ingest.ingest_support import (
    Answer,
    FakeLambdaContext,
    emf_metrics,
    http_event,
    metric_total,
    signed,
    with_body,
)

from ingest.dependencies import IngestDependencies
from ingest.observability import logger, metrics
from ingest.routes import handle_event

STORED = "callback stored"
ALREADY_STORED = "callback already stored"
SAMPLES = ("01-sms-submitted", "02-sms-delivered", "04-sms-failed", "33-email-delivered")


@pytest.fixture
def debug_log(log_output: io.StringIO) -> Iterator[io.StringIO]:
    """The function's lines down to DEBUG, so a line sent to DEBUG is seen, not lost."""
    level = logger.log_level
    logger.setLevel(logging.DEBUG)
    yield log_output
    logger.setLevel(level)


def _lines(log: io.StringIO, message: str) -> list[dict[str, Any]]:
    parsed = [json.loads(line) for line in log.getvalue().splitlines()]
    return [line for line in parsed if line["message"] == message]


def _transid(sample: str) -> str:
    body = json.loads(http_event(sample)["body"])
    return str(body["deliveryInfoNotification"]["transid"])


def _with_draws(draws: list[float]) -> Callable[[], float]:
    """A random source that hands out ``draws`` in order, and fails if asked for more."""
    remaining = iter(draws)
    return lambda: next(remaining)


def _never_drawn() -> float:
    raise AssertionError("a rate of 0 must not draw")


def _handler_drawing(
    dependencies: IngestDependencies, draw: Callable[[], float]
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """The handler's metrics wiring around the routes, with a chosen random source."""

    @metrics.log_metrics
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return dict(handle_event(event, dependencies, draw=draw))

    return lambda event: handler(event, FakeLambdaContext())


# ---- sampling ------------------------------------------------------------------------------


def test_at_rate_0_an_accepted_callback_logs_at_debug_only_and_is_still_counted(
    invoke: Callable[..., Answer],
    make_dependencies: Callable[..., IngestDependencies],
    debug_log: io.StringIO,
    capsys: pytest.CaptureFixture[str],
) -> None:
    dependencies = make_dependencies(ACCEPTED_LOG_SAMPLE_RATE="0")

    first = invoke(signed(http_event("04-sms-failed")), dependencies)
    second = invoke(signed(http_event("04-sms-failed")), dependencies)

    assert (first.status, second.status) == (200, 200)
    stored, already = _lines(debug_log, STORED), _lines(debug_log, ALREADY_STORED)
    assert [line["level"] for line in stored + already] == ["DEBUG", "DEBUG"]
    output = capsys.readouterr().out
    assert metric_total(output, "Callbacks") == 2
    assert metric_total(output, "CallbacksAccepted") == 1
    assert metric_total(output, "Duplicates") == 1


def test_at_rate_0_nothing_is_drawn(
    make_dependencies: Callable[..., IngestDependencies], debug_log: io.StringIO
) -> None:
    handler = _handler_drawing(make_dependencies(ACCEPTED_LOG_SAMPLE_RATE="0"), _never_drawn)

    assert handler(signed(http_event("04-sms-failed")))["statusCode"] == 200
    assert [line["level"] for line in _lines(debug_log, STORED)] == ["DEBUG"]


def test_at_rate_1_every_accepted_and_duplicate_callback_logs_its_line_at_info(
    invoke: Callable[..., Answer],
    make_dependencies: Callable[..., IngestDependencies],
    log_output: io.StringIO,
) -> None:
    dependencies = make_dependencies(ACCEPTED_LOG_SAMPLE_RATE="1")

    invoke(signed(http_event("04-sms-failed")), dependencies)
    invoke(signed(http_event("04-sms-failed")), dependencies)

    (stored,) = _lines(log_output, STORED)
    (already,) = _lines(log_output, ALREADY_STORED)
    assert (stored["level"], already["level"]) == ("INFO", "INFO")
    # The line's content is what it always was: channel and status live here, not in metrics.
    assert {key: stored[key] for key in ("outcome", "channel", "status", "alert")} == {
        "outcome": "accepted",
        "channel": "sms",
        "status": "failed",
        "alert": True,
    }
    assert {"code", "classification"} <= set(stored)
    assert stored["correlation_id"] == already["correlation_id"] == _transid("04-sms-failed")
    assert already["outcome"] == "duplicate"


def test_a_draw_below_the_rate_logs_at_info_and_the_others_at_debug(
    make_dependencies: Callable[..., IngestDependencies],
    debug_log: io.StringIO,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given a rate of 0.3 and one draw per callback, in order
    handler = _handler_drawing(
        make_dependencies(ACCEPTED_LOG_SAMPLE_RATE="0.3"), _with_draws([0.1, 0.3, 0.29, 0.95])
    )

    # When four different callbacks arrive
    for sample in SAMPLES:
        assert handler(signed(http_event(sample)))["statusCode"] == 200

    # Then exactly those drawn below 0.3 are at INFO, and every one is counted
    levels = {line["correlation_id"]: line["level"] for line in _lines(debug_log, STORED)}
    assert levels == {
        _transid(SAMPLES[0]): "INFO",
        _transid(SAMPLES[1]): "DEBUG",
        _transid(SAMPLES[2]): "INFO",
        _transid(SAMPLES[3]): "DEBUG",
    }
    assert metric_total(capsys.readouterr().out, "CallbacksAccepted") == 4


def test_warnings_are_logged_whatever_the_rate(
    invoke: Callable[..., Answer],
    make_dependencies: Callable[..., IngestDependencies],
    log_output: io.StringIO,
) -> None:
    dependencies = make_dependencies(ACCEPTED_LOG_SAMPLE_RATE="0")

    unsigned = http_event("04-sms-failed")
    unsigned["headers"].pop("x-hub-signature", None)
    assert invoke(unsigned, dependencies).status == 401
    assert (
        invoke(signed(with_body(http_event("04-sms-failed"), "{not json")), dependencies).status
        == 400
    )

    levels = {
        json.loads(line)["message"]: json.loads(line)["level"]
        for line in log_output.getvalue().splitlines()
    }
    assert levels["callback authentication failed"] == "WARNING"
    assert levels["callback rejected and quarantined"] == "WARNING"


# ---- metrics -------------------------------------------------------------------------------


def test_every_ingest_metric_carries_the_service_dimension_only(
    invoke: Callable[..., Answer],
    dependencies: IngestDependencies,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given callbacks on two channels, a duplicate, a rejected body and an unsigned one
    invoke(signed(http_event("04-sms-failed")), dependencies)
    invoke(signed(http_event("36-email-bounce")), dependencies)
    invoke(signed(http_event("36-email-bounce")), dependencies)
    invoke(signed(with_body(http_event("04-sms-failed"), "{not json")), dependencies)
    unsigned = http_event("04-sms-failed")
    unsigned["headers"].pop("x-hub-signature", None)
    invoke(unsigned, dependencies)

    # Then every counter the function emits is under [service] alone, the alarms' one
    blobs = [blob for blob in emf_metrics(capsys.readouterr().out) if "ColdStart" not in blob]
    names = set()
    for blob in blobs:
        (directive,) = blob["_aws"]["CloudWatchMetrics"]
        assert directive["Dimensions"] == [["service"]], directive
        assert blob["service"] == "ingest"
        assert not {"channel", "status"} & set(blob)
        names |= {metric["Name"] for metric in directive["Metrics"]}
    assert {"Callbacks", "CallbacksAccepted", "Duplicates", "AuthFailures", "Quarantined"} <= names
