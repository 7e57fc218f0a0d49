"""The OpenAPI document is generated from the code and matches what the template routes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from openapi_spec_validator import validate

from local_stack.template import resource
from lookup.api import openapi_document
from lookup.openapi import main

REPO_ROOT = Path(__file__).resolve().parents[3]


def _template_routes() -> set[tuple[str, str]]:
    events = resource("LookupFunction")["Properties"]["Events"]
    return {
        (event["Properties"]["Method"].lower(), event["Properties"]["Path"])
        for event in events.values()
        if event["Type"] == "HttpApi"
    }


def _document_routes(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {(method, path) for path, item in document["paths"].items() for method in item}


def _operations(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (path, operation) for path, item in document["paths"].items() for operation in item.values()
    ]


def test_every_route_of_the_template_is_documented_and_nothing_else() -> None:
    template_routes = _template_routes()

    assert template_routes  # the template does route the lookup function
    assert _document_routes(openapi_document()) == template_routes


def test_the_document_is_valid_openapi_3() -> None:
    document = openapi_document()

    validate(document)
    assert document["openapi"].startswith("3.")


def test_every_route_but_the_document_itself_needs_an_api_key() -> None:
    document = openapi_document()
    schemes = document["components"]["securitySchemes"]

    assert schemes["ApiKey"] == {"type": "apiKey", "in": "header", "name": "x-api-key"}
    assert schemes["VendorKey"]["in"] == "header"
    assert schemes["VendorKey"]["name"] == "key"
    for path, operation in _operations(document):
        security = operation.get("security")
        if path == "/openapi.json":
            assert security is None
        elif path == "/resources/v1/messaging/status/{key}/{transactionid}":
            # The key is the path's first parameter: no header is needed.
            assert security is None
            assert operation["parameters"][0]["name"] == "key"
        elif path.startswith("/resources/"):
            # Client code written for the vendor sends its key in the vendor's `key` header.
            assert security == [{"ApiKey": []}, {"VendorKey": []}]
        else:
            assert security == [{"ApiKey": []}]


def test_errors_are_documented_in_the_single_error_shape() -> None:
    document = openapi_document()
    error_reference = {"$ref": "#/components/schemas/ErrorBody"}

    for _path, operation in _operations(document):
        responses = operation["responses"]
        assert "422" not in responses  # validation failures are answered 400
        assert responses["500"]["content"]["application/json"]["schema"] == error_reference
    vendor_route = document["paths"]["/resources/v1/messaging/status/{transactionid}"]["get"]
    assert {"400", "401", "403", "404", "429", "502", "504"} <= set(vendor_route["responses"])
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_the_transaction_id_shape_is_documented() -> None:
    item = openapi_document()["paths"]["/v1/transactions/{transactionid}"]["get"]

    [parameter] = item["parameters"]
    assert parameter["in"] == "path"
    # Letters, digits and _ . : -, up to 128, and never only dots (no "." or ".." segment).
    assert parameter["schema"]["pattern"] == "^[A-Za-z0-9_.:-]*[A-Za-z0-9_:-][A-Za-z0-9_.:-]*$"
    assert parameter["schema"]["maxLength"] == 128


def test_the_script_writes_the_document(tmp_path: Path) -> None:
    target = tmp_path / "docs" / "openapi.json"

    assert main([str(target)]) == 0

    assert json.loads(target.read_text()) == openapi_document()


def test_the_script_runs_as_a_module(tmp_path: Path) -> None:
    target = tmp_path / "openapi.json"
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            str(REPO_ROOT / part) for part in ("layers/shared", "functions")
        ),
    }

    subprocess.run(
        [sys.executable, "-m", "lookup.openapi", str(target)],
        check=True,
        capture_output=True,
        env=environment,
        timeout=60,
    )

    assert _document_routes(json.loads(target.read_text())) == _template_routes()


def test_the_script_needs_exactly_one_path() -> None:
    assert main([]) == 2


def test_the_committed_document_is_the_generated_one() -> None:
    committed = json.loads((REPO_ROOT / "docs" / "openapi.json").read_text(encoding="utf-8"))

    # `make openapi` rewrites it; a route changed without it fails here.
    assert committed == openapi_document()


def test_every_route_documents_its_success_answer() -> None:
    for path, operation in _operations(openapi_document()):
        success = operation["responses"].get("200", {})
        assert success.get("content", {}).get("application/json", {}).get("schema"), path


def test_the_reconcile_route_documents_its_body_and_answer() -> None:
    document = openapi_document()
    operation = document["paths"]["/v1/reconcile"]["post"]
    schemas = document["components"]["schemas"]

    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/ReconcileRequest"}
    ids = schemas["ReconcileRequest"]["properties"]["transactionids"]
    assert (ids["minItems"], ids["maxItems"]) == (1, 1000)
    assert ids["items"] == {"type": "string"}  # a malformed id is refused, not the request
    answer = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer == {"$ref": "#/components/schemas/ReconcileAnswer"}
    fields = schemas["ReconcileAnswer"]["properties"]
    assert set(fields) == {"new", "known", "refused", "refusals", "watching_until"}
    assert all(field.get("description") for field in fields.values())
    assert {"400", "401", "503"} <= set(operation["responses"])


def test_every_timeline_event_says_where_it_came_from() -> None:
    schemas = openapi_document()["components"]["schemas"]

    assert "origin" in schemas["TimelineEntry"]["required"]
    assert schemas["EventOrigin"]["enum"] == ["callback", "status_api", "horizon"]
