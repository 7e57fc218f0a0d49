"""Schemathesis against the lookup API's own OpenAPI document, on the local stack over HTTP.

The document is fetched from the running API (``GET /openapi.json``), requests are generated
from it (valid ones, and invalid ones that must be refused with a 4xx), sent with a valid
``x-api-key``, and every answer is checked by Schemathesis: no 5xx, a documented status code,
the documented content type, a body that matches the documented schema. Example counts are
bounded so the module takes seconds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from local_stack.client import StackClient, request, wait_until
from simulator.campaign import send_request
from simulator.engine import OUTCOME_HEADER, QUIRKS_HEADER

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

EXAMPLES_PER_MODE = 25
OPERATIONS = {
    "GET /resources/v1/messaging/status/{transactionid}": "getVendorStatus",
    "GET /resources/v1/messaging/status/{key}/{transactionid}": "getVendorStatusWithKeyInPath",
    "GET /v1/transactions/{transactionid}": "getTransaction",
    "GET /v1/transactions": "searchTransactions",
    "POST /v1/reconcile": "registerForReconciliation",
    "GET /v1/reports/campaigns/{correlationid}": "getCampaignReport",
    "GET /v1/reports/daily": "getDailyReport",
    "GET /v1/suppressions/{channel}/{destination}": "getSuppression",
    "DELETE /v1/suppressions/{channel}/{destination}": "liftSuppression",
    "POST /v1/suppressions/check": "checkSuppressions",
    "GET /v1/suppressions": "listSuppressions",
}  # Schemathesis leaves out GET /openapi.json: it is where the document itself is read from.
# Two checks do not fit the search, every other one applies (and the invalid searches are
# checked one by one below):
# - valid search inputs depend on each other in ways OpenAPI parameters cannot state (exactly
#   one of destination and correlationid; a `next` token this same search issued), so a
#   schema-valid search may rightly be refused 400, as the document says in words;
# - a query string carries only text, so an "invalid" boolean or number generated for a text
#   parameter arrives as valid text ("false") and is rightly accepted.
# - a daily report's range must end after it starts and span at most 93 days, which the
#   parameters cannot state either: a schema-valid range may rightly be refused 400.
# - a destination is one path segment holding more than spaces and dots, and text a table can
#   hold (no lone surrogate), and the list's `next` is a token the list issued: none of it
#   is a schema pattern, so schema-valid ones may rightly be refused 400.
EXCLUDED_CHECKS: dict[str, list[Any]] = {
    "GET /v1/transactions": [positive_data_acceptance, negative_data_rejection],
    "GET /v1/reports/daily": [positive_data_acceptance],
    "GET /v1/suppressions/{channel}/{destination}": [positive_data_acceptance],
    "DELETE /v1/suppressions/{channel}/{destination}": [positive_data_acceptance],
    "POST /v1/suppressions/check": [positive_data_acceptance],
    "GET /v1/suppressions": [positive_data_acceptance],
}


@pytest.fixture(scope="module")
def lookup_schema(client: StackClient) -> Any:
    schema = schemathesis.openapi.from_url(f"{client.state.api_url}/openapi.json", timeout=10)
    # The API ignores query parameters it does not know, as most HTTP APIs do, and the
    # document does not claim otherwise: no invalid case is made of an unknown parameter.
    schema.config.generation.update(allow_extra_parameters=False)
    return schema


@pytest.fixture(scope="module")
def known_transaction(client: StackClient) -> dict[str, str]:
    """A delivered SMS whose callbacks are stored: the answers to it are 200s."""
    payload = send_request("sms", correlationid="schemathesis-known")
    (transid,) = client.send_transids(
        payload, headers={QUIRKS_HEADER: "none", OUTCOME_HEADER: "delivered"}
    )
    client.wait_settled(timeout=30)
    wait_until(lambda: len(client.transaction(transid).json().get("timeline", [])) >= 2, timeout=30)
    destination = client.planned(transid)["destination"]
    return {"transid": transid, "destination": destination, "correlationid": "schemathesis-known"}


def _operation(schema: Any, label: str) -> Any:
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.label == label:
            return operation
    raise AssertionError(f"{label} is not in the document")


def _key_headers(case: Any, client: StackClient) -> dict[str, str]:
    """A valid ``x-api-key``, unless this case's headers are the part made invalid."""
    meta = case._meta  # Schemathesis records which part of a case it generated invalid
    headers = meta.components.get(ParameterLocation.HEADER) if meta is not None else None
    if headers is not None and headers.mode is GenerationMode.NEGATIVE:
        return {}
    return client.lookup_headers()


def _validate(case: Any, client: StackClient, label: str) -> Any:
    return case.call_and_validate(
        base_url=client.state.api_url,
        headers=_key_headers(case, client),
        excluded_checks=EXCLUDED_CHECKS.get(label, []),
        timeout=30,
    )


def test_the_document_lists_the_operations_this_test_covers(lookup_schema: Any) -> None:
    labels = {result.ok().label: result.ok().definition.raw.get("operationId")
              for result in lookup_schema.get_all_operations()}  # fmt: skip

    assert labels == OPERATIONS


