"""The suppression list through the running stack: a failure the simulated platform reports
goes through the webhook, the table's stream and the stream consumer onto the list, and the
lookup's routes show it, check it and lift it over HTTP."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest

from local_stack.client import Answer, StackClient, request, wait_until
from simulator.campaign import destination_value, send_request
from simulator.engine import OUTCOME_HEADER

pytestmark = pytest.mark.e2e

# Beyond the demo's and the other tests' destinations: only this test writes to them.
FIRST_INDEX = 9100


def _keyed(stack: StackClient, method: str, path: str, body: Any = None) -> Answer:
    headers = {"content-type": "application/json", **stack.lookup_headers()}
    data = json.dumps(body).encode() if body is not None else None
    return request(method, f"{stack.state.api_url}{path}", body=data, headers=headers)


def _suppressed_by(stack: StackClient, number: str, transid: str) -> dict[str, Any]:
    def decided() -> dict[str, Any] | None:
        state = stack.suppression("sms", number).json()
        return state if state["suppressed"] and state["transactionid"] == transid else None

    return wait_until(decided, timeout=60, interval=0.5)


def test_a_dead_number_is_listed_checked_and_lifted_by_hand(stack: StackClient) -> None:
    number = destination_value("sms", FIRST_INDEX)
    alive = destination_value("sms", FIRST_INDEX + 1)
    (transid,) = stack.send_transids(
        send_request("sms", first_index=FIRST_INDEX), headers={OUTCOME_HEADER: "failed:7203"}
    )

    state = _suppressed_by(stack, number, transid)
    assert state["reason"] == "invalid_address" and state["code"] == 7203

    # Any spelling of the number, and one never suppressed, in one call.
    spelled = f"+{number[:2]} {number[2:5]} {number[5:]}"
    checked = _keyed(
        stack,
        "POST",
        "/v1/suppressions/check",
        {"channel": "sms", "destinations": [spelled, alive]},
    )
    assert checked.status == 200, checked.body
    results = checked.json()["results"]
    assert [r["destination"] for r in results] == [spelled, alive]
    assert [r["suppressed"] for r in results] == [True, False]
    assert checked.json()["suppressed"] == 1

    listed: list[str] = []
    token: str | None = None
    while True:
        query = "/v1/suppressions?channel=sms&limit=100" + (
            f"&next={quote(token)}" if token else ""
        )
        page = _keyed(stack, "GET", query).json()
        listed += [item["normalised"] for item in page["items"]]
        token = page["next"]
        if not token:
            break
    assert number in listed and alive not in listed

    lifted = _keyed(stack, "DELETE", f"/v1/suppressions/sms/{quote(spelled, safe='')}")
    assert lifted.status == 200, lifted.body
    assert lifted.json()["lifted"]["transactionid"] == transid
    assert lifted.json()["suppression"]["lifted_by"] == "operator"
    assert stack.suppression("sms", number).json()["suppressed"] is False
    again = _keyed(stack, "DELETE", f"/v1/suppressions/sms/{number}")
    assert again.status == 404 and again.json()["error"]["code"] == "not_suppressed"


def test_the_suppression_routes_need_the_api_key(stack: StackClient) -> None:
    answer = request("GET", f"{stack.state.api_url}/v1/suppressions/sms/918886661353")
    assert answer.status == 401
    answer = request("DELETE", f"{stack.state.api_url}/v1/suppressions/sms/918886661353")
    assert answer.status == 401
