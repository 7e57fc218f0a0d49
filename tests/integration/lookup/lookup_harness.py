"""Drives the lookup handler in-process: API Gateway events, a Lambda context, spies."""

from __future__ import annotations

import copy
import json
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from tests.fakes.lambda_context import FakeLambdaContext

from receipts.secret_values import split_secret_value
from receipts.storage import EventStore, SearchPage, StoredEvent
from receipts.storage.event_store import CachedAnswer
from receipts.storage.watches import WatchSource, WatchStore

EVENTS_DIR = Path(__file__).resolve().parents[3] / "events"
VENDOR_KEY_REFERENCE = "ssm:/imiconnect-receipts/test/vendor-service-key"
API_KEYS_REFERENCE = "ssm:/imiconnect-receipts/test/lookup-api-keys"
API_KEY = "lookup-key-1"
# moto's tables are not safe for calls from several threads at once (a put during a query's
# scan breaks it), and POST /v1/reconcile makes its table calls side by side.
MOTO_TABLE_LOCK = threading.Lock()


# The function's 25 s timeout, as at the start of an invocation.
LambdaContextStub = partial(
    FakeLambdaContext,
    function_name="LookupFunction",
    invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:LookupFunction",
    aws_request_id="c6af9ac6-7b61-11e6-9a41-93e812345678",
    remaining_millis=25_000,
)