# The key in the path is a credential: every generated one is rightly refused 401, so
# generating them tests nothing; that form is covered in tests/integration/lookup and
# tests/e2e/test_lookup_drop_in_e2e.py.
NOT_GENERATED = {"GET /resources/v1/messaging/status/{key}/{transactionid}"}
GENERATED = [
    (label, mode)
    for label in sorted(set(OPERATIONS) - NOT_GENERATED)
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
]


@pytest.mark.parametrize(("label", "mode"), GENERATED, ids=lambda value: str(value))
def test_generated_requests_get_documented_answers_and_never_a_5xx(
    lookup_schema: Any, client: StackClient, label: str, mode: GenerationMode
) -> None:
    operation = _operation(lookup_schema, label)
    statuses: list[int] = []

    @settings(
        max_examples=EXAMPLES_PER_MODE,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case: Any) -> None:
        status = _validate(case, client, label).status_code
        statuses.append(status)
        if status >= 500:
            unexpected.append(f"{status}: {case.path_parameters} {case.query} {case.headers}")

    unexpected: list[str] = []
    check()

    assert statuses, "no request was generated"
    assert unexpected == []
    if mode is GenerationMode.NEGATIVE:
        rejected = [status for status in statuses if 400 <= status < 500]
        if negative_data_rejection in EXCLUDED_CHECKS.get(label, []):
            # Some "invalid" searches are valid text on the wire (0.0 sent as "0.0"), see
            # above; the invalid ones are checked one by one below.
            assert rejected, "no generated invalid search was refused"
        else:
            assert len(rejected) == len(statuses)


@pytest.mark.parametrize(
    ("label", "make_case"),
    [
        (
            "GET /resources/v1/messaging/status/{transactionid}",
            lambda op, known: op.Case(path_parameters={"transactionid": known["transid"]}),
        ),
        (
            "GET /v1/transactions/{transactionid}",
            lambda op, known: op.Case(path_parameters={"transactionid": known["transid"]}),
        ),
        (
            "GET /v1/transactions",
            lambda op, known: op.Case(query={"destination": known["destination"], "limit": 5}),
        ),
        (
            "GET /v1/transactions",
            lambda op, known: op.Case(query={"correlationid": known["correlationid"]}),
        ),
    ],
    ids=["vendor-status", "transaction", "search-destination", "search-correlation"],
)
def test_the_answers_about_a_known_transaction_match_the_document(
    lookup_schema: Any,
    client: StackClient,
    known_transaction: dict[str, str],
    label: str,
    make_case: Callable[[Any, dict[str, str]], Any],
) -> None:
    # Generated ids are unknown (404); these requests reach the 200 answers and their bodies.
    case = make_case(_operation(lookup_schema, label), known_transaction)

    response = _validate(case, client, label)

    assert response.status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        {"destination": "919999000000", "limit": "0"},
        {"destination": "919999000000", "limit": "101"},
        {"destination": "919999000000", "limit": "ten"},
        {"destination": "9" * 257},
        {"correlationid": "c" * 257},
        {"destination": "919999000000", "correlationid": "both"},
        {},
        {"destination": "919999000000", "next": "not-a-token-this-search-issued"},
    ],
    ids=["limit-0", "limit-101", "limit-text", "destination-too-long", "correlation-too-long",
         "both", "neither", "foreign-token"],
)  # fmt: skip
def test_an_invalid_search_is_refused_400_in_the_documented_shape(
    lookup_schema: Any, client: StackClient, query: dict[str, str]
) -> None:
    case = _operation(lookup_schema, "GET /v1/transactions").Case(query=query)

    response = case.call(base_url=client.state.api_url, headers=client.lookup_headers())

    assert response.status_code == 400
    assert set(response.json()) == {"error"}
    assert response.json()["error"]["code"] in {
        "invalid_request", "invalid_search", "invalid_next_token"
    }  # fmt: skip


# ---- what the generated requests above found, each on its own -------------------------------


def test_every_keyed_route_documents_its_200_answer(client: StackClient) -> None:
    document = request("GET", f"{client.state.api_url}/openapi.json").json()

    undocumented = [
        f"{method.upper()} {path}"
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if "200" not in operation["responses"]
    ]

    # Without it, no client generator knows the success shape, and no 200 can be checked.
    assert undocumented == []


def test_a_path_no_route_can_match_is_answered_in_the_single_error_shape(
    client: StackClient,
) -> None:
    # API Gateway takes a trailing slash to the route; the function's resolver does not: the
    # request reaches no route there.
    answer = request(
        "GET", f"{client.state.api_url}/v1/transactions/abc/", headers=client.lookup_headers()
    )

    assert answer.status == 404
    assert set(answer.json()) == {"error"}
    assert answer.json()["error"]["code"] == "no_such_route"
    assert {"code", "message"} <= set(answer.json()["error"])


def test_an_id_with_a_character_no_id_holds_reaches_its_route_and_is_refused(
    client: StackClient,
) -> None:
    # HTTP API hands the function the decoded path: U+0098 is one path segment's character,
    # so the route is found, and its validation refuses the id.
    answer = request(
        "GET", f"{client.state.api_url}/v1/transactions/a%C2%98", headers=client.lookup_headers()
    )

    assert answer.status == 400
    assert answer.json()["error"]["code"] == "invalid_transaction_id"
