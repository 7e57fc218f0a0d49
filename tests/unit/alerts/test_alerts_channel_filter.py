"""AlertChannels and events whose channel is not known.

A horizon closure of an id only registered through POST /v1/reconcile has no channel: the
filter cannot rule it out, so it alerts. Any other event with an unknown channel is one the
platform named and we do not recognise: the filter treats it as before.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from tests.unit.alerts.doubles import EVENTS_DIR, RecordingTarget, alert_body, stored_event_body
from tests.unit.alerts.memory_ledger import InMemoryAlertLedger
from tests.unit.alerts.reconciled_samples import horizon_closure

from alerts.messages import sns_attributes, subject, text
from alerts.model import Alert
from alerts.service import AlertRules, AlertService, Outcome
from alerts.settings import DEFAULT_ALERT_STATUSES
from receipts.channels import Channel
from receipts.lifecycle import DeliveryStatus, EventOrigin
from receipts.models.callback import parse_callback
from receipts.models.reconciled import status_api_event

ServiceFactory = Callable[..., AlertService]

ONLY_SMS = frozenset({Channel.SMS})
ONLY_EMAIL = frozenset({Channel.EMAIL})
HORIZON_SAMPLE = "horizon-no-final-receipt"


def _handle(service: AlertService, body: str) -> Outcome:
    return service.start_batch(25.0).handle(body)


def _registered_only_closure() -> str:
    """The closure of an id no callback ever came for: no channel, no destination."""
    return stored_event_body(horizon_closure("registered-only", channel="", destination=""))


def _failure_on_an_unrecognised_channel() -> str:
    """Callback sample 04-sms-failed, as if the platform had named a channel we do not know."""
    document = json.loads((EVENTS_DIR / "callbacks" / "04-sms-failed.json").read_text())
    document["deliveryInfoNotification"]["deliveryInfo"]["deliveryChannel"] = "carrier-pigeon"
    event = parse_callback(json.dumps(document).encode())
    assert event.channel is Channel.UNKNOWN
    return stored_event_body(event)


def _status_api_failure_without_a_channel() -> str:
    event = status_api_event("no-channel", {"status": "Failed", "error_code": "7200"})
    assert event.channel is Channel.UNKNOWN
    return stored_event_body(event)


# ---- horizon closures ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("channels", "expected"),
    [
        (frozenset(), Outcome.SENT),
        (ONLY_SMS, Outcome.SENT),
        (ONLY_EMAIL, Outcome.SENT),
    ],
)
def test_a_closure_whose_channel_is_not_known_alerts_whatever_the_channel_filter(
    make_service: ServiceFactory,
    sns: RecordingTarget,
    channels: frozenset[Channel],
    expected: Outcome,
) -> None:
    service = make_service(rules=AlertRules(DEFAULT_ALERT_STATUSES, channels=channels))

    assert _handle(service, _registered_only_closure()) is expected

    (alert,) = sns.sent
    assert isinstance(alert, Alert)
    assert (alert.channel, alert.origin) == (Channel.UNKNOWN, EventOrigin.HORIZON)


def test_a_closure_whose_channel_is_known_is_still_filtered_by_it(
    make_service: ServiceFactory, ledger: InMemoryAlertLedger, sns: RecordingTarget
) -> None:
    service = make_service(rules=AlertRules(DEFAULT_ALERT_STATUSES, channels=ONLY_EMAIL))

    assert _handle(service, stored_event_body(horizon_closure(channel="SMS"))) is Outcome.FILTERED
    assert sns.sent == []
    assert ledger.calls == {}


def test_statuses_and_codes_still_do_not_apply_to_a_closure_whose_channel_is_not_known(
    make_service: ServiceFactory,
) -> None:
    rules = AlertRules(
        frozenset({DeliveryStatus.BOUNCED}), channels=ONLY_SMS, codes=frozenset({7208})
    )

    assert _handle(make_service(rules=rules), _registered_only_closure()) is Outcome.SENT


def test_the_sample_closure_passes_a_channel_filter_and_reads_as_no_final_receipt(
    make_service: ServiceFactory, sns: RecordingTarget
) -> None:
    service = make_service(rules=AlertRules(DEFAULT_ALERT_STATUSES, channels=ONLY_SMS))

    assert _handle(service, alert_body(HORIZON_SAMPLE)) is Outcome.SENT

    (alert,) = sns.sent
    assert isinstance(alert, Alert)
    assert alert.is_no_final_receipt
    assert subject(alert) == "No final receipt: Unknown channel after 72 h"
    assert "Unknown channel" in text(alert)
    assert sns_attributes(alert)["channel"] == "unknown"


# ---- other events with an unknown channel ----------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(_failure_on_an_unrecognised_channel, id="callback"),
        pytest.param(_status_api_failure_without_a_channel, id="status-api"),
    ],
)
@pytest.mark.parametrize(
    ("channels", "expected"),
    [
        (frozenset(), Outcome.SENT),
        (ONLY_SMS, Outcome.FILTERED),
        (ONLY_SMS | {Channel.UNKNOWN}, Outcome.SENT),
    ],
)
def test_a_failure_on_an_unknown_channel_alerts_only_when_the_filter_allows_unknown(
    make_service: ServiceFactory,
    body: Callable[[], str],
    channels: frozenset[Channel],
    expected: Outcome,
) -> None:
    service = make_service(rules=AlertRules(DEFAULT_ALERT_STATUSES, channels=channels))

    assert _handle(service, body()) is expected
