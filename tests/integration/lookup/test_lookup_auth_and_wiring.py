"""API keys on every lookup route, and the handler wired from the template's variables."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from tests.fakes.vendor_status_api import FakeVendorStatusApi
from tests.integration.lookup.conftest import LookupProcess
from tests.integration.lookup.lookup_harness import (
    API_KEY,
    API_KEYS_REFERENCE,
    VENDOR_KEY_REFERENCE,
    FakeSecrets,
    LambdaContextStub,
    body_of,
    openapi_event,
    reconcile_event,
    search_event,
    transaction_event,
    vendor_status_event,
)

from lookup import wiring
from lookup.api import openapi_document
from lookup.handler import lambda_handler
from lookup.settings import get_settings
from receipts import aws_clients

TX = "8026899a-bed4-4ea4-b1cd-eef98829dbd1"

ROUTES: list[Callable[..., dict[str, Any]]] = [
    lambda api_key: vendor_status_event(TX, api_key=api_key),
    lambda api_key: transaction_event(TX, api_key=api_key),
    lambda api_key: search_event(api_key=api_key, destination="918886661353"),
]


@pytest.mark.parametrize("route", ROUTES, ids=["vendor-status", "transaction", "search"])
@pytest.mark.parametrize("api_key", [None, "", "not-a-key", API_KEY + "x"])
def test_a_missing_or_wrong_key_is_401_with_no_upstream_or_table_call(
    lookup: LookupProcess,
    fake_vendor: FakeVendorStatusApi,
    route: Callable[..., dict[str, Any]],
    api_key: str | None,
) -> None:
    fake_vendor.set_status(TX, "sent")

    response = lookup.invoke(route(api_key))

    assert response["statusCode"] == 401
    assert body_of(response)["error"]["code"] == "unauthorized"
    assert fake_vendor.request_count == 0
    assert lookup.store.calls == []


def test_a_wrong_key_is_401_even_when_the_request_is_also_malformed(
    lookup: LookupProcess, fake_vendor: FakeVendorStatusApi
) -> None:
    malformed = [
        vendor_status_event("bad id", api_key="wrong"),
        search_event(api_key="wrong", destination="x", limit="1000"),
    ]

    statuses = [lookup.invoke(event)["statusCode"] for event in malformed]

    assert statuses == [401, 401]
    assert fake_vendor.request_count == 0


def test_rotated_keys_both_work_then_only_the_new_one(
    lookup: LookupProcess, fake_vendor: FakeVendorStatusApi, secrets: FakeSecrets
) -> None:
    fake_vendor.set_status(TX, "sent")
    # Given the operator added a second key on a new line
    secrets.values[API_KEYS_REFERENCE] = "new-key\nold-key\n"

    both = [
        lookup.invoke(vendor_status_event(TX, api_key=key))["statusCode"]
        for key in ("new-key", "old-key")
    ]
    # When the old key is removed
    secrets.values[API_KEYS_REFERENCE] = "new-key"
    after = [
        lookup.invoke(vendor_status_event(TX, api_key=key))["statusCode"]
        for key in ("new-key", "old-key")
    ]

    assert both == [200, 200]
    assert after == [200, 401]


def test_the_openapi_document_is_public(lookup: LookupProcess) -> None:
    response = lookup.invoke(openapi_event(api_key=None))

    assert response["statusCode"] == 200
    assert body_of(response) == openapi_document()
    assert lookup.store.calls == []


# ---- the production wiring, from environment variables --------------------------------------


@pytest.fixture
def deployed_environment(
    monkeypatch: pytest.MonkeyPatch,
    fake_vendor: FakeVendorStatusApi,
    events_table: str,
    mocked_aws: None,
) -> Iterator[None]:
    """The variables the template sets, and the secrets as SecureString parameters in SSM."""
    import boto3
    from aws_lambda_powertools.utilities import parameters

    ssm = boto3.client("ssm", region_name="us-east-1")
    for reference, value in (
        (VENDOR_KEY_REFERENCE, fake_vendor.service_key),
        (API_KEYS_REFERENCE, f"{API_KEY}\nsecond-key"),
    ):
        ssm.put_parameter(Name=reference.removeprefix("ssm:"), Value=value, Type="SecureString")
    for name, value in {
        "VENDOR_BASE_URL": fake_vendor.base_url,
        "VENDOR_TIMEOUT_SECONDS": "1",
        "VENDOR_MAX_ATTEMPTS": "2",
        "VENDOR_SERVICE_KEY_REFERENCE": VENDOR_KEY_REFERENCE,
        "LOOKUP_API_KEYS_REFERENCE": API_KEYS_REFERENCE,
        "NON_FINAL_CACHE_SECONDS": "30",
        "FINAL_CACHE_SECONDS": "86400",
        "STALE_SERVING_SECONDS": "86400",
        "EVENTS_TABLE_NAME": events_table,
    }.items():
        monkeypatch.setenv(name, value)
    caches = (
        get_settings,
        wiring.default_dependencies,
        wiring.process_memory_cache,
        wiring.process_pool,
        aws_clients.dynamodb_client,
    )
    for cached in caches:
        cached.cache_clear()
    parameters.clear_caches()  # type: ignore[no-untyped-call]
    yield
    wiring.process_pool().clear()
    for cached in caches:
        cached.cache_clear()
    parameters.clear_caches()  # type: ignore[no-untyped-call]


def test_the_handler_builds_everything_from_the_environment(
    deployed_environment: None, fake_vendor: FakeVendorStatusApi
) -> None:
    fake_vendor.set_status(TX, "sent")

    first = lambda_handler(vendor_status_event(TX), LambdaContextStub())
    warm = lambda_handler(vendor_status_event(TX, api_key="second-key"), LambdaContextStub())
    refused = lambda_handler(vendor_status_event(TX, api_key="nope"), LambdaContextStub())

    assert first["statusCode"] == 200 and first["headers"]["x-cache"] == "miss"
    assert warm["statusCode"] == 200 and warm["headers"]["x-cache"] == "hit"
    assert refused["statusCode"] == 401
    # The service key came from the SecureString parameter.
    assert fake_vendor.requests[0].headers["key"] == fake_vendor.service_key
    # The vendor client is the layer's, shared with the sweep; the lookup still names itself.
    assert fake_vendor.requests[0].headers["user-agent"] == "imiconnect-receipts-lookup/1"
    assert fake_vendor.request_count == 1


def test_the_handler_registers_ids_in_the_events_table(
    deployed_environment: None, dynamodb_client: Any, events_table: str
) -> None:
    response = lambda_handler(reconcile_event({"transactionids": [TX]}), LambdaContextStub())

    assert response["statusCode"] == 200
    assert body_of(response)["new"] == 1
    watch = dynamodb_client.get_item(
        TableName=events_table, Key={"pk": {"S": f"WATCH#{TX}"}, "sk": {"S": "WATCH"}}
    )
    assert watch["Item"]["source"] == {"S": "registered"}


def test_an_unreadable_key_secret_refuses_every_request(
    deployed_environment: None,
    monkeypatch: pytest.MonkeyPatch,
    fake_vendor: FakeVendorStatusApi,
) -> None:
    monkeypatch.setenv("LOOKUP_API_KEYS_REFERENCE", "ssm:/imiconnect-receipts/test/missing")
    get_settings.cache_clear()

    response = lambda_handler(vendor_status_event(TX), LambdaContextStub())

    assert response["statusCode"] == 503
    assert body_of(response)["error"]["code"] == "authentication_unavailable"
    assert fake_vendor.request_count == 0


def test_an_unreadable_service_key_is_a_502_naming_it(
    new_process: Callable[..., LookupProcess],
    fake_vendor: FakeVendorStatusApi,
    secrets: FakeSecrets,
) -> None:
    del secrets.values[VENDOR_KEY_REFERENCE]
    fake_vendor.set_status(TX, "sent")

    response = new_process().invoke(vendor_status_event(TX))

    assert response["statusCode"] == 502
    assert body_of(response)["error"]["code"] == "service_key_unavailable"
    assert fake_vendor.request_count == 0


def test_the_key_header_is_found_whatever_its_case(
    lookup: LookupProcess, fake_vendor: FakeVendorStatusApi
) -> None:
    fake_vendor.set_status(TX, "sent")
    event = vendor_status_event(TX, api_key=None)
    event["headers"]["X-Api-Key"] = API_KEY

    assert lookup.invoke(event)["statusCode"] == 200


def _on_stage(event: dict[str, Any], stage: str) -> dict[str, Any]:
    """The same request through a named stage: the URL path starts with the stage's name."""
    path = f"/{stage}{event['rawPath']}"
    event["rawPath"] = path
    event["requestContext"]["http"]["path"] = path
    event["requestContext"]["stage"] = stage
    return event


def test_routes_behave_the_same_on_a_named_stage(
    lookup: LookupProcess, fake_vendor: FakeVendorStatusApi
) -> None:
    document = lookup.invoke(_on_stage(openapi_event(api_key=None), "prod"))
    missing = lookup.invoke(_on_stage(vendor_status_event("no-such-id"), "prod"))

    assert document["statusCode"] == 200  # still public
    assert missing["statusCode"] == 404
    assert body_of(missing)["code"] == "7600"  # still the vendor's path