def _http_event(sample: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(
        (EVENTS_DIR / "http" / "lookup" / f"{sample}.json").read_text()
    )
    return copy.deepcopy(loaded)


def _with_key(event: dict[str, Any], api_key: str | None) -> dict[str, Any]:
    event["headers"].pop("x-api-key", None)
    if api_key is not None:
        event["headers"]["x-api-key"] = api_key
    return event


def _with_path(event: dict[str, Any], path: str) -> dict[str, Any]:
    event["rawPath"] = path
    event["requestContext"]["http"]["path"] = path
    return event


def vendor_status_event(transid: str, *, api_key: str | None = API_KEY) -> dict[str, Any]:
    event = _with_path(
        _http_event("status-by-transactionid"), f"/resources/v1/messaging/status/{transid}"
    )
    event["pathParameters"] = {"transactionid": transid}
    return _with_key(event, api_key)


def keyed_vendor_status_event(path_key: str, transid: str) -> dict[str, Any]:
    """The older clients' form: the key in the path, no key header."""
    event = _with_path(
        _http_event("status-by-transactionid"),
        f"/resources/v1/messaging/status/{path_key}/{transid}",
    )
    route_key = "GET /resources/v1/messaging/status/{key}/{transactionid}"
    event["routeKey"] = event["requestContext"]["routeKey"] = route_key
    event["pathParameters"] = {"key": path_key, "transactionid": transid}
    return _with_key(event, None)


def with_header(event: dict[str, Any], name: str, value: str) -> dict[str, Any]:
    event["headers"][name] = value
    return event


def transaction_event(transid: str, *, api_key: str | None = API_KEY) -> dict[str, Any]:
    event = _with_path(_http_event("transaction-by-id"), f"/v1/transactions/{transid}")
    event["pathParameters"] = {"transactionid": transid}
    return _with_key(event, api_key)


def reconcile_event(
    body: object,
    *,
    api_key: str | None = API_KEY,
    content_type: str = "application/json",
) -> dict[str, Any]:
    """POST /v1/reconcile with ``body`` (a ``str`` goes as it is, anything else as JSON)."""
    event = _with_path(_http_event("transaction-by-id"), "/v1/reconcile")
    event["routeKey"] = event["requestContext"]["routeKey"] = "POST /v1/reconcile"
    event["requestContext"]["http"]["method"] = "POST"
    event.pop("pathParameters", None)
    event["headers"]["content-type"] = content_type
    event["body"] = body if isinstance(body, str) else json.dumps(body)
    return _with_key(event, api_key)


def search_event(*, api_key: str | None = API_KEY, **query: str) -> dict[str, Any]:
    event = _http_event("transactions-by-destination")
    event["rawQueryString"] = urlencode(query)
    event["queryStringParameters"] = dict(query)
    return _with_key(event, api_key)


def campaign_report_event(correlationid: str, *, api_key: str | None = API_KEY) -> dict[str, Any]:
    """GET /v1/reports/campaigns/{correlationid}, as API Gateway matched it."""
    event = _with_path(_http_event("transaction-by-id"), f"/v1/reports/campaigns/{correlationid}")
    route_key = "GET /v1/reports/campaigns/{correlationid}"
    event["routeKey"] = event["requestContext"]["routeKey"] = route_key
    event["pathParameters"] = {"correlationid": correlationid}
    return _with_key(event, api_key)


def daily_report_event(*, api_key: str | None = API_KEY, **query: str) -> dict[str, Any]:
    """GET /v1/reports/daily; pass the query as ``first=``/``last=`` for from/to."""
    names = {"first": "from", "last": "to"}
    parameters = {names.get(name, name): value for name, value in query.items()}
    event = _with_path(_http_event("transactions-by-destination"), "/v1/reports/daily")
    event["routeKey"] = event["requestContext"]["routeKey"] = "GET /v1/reports/daily"
    event["rawQueryString"] = urlencode(parameters)
    event["queryStringParameters"] = parameters
    return _with_key(event, api_key)


def suppression_event(
    channel: str, destination: str, *, method: str = "GET", api_key: str | None = API_KEY
) -> dict[str, Any]:
    """GET (or DELETE) /v1/suppressions/{channel}/{destination}, as API Gateway matched it:
    the path percent-decoded."""
    event = _with_path(
        _http_event("transaction-by-id"), f"/v1/suppressions/{channel}/{destination}"
    )
    route_key = f"{method} /v1/suppressions/{{channel}}/{{destination}}"
    event["routeKey"] = event["requestContext"]["routeKey"] = route_key
    event["requestContext"]["http"]["method"] = method
    event["pathParameters"] = {"channel": channel, "destination": destination}
    return _with_key(event, api_key)


def lift_suppression_event(
    channel: str, destination: str, *, api_key: str | None = API_KEY
) -> dict[str, Any]:
    """DELETE /v1/suppressions/{channel}/{destination}."""
    return suppression_event(channel, destination, method="DELETE", api_key=api_key)


def suppression_check_event(
    body: object,
    *,
    api_key: str | None = API_KEY,
    content_type: str = "application/json",
) -> dict[str, Any]:
    """POST /v1/suppressions/check with ``body`` (a ``str`` goes as it is, anything else as
    JSON)."""
    event = _with_path(_http_event("transaction-by-id"), "/v1/suppressions/check")
    event["routeKey"] = event["requestContext"]["routeKey"] = "POST /v1/suppressions/check"
    event["requestContext"]["http"]["method"] = "POST"
    event.pop("pathParameters", None)
    event["headers"]["content-type"] = content_type
    event["body"] = body if isinstance(body, str) else json.dumps(body)
    return _with_key(event, api_key)


def suppression_list_event(*, api_key: str | None = API_KEY, **query: str) -> dict[str, Any]:
    """GET /v1/suppressions?channel=...&limit=...&next=..."""
    event = _with_path(_http_event("transactions-by-destination"), "/v1/suppressions")
    event["routeKey"] = event["requestContext"]["routeKey"] = "GET /v1/suppressions"
    event["rawQueryString"] = urlencode(query)
    event["queryStringParameters"] = dict(query)
    return _with_key(event, api_key)


def openapi_event(*, api_key: str | None = None) -> dict[str, Any]:
    return _with_key(_http_event("openapi"), api_key)


def body_of(response: dict[str, Any]) -> Any:
    return json.loads(response["body"])


def callback_body(sample: str, **changes: Any) -> bytes:
    """A callback sample with deliveryInfo or top-level notification fields changed."""
    payload = json.loads((EVENTS_DIR / "callbacks" / f"{sample}.json").read_text())
    notification = payload["deliveryInfoNotification"]
    for name, value in changes.items():
        target = notification if name in notification else notification["deliveryInfo"]
        target[name] = value
    return json.dumps(payload).encode()


@dataclass
class FakeSecrets:
    """``load_secrets`` over a dict: reference -> stored value (one secret per line)."""

    values: dict[str, str] = field(default_factory=dict)
    reads: list[str] = field(default_factory=list)

    def __call__(self, reference: str, *, max_age: int = 300) -> tuple[str, ...]:
        self.reads.append(reference)
        return split_secret_value(self.values[reference])


@dataclass
class CountingStore:
    """The real event store, with every call the lookup makes written down."""

    store: EventStore
    calls: list[str] = field(default_factory=list)

    def list_events(self, transid: str) -> list[StoredEvent]:
        self.calls.append("list_events")
        return self.store.list_events(transid)

    def has_final_event(self, transid: str) -> bool:
        self.calls.append("has_final_event")
        with MOTO_TABLE_LOCK:
            return self.store.has_final_event(transid)

    def search(
        self,
        *,
        destination: str | None = None,
        correlationid: str | None = None,
        limit: int = 20,
        cursor: str | None = None,
    ) -> SearchPage:
        self.calls.append("search")
        return self.store.search(
            destination=destination, correlationid=correlationid, limit=limit, cursor=cursor
        )

    def get_cached_answer(self, transid: str) -> CachedAnswer | None:
        self.calls.append("get_cached_answer")
        return self.store.get_cached_answer(transid)

    def put_cached_answer(self, transid: str, answer: CachedAnswer, *, keep_for: timedelta) -> None:
        self.calls.append("put_cached_answer")
        self.store.put_cached_answer(transid, answer, keep_for=keep_for)


@dataclass
class SerializedWatches:
    """The real watch store, one call at a time (see MOTO_TABLE_LOCK)."""

    store: WatchStore

    def watch(
        self,
        transid: str,
        *,
        source: WatchSource,
        first_seen: datetime,
        due_at: datetime,
        horizon_at: datetime,
    ) -> bool:
        with MOTO_TABLE_LOCK:
            return self.store.watch(
                transid, source=source, first_seen=first_seen, due_at=due_at, horizon_at=horizon_at
            )
