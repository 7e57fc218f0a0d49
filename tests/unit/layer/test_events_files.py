"""The generated ``events/`` folder: valid, complete, consistent and reproducible."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]
EVENTS_DIR = REPO_ROOT / "events"
VENDOR_DIR = REPO_ROOT / "docs" / "vendor"
EXTRACTOR_PATH = REPO_ROOT / "tools" / "extract_events.py"

CALLBACKS_DIR = EVENTS_DIR / "callbacks"
HTTP_CALLBACKS_DIR = EVENTS_DIR / "http" / "callbacks"
STATUS_API_DIR = EVENTS_DIR / "status_api"
STATUS_API_ERRORS_DIR = STATUS_API_DIR / "errors"
LOOKUP_DIR = EVENTS_DIR / "http" / "lookup"

ALL_JSON_FILES = sorted(EVENTS_DIR.rglob("*.json"))
CALLBACK_FILES = sorted(CALLBACKS_DIR.glob("*.json"))
STATUS_API_FILES = sorted(STATUS_API_DIR.glob("*.json"))


def relative(path: Path) -> str:
    return path.relative_to(EVENTS_DIR).as_posix()


def load_json(path: Path) -> Any:
    return json.loads(path.read_bytes())


def load_extractor() -> ModuleType:
    spec = importlib.util.spec_from_file_location("extract_events", EXTRACTOR_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def files_under(root: Path) -> dict[str, bytes]:
    return {relative_to(path, root): path.read_bytes() for path in root.rglob("*.json")}


def relative_to(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def test_events_folder_is_populated() -> None:
    assert CALLBACK_FILES, "run: python tools/extract_events.py"
    assert STATUS_API_FILES
    assert (EVENTS_DIR / "README.md").is_file()


@pytest.mark.parametrize("path", ALL_JSON_FILES, ids=relative)
def test_every_events_file_is_valid_json(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert isinstance(json.loads(text), dict | list)
    assert text.endswith("\n")


def test_one_callback_file_per_sample_in_the_vendor_document() -> None:
    document = (VENDOR_DIR / "delivery-notifications.txt").read_text(encoding="utf-8")
    sample_count = document.count('"deliveryInfoNotification"')
    assert sample_count > 30
    assert len(CALLBACK_FILES) == sample_count
    numbers = [int(path.name.split("-", 1)[0]) for path in CALLBACK_FILES]
    assert numbers == list(range(1, sample_count + 1))


def test_callback_file_names_follow_channel_and_status() -> None:
    for path in CALLBACK_FILES:
        info = load_json(path)["deliveryInfoNotification"]["deliveryInfo"]
        channel = info["deliveryChannel"].lower()
        assert re.fullmatch(rf"\d\d-{re.escape(channel)}-[a-z0-9_-]+\.json", path.name), path.name
    names_without_numbers = [path.name.split("-", 1)[1] for path in CALLBACK_FILES]
    assert len(set(names_without_numbers)) == len(names_without_numbers)


def test_every_callback_has_an_http_event_and_nothing_else() -> None:
    assert [path.name for path in sorted(HTTP_CALLBACKS_DIR.glob("*.json"))] == [
        path.name for path in CALLBACK_FILES
    ]


@pytest.mark.parametrize("raw_path", CALLBACK_FILES, ids=relative)
def test_http_callback_event_carries_the_raw_body(raw_path: Path) -> None:
    raw = load_json(raw_path)
    event = load_json(HTTP_CALLBACKS_DIR / raw_path.name)
    assert json.loads(event["body"]) == raw
    assert event["body"] == json.dumps(raw, separators=(",", ":"), ensure_ascii=False)
    assert event["version"] == "2.0"
    assert event["routeKey"] == "POST /callbacks"
    assert event["rawPath"] == "/callbacks"
    assert event["isBase64Encoded"] is False
    assert event["headers"]["content-type"] == "application/json"
    assert event["headers"]["content-length"] == str(len(event["body"].encode("utf-8")))
    assert event["headers"]["x-wx-gtrid"]
    assert not [name for name in event["headers"] if "signature" in name or "auth" in name]
    context = event["requestContext"]
    assert context["http"]["method"] == "POST"
    assert context["http"]["path"] == "/callbacks"
    assert context["stage"] == "$default"
    assert isinstance(context["timeEpoch"], int)


@pytest.mark.parametrize("method", ["HEAD", "GET"])
def test_callback_probe_events_have_no_body(method: str) -> None:
    event = load_json(EVENTS_DIR / "http" / f"callbacks-probe-{method.lower()}.json")
    assert event["routeKey"] == f"{method} /callbacks"
    assert event["requestContext"]["http"]["method"] == method
    assert "body" not in event


def test_one_status_api_file_per_response_example() -> None:
    document = (VENDOR_DIR / "status-api.txt").read_text(encoding="utf-8")
    example_count = len(re.findall(r"^\[\{", document, flags=re.MULTILINE))
    assert example_count == 5
    assert len(STATUS_API_FILES) == example_count


@pytest.mark.parametrize("path", STATUS_API_FILES, ids=relative)
def test_status_api_sample_is_a_list_of_transactions(path: Path) -> None:
    response = load_json(path)
    assert isinstance(response, list) and response
    for transaction in response:
        assert isinstance(transaction, dict)
        assert {"transactionid", "channel", "status", "date_created"} <= transaction.keys()


def test_status_api_errors_are_code_and_description() -> None:
    errors = {
        path.stem.split("-", 1)[0]: load_json(path) for path in STATUS_API_ERRORS_DIR.glob("*")
    }
    assert set(errors) == {"7600", "7601", "7001", "7002", "7302"}
    for code, body in errors.items():
        assert body == {"code": code, "description": body["description"]}
        assert body["description"]


def test_lookup_events_are_authorised_get_requests() -> None:
    events = {path.name: load_json(path) for path in LOOKUP_DIR.glob("*.json")}
    assert set(events) == {
        "status-by-transactionid.json",
        "transaction-by-id.json",
        "transactions-by-destination.json",
        "transactions-by-correlationid.json",
        "openapi.json",
    }
    for event in events.values():
        assert event["routeKey"].startswith("GET /")
        assert event["requestContext"]["http"]["method"] == "GET"
        assert event["headers"]["x-api-key"] == "local-lookup-key"
        assert "body" not in event
    status = events["status-by-transactionid.json"]
    assert status["routeKey"] == "GET /resources/v1/messaging/status/{transactionid}"
    transaction_id = status["pathParameters"]["transactionid"]
    assert status["rawPath"] == f"/resources/v1/messaging/status/{transaction_id}"
    sms_transaction_ids = {
        load_json(path)["deliveryInfoNotification"]["transid"]
        for path in CALLBACK_FILES
        if "-sms-" in path.name
    }
    assert transaction_id in sms_transaction_ids
    assert "destination" in events["transactions-by-destination.json"]["queryStringParameters"]
    assert "correlationid" in events["transactions-by-correlationid.json"]["queryStringParameters"]


def test_extractor_reproduces_the_committed_files(tmp_path: Path) -> None:
    extractor = load_extractor()
    extractor.main(tmp_path)
    regenerated = files_under(tmp_path)
    assert regenerated
    committed = files_under(EVENTS_DIR)
    for name, content in regenerated.items():
        assert committed.get(name) == content, (
            f"{name} is stale: run python tools/extract_events.py"
        )
    for folder in extractor.OWNED_FOLDERS:
        in_repo = {path.name for path in (EVENTS_DIR / folder).glob("*.json")}
        expected = {path.name for path in (tmp_path / folder).glob("*.json")}
        assert in_repo == expected, f"events/{folder} has files the extractor does not write"


def test_extractor_is_idempotent_and_prunes_stale_files(tmp_path: Path) -> None:
    extractor = load_extractor()
    extractor.main(tmp_path)
    first = files_under(tmp_path)
    stale = tmp_path / "callbacks" / "99-stale.json"
    stale.write_text("{}\n", encoding="utf-8")
    extractor.main(tmp_path)
    assert not stale.exists()
    assert files_under(tmp_path) == first
