"""The code table against the vendor's own documents, and the per-channel look-up."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from receipts.channels import Channel, canonical_channel
from receipts.codes.classification import Classification
from receipts.codes.lookup import CodeInfo, resolve_code
from receipts.codes.table import CODE_TABLE
from receipts.lifecycle import DeliveryStatus, canonical_status

VENDOR_DOCS = Path(__file__).resolve().parents[3] / "docs" / "vendor"
STATUS_API_DOC = VENDOR_DOCS / "status-api.txt"
CALLBACK_DOC = VENDOR_DOCS / "delivery-notifications.txt"

# A row is the code, the message and the description run together; every description
# starts with "Returned".
_ROW = re.compile(r"^(7\d{3})(.+?)(Returned .+)$")

FACTS_CODES = (
    7010,
    7240,
    7241,
    7513,
    7518,
    7519,
    7520,
    7521,
    7522,
    7523,
    7524,
    7528,
    *range(9000, 9011),
)


def _status_api_rows() -> list[tuple[int, str, str]]:
    lines = STATUS_API_DOC.read_text(encoding="utf-8").splitlines()
    start = lines.index("Return CodeMessageDescription") + 1
    rows: list[tuple[int, str, str]] = []
    for line in lines[start:]:
        if not re.match(r"^\d{4}", line):
            break
        match = _ROW.match(line)
        assert match is not None, f"unparsed status-API row: {line!r}"
        rows.append((int(match[1]), match[2], match[3]))
    return rows


def _callback_samples() -> list[dict[str, Any]]:
    """Each top-level JSON object of the callback doc: one that opens with '{' at line start."""
    text = CALLBACK_DOC.read_text(encoding="utf-8")
    decoder = json.JSONDecoder()
    samples: list[dict[str, Any]] = []
    for match in re.finditer(r"^\{", text, flags=re.MULTILINE):
        sample, _ = decoder.raw_decode(text, match.start())
        samples.append(sample)
    return samples


def _delivery_info(sample: dict[str, Any]) -> dict[str, Any]:
    info: dict[str, Any] = sample["deliveryInfoNotification"]["deliveryInfo"]
    return info


def _status_api_entries() -> dict[int, CodeInfo]:
    entries = [entry for entry in CODE_TABLE if entry.source == "status_api"]
    by_code = {entry.code: entry for entry in entries}
    assert len(by_code) == len(entries), "a code has two status-API entries"
    return by_code


STATUS_API_ROWS = _status_api_rows()
CALLBACK_SAMPLES = _callback_samples()


def test_status_api_doc_parses_to_the_whole_table() -> None:
    codes = [code for code, _, _ in STATUS_API_ROWS]
    assert codes[0] == 7000 and codes[-1] == 7603
    assert codes.count(7003) == 30 and codes.count(7004) == 14


@pytest.mark.parametrize(("code", "message", "description"), STATUS_API_ROWS)
def test_every_documented_status_api_message_is_in_the_table(
    code: int, message: str, description: str
) -> None:
    entry = _status_api_entries().get(code)
    assert entry is not None, f"{code} missing"
    assert message == entry.message or message in entry.variants
    if message == entry.message:
        assert entry.description == description


def test_status_api_entry_message_is_the_first_documented_one() -> None:
    first: dict[int, str] = {}
    for code, message, _ in STATUS_API_ROWS:
        first.setdefault(code, message)
    entries = _status_api_entries()
    assert set(entries) == set(first)
    assert {code: entry.message for code, entry in entries.items()} == first


def test_status_api_entries_hold_no_undocumented_text() -> None:
    documented = {(code, message) for code, message, _ in STATUS_API_ROWS}
    for entry in _status_api_entries().values():
        for message in (entry.message, *entry.variants):
            assert (entry.code, message) in documented, (entry.code, message)
        assert len(set(entry.variants)) == len(entry.variants)
        assert entry.message not in entry.variants


def test_multi_message_codes_keep_every_distinct_message_once() -> None:
    entries = _status_api_entries()
    assert len(entries[7003].variants) == 28  # 30 rows, one message documented twice
    assert len(entries[7004].variants) == 13


def test_callback_doc_parses_every_sample_code() -> None:
    text = CALLBACK_DOC.read_text(encoding="utf-8")
    codes_in_text = re.findall(r'"code"\s*:\s*"(\d+)"', text)
    assert codes_in_text
    assert sorted(_delivery_info(sample)["code"] for sample in CALLBACK_SAMPLES) == sorted(
        codes_in_text
    )


@pytest.mark.parametrize("sample", CALLBACK_SAMPLES, ids=lambda s: _delivery_info(s)["code"])
def test_every_callback_sample_code_resolves_for_its_channel_and_status(
    sample: dict[str, Any],
) -> None:
    info = _delivery_info(sample)
    channel = canonical_channel(info["deliveryChannel"])
    status = canonical_status(info["deliveryStatus"])
    assert channel is not Channel.UNKNOWN and status is not DeliveryStatus.UNKNOWN

    entry = resolve_code(int(info["code"]), channel, status)

    assert entry.known
    if status.is_failure:
        assert entry.classification.is_failure or entry.classification is Classification.UNKNOWN
    else:
        assert not entry.classification.is_failure


@pytest.mark.parametrize("code", FACTS_CODES)
def test_every_code_from_the_channel_specific_list_is_known_on_any_channel(code: int) -> None:
    assert resolve_code(code, Channel.UNKNOWN, None).known
    assert resolve_code(code).known


def test_7208_means_message_expired_on_an_undelivered_sms() -> None:
    entry = resolve_code(7208, Channel.SMS, DeliveryStatus.UNDELIVERED)
    assert entry.message == "Message expired"
    assert entry.classification is Classification.FAILED_PERMANENT


def test_7208_keeps_the_status_api_meaning_without_channel() -> None:
    assert resolve_code(7208, Channel.UNKNOWN, None).message == "Source ip is not white listed"


def test_7513_is_permanent_on_push_but_transient_on_sms() -> None:
    push = resolve_code(7513, Channel.PUSH, DeliveryStatus.FAILED)
    sms = resolve_code(7513, Channel.SMS, DeliveryStatus.FAILED)
    assert push.classification is Classification.FAILED_PERMANENT
    assert sms.classification is Classification.FAILED_TRANSIENT
    assert resolve_code(7513, Channel.UNKNOWN, None).known


@pytest.mark.parametrize("code", [7101, 7203])
@pytest.mark.parametrize("status", [DeliveryStatus.FAILED, DeliveryStatus.UNDELIVERED])
def test_sms_7101_and_7203_are_known_failures_from_the_sms_entry(
    code: int, status: DeliveryStatus
) -> None:
    entry = resolve_code(code, Channel.SMS, status)
    assert entry.known and entry.classification.is_failure
    assert entry.channels is not None and Channel.SMS in entry.channels


def test_unknown_code_is_kept_as_unknown() -> None:
    entry = resolve_code(12345, Channel.SMS, DeliveryStatus.FAILED)
    assert entry.code == 12345
    assert not entry.known
    assert entry.classification is Classification.UNKNOWN


def test_missing_code_resolves_to_unknown() -> None:
    assert resolve_code(None).classification is Classification.UNKNOWN


@pytest.mark.parametrize(
    ("code", "http_status"),
    [(7600, 404), (7601, 403), (7001, 502), (7002, 502), (7302, 429), (7005, 504), (7006, 502)],
)
def test_lookup_errors_map_to_their_http_status(code: int, http_status: int) -> None:
    assert resolve_code(code).http_status == http_status


def test_delivery_outcomes_are_not_lookup_errors() -> None:
    for code in (7500, 7501, 7502, 7201, 7401):
        assert resolve_code(code).http_status is None


def test_success_codes_classify_as_their_stage() -> None:
    assert resolve_code(7500).classification is Classification.DELIVERED
    assert resolve_code(7501).classification is Classification.IN_PROGRESS
    assert resolve_code(7502).classification is Classification.READ


def test_no_two_entries_share_code_channels_and_statuses() -> None:
    keys = [(entry.code, entry.channels, entry.statuses) for entry in CODE_TABLE]
    assert len(keys) == len(set(keys))


def test_every_entry_has_a_known_source() -> None:
    assert {entry.source for entry in CODE_TABLE} <= {"status_api", "callback", "channel_specific"}
