"""Build the ``events/`` folder from the vendor documents in ``docs/vendor/``.

Run from the repository root::

    python tools/extract_events.py                  # rewrite events/
    python tools/extract_events.py --output-dir DIR # write the same tree somewhere else

The output is deterministic: the same documents always give byte-identical files. The
folders listed in OWNED_FOLDERS belong to this script: stale ``*.json`` files in them are removed.
"""

import argparse
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
DELIVERY_NOTIFICATIONS_DOC = REPO_ROOT / "docs" / "vendor" / "delivery-notifications.txt"
STATUS_API_DOC = REPO_ROOT / "docs" / "vendor" / "status-api.txt"
DEFAULT_OUTPUT_DIR = REPO_ROOT / "events"

JsonObject = dict[str, Any]

# Fixed values for the synthetic API Gateway envelope; nothing here is a real account.
ACCOUNT_ID = "123456789012"
API_ID = "abcde12345"
DOMAIN_NAME = f"{API_ID}.execute-api.eu-west-1.amazonaws.com"
STAGE = "$default"
VENDOR_SOURCE_IP = "203.0.113.10"
VENDOR_USER_AGENT = "Apache-HttpClient/4.5.13 (Java/1.8.0_292)"
CLIENT_SOURCE_IP = "198.51.100.20"
CLIENT_USER_AGENT = "curl/8.5.0"
LOCAL_LOOKUP_API_KEY = "local-lookup-key"  # placeholder for local testing only
FIRST_TIME_EPOCH_MS = 1_700_000_000_000
EVENT_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/imiconnect-receipts/events")

CALLBACKS_ROUTE = "/callbacks"
STATUS_ROUTE = "/resources/v1/messaging/status/{transactionid}"
TRANSACTION_ROUTE = "/v1/transactions/{transactionid}"
TRANSACTIONS_ROUTE = "/v1/transactions"
OPENAPI_ROUTE = "/openapi.json"

# Vendor error codes the lookup tests need, with the file name each is written to.
STATUS_API_ERROR_FILES: dict[str, str] = {
    "7600": "7600-no-results.json",
    "7601": "7601-other-service.json",
    "7001": "7001-auth-failed.json",
    "7002": "7002-key-missing.json",
    "7302": "7302-rate-limit.json",
}

# Folders whose every *.json this script writes; stale files in them are removed. Files it
# writes elsewhere (events/http/callbacks-probe-*.json) are overwritten but nothing is pruned.
OWNED_FOLDERS = ("callbacks", "http/callbacks", "http/lookup", "status_api", "status_api/errors")

# Typos in the vendor's channel labels, corrected in file names only (values are kept).
FILE_NAME_SPELLING_FIXES: dict[str, str] = {"tiwtter": "twitter"}


@dataclass(frozen=True)
class CallbackSample:
    name: str
    body: JsonObject


# --------------------------------------------------------------------------- reading docs


def read_callback_samples(document: str) -> list[JsonObject]:
    """Every JSON object that starts at the beginning of a line, in document order."""
    decoder = json.JSONDecoder()
    samples: list[JsonObject] = []
    position = 0
    for match in re.finditer(r"^\{", document, flags=re.MULTILINE):
        if match.start() < position:
            continue  # a brace inside a sample already decoded
        sample, position = decoder.raw_decode(document, match.start())
        if not isinstance(sample, dict) or "deliveryInfoNotification" not in sample:
            raise ValueError(f"unexpected JSON at offset {match.start()}: {sample!r}")
        samples.append(sample)
    return samples


def read_status_api_samples(document: str) -> list[list[JsonObject]]:
    """Every response example (``[{ ... }]`` block) repaired into valid JSON, in order."""
    blocks = re.findall(r"^\[\{.*?^\}\]", document, flags=re.MULTILINE | re.DOTALL)
    return [json.loads(repair_vendor_json(block)) for block in blocks]


def read_status_api_error_messages(document: str) -> dict[str, str]:
    """Return code -> message from the status-code table ("7600no results foundReturned ...")."""
    messages: dict[str, str] = {}
    for code, message in re.findall(r"^(\d{4})(.+?)Returned ", document, flags=re.MULTILINE):
        messages.setdefault(code, message.strip())
    return messages


# ------------------------------------------------------------------------ repairing JSON


def repair_vendor_json(text: str) -> str:
    """Vendor JSON-like text to JSON: straight quotes, no comments, no trailing commas."""
    straight = replace_curly_double_quotes(text)
    return remove_trailing_commas(remove_line_comments(straight))


def replace_curly_double_quotes(text: str) -> str:
    return text.replace("\u201c", '"').replace("\u201d", '"')


def split_outside_strings(text: str) -> Iterator[tuple[int, str, bool]]:
    """Yield (index, character, inside_string) for every character of JSON-like text."""
    inside_string = False
    escaped = False
    for index, character in enumerate(text):
        if inside_string:
            yield index, character, True
            if escaped:
                escaped = False
            elif character == "\\":
                escaped = True
            elif character == '"':
                inside_string = False
        else:
            if character == '"':
                inside_string = True
                yield index, character, True
            else:
                yield index, character, False


def remove_line_comments(text: str) -> str:
    """Drop ``// ...`` up to the end of the line wherever it is not inside a string."""
    kept: list[str] = []
    skip_until_newline = False
    for index, character, inside_string in split_outside_strings(text):
        if skip_until_newline:
            if character != "\n":
                continue
            skip_until_newline = False
        elif not inside_string and text.startswith("//", index):
            skip_until_newline = True
            continue
        kept.append(character)
    return re.sub(r"[ \t]+\n", "\n", "".join(kept))


def remove_trailing_commas(text: str) -> str:
    """Drop a comma outside a string when only whitespace separates it from ``}`` or ``]``."""
    kept: list[str] = []
    for index, character, inside_string in split_outside_strings(text):
        if not inside_string and character == ",":
            following = text[index + 1 :].lstrip()
            if following[:1] in ("}", "]"):
                continue
        kept.append(character)
    return "".join(kept)


# ---------------------------------------------------------------------------- file names


def slugify(text: str, keep: str = "") -> str:
    """Lower-case; every run of characters other than a-z, 0-9 and ``keep`` becomes one hyphen."""
    allowed = "a-z0-9" + re.escape(keep)
    return re.sub(f"[^{allowed}]+", "-", text.strip().lower()).strip("-")


def delivery_channel(body: JsonObject) -> str:
    return str(body["deliveryInfoNotification"]["deliveryInfo"]["deliveryChannel"]).strip().lower()


def callback_sample_name(body: JsonObject) -> str:
    """``<channel>-<status>``, with the destination type for push (``push-ios_pushid-read``)."""
    info = body["deliveryInfoNotification"]["deliveryInfo"]
    channel = delivery_channel(body)
    status = slugify(str(info["deliveryStatus"]))
    if channel == "push":
        return f"{channel}-{slugify(str(info['destinationType']), keep='_')}-{status}"
    return f"{channel}-{status}"


def name_callback_samples(bodies: list[JsonObject]) -> list[CallbackSample]:
    """Number the samples in document order (``01-sms-submitted``) and insist names are unique."""
    samples = [
        CallbackSample(name=f"{number:02d}-{callback_sample_name(body)}", body=body)
        for number, body in enumerate(bodies, start=1)
    ]
    duplicated = find_duplicates([sample.name.split("-", 1)[1] for sample in samples])
    if duplicated:
        raise ValueError(f"callback sample names are not unique: {sorted(duplicated)}")
    return samples


def status_api_sample_name(number: int, response: list[JsonObject]) -> str:
    """``NN-<channel>`` from the channel label ("fb / tiwtter / wechat" -> fb-twitter-wechat)."""
    words = slugify(str(response[0]["channel"])).split("-")
    channel = "-".join(FILE_NAME_SPELLING_FIXES.get(word, word) for word in words)
    return f"{number:02d}-{channel}"


def find_duplicates(names: list[str]) -> set[str]:
    seen: set[str] = set()
    duplicated: set[str] = set()
    for name in names:
        if name in seen:
            duplicated.add(name)
        seen.add(name)
    return duplicated


# ------------------------------------------------------------------------- JSON encoding


def pretty_json(value: Any) -> str:
    """The on-disk form of every generated file: 2-space indent, UTF-8, trailing newline."""
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def compact_json(value: Any) -> str:
    """The wire form of a callback body, as used in the HTTP events."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


# ------------------------------------------------------------------ API Gateway envelopes


def deterministic_uuid(label: str) -> str:
    return str(uuid.uuid5(EVENT_ID_NAMESPACE, label))


def request_time(epoch_ms: int) -> str:
    """API Gateway's ``requestContext.time`` format, e.g. ``14/Nov/2023:22:13:20 +0000``."""
    return datetime.fromtimestamp(epoch_ms / 1000, tz=UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")


def http_api_event(
    *,
    label: str,
    method: str,
    route: str,
    path: str,
    epoch_ms: int,
    source_ip: str,
    user_agent: str,
    extra_headers: dict[str, str] | None = None,
    body: str | None = None,
    path_parameters: dict[str, str] | None = None,
    query_parameters: dict[str, str] | None = None,
) -> JsonObject:
    """An API Gateway HTTP API payload format 2.0 event, the shape ``sam local invoke`` passes."""
    request_id = deterministic_uuid(f"request:{label}")
    headers: dict[str, str] = {
        "accept": "*/*",
        "host": DOMAIN_NAME,
        "user-agent": user_agent,
        "x-amzn-trace-id": f"Root=1-{epoch_ms // 1000:08x}-{request_id.replace('-', '')[:24]}",
        "x-forwarded-for": source_ip,
        "x-forwarded-port": "443",
        "x-forwarded-proto": "https",
    }
    if body is not None:
        headers["content-length"] = str(len(body.encode("utf-8")))
        headers["content-type"] = "application/json"
    headers.update(extra_headers or {})
    raw_query_string = "&".join(f"{key}={value}" for key, value in (query_parameters or {}).items())
    route_key = f"{method} {route}"
    event: JsonObject = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": raw_query_string,
        "headers": dict(sorted(headers.items())),
    }
    if query_parameters:
        event["queryStringParameters"] = dict(query_parameters)
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)
    event["requestContext"] = {
        "accountId": ACCOUNT_ID,
        "apiId": API_ID,
        "domainName": DOMAIN_NAME,
        "domainPrefix": API_ID,
        "http": {
            "method": method,
            "path": path,
            "protocol": "HTTP/1.1",
            "sourceIp": source_ip,
            "userAgent": user_agent,
        },
        "requestId": request_id,
        "routeKey": route_key,
        "stage": STAGE,
        "time": request_time(epoch_ms),
        "timeEpoch": epoch_ms,
    }
    if body is not None:
        event["body"] = body
    event["isBase64Encoded"] = False
    return event


def callback_http_event(sample: CallbackSample, number: int) -> JsonObject:
    """``POST /callbacks`` carrying the sample as the vendor would send it (no signature)."""
    return http_api_event(
        label=f"callback:{sample.name}",
        method="POST",
        route=CALLBACKS_ROUTE,
        path=CALLBACKS_ROUTE,
        epoch_ms=FIRST_TIME_EPOCH_MS + number * 1000,
        source_ip=VENDOR_SOURCE_IP,
        user_agent=VENDOR_USER_AGENT,
        extra_headers={"x-wx-gtrid": deterministic_uuid(f"gtrid:{sample.name}")},
        body=compact_json(sample.body),
    )


def callback_probe_event(method: str) -> JsonObject:
    """A body-less reachability probe of the callback URL (the vendor console checks it)."""
    return http_api_event(
        label=f"probe:{method}",
        method=method,
        route=CALLBACKS_ROUTE,
        path=CALLBACKS_ROUTE,
        epoch_ms=FIRST_TIME_EPOCH_MS,
        source_ip=VENDOR_SOURCE_IP,
        user_agent=VENDOR_USER_AGENT,
    )


def lookup_http_events(reference: JsonObject) -> dict[str, JsonObject]:
    """File name -> GET event for each lookup route, keyed on the reference callback's ids."""
    notification = reference["deliveryInfoNotification"]
    transaction_id = str(notification["transid"])
    correlation_id = str(notification["correlationid"])
    destination = str(notification["deliveryInfo"]["destination"])
    requests: dict[str, tuple[str, str, dict[str, str] | None, dict[str, str] | None]] = {
        "status-by-transactionid.json": (
            STATUS_ROUTE,
            STATUS_ROUTE.replace("{transactionid}", transaction_id),
            {"transactionid": transaction_id},
            None,
        ),
        "transaction-by-id.json": (
            TRANSACTION_ROUTE,
            TRANSACTION_ROUTE.replace("{transactionid}", transaction_id),
            {"transactionid": transaction_id},
            None,
        ),
        "transactions-by-destination.json": (
            TRANSACTIONS_ROUTE,
            TRANSACTIONS_ROUTE,
            None,
            {"destination": destination},
        ),
        "transactions-by-correlationid.json": (
            TRANSACTIONS_ROUTE,
            TRANSACTIONS_ROUTE,
            None,
            {"correlationid": correlation_id},
        ),
        "openapi.json": (OPENAPI_ROUTE, OPENAPI_ROUTE, None, None),
    }
    return {
        file_name: http_api_event(
            label=f"lookup:{file_name}",
            method="GET",
            route=route,
            path=path,
            epoch_ms=FIRST_TIME_EPOCH_MS,
            source_ip=CLIENT_SOURCE_IP,
            user_agent=CLIENT_USER_AGENT,
            extra_headers={"x-api-key": LOCAL_LOOKUP_API_KEY},
            path_parameters=path_parameters,
            query_parameters=query_parameters,
        )
        for file_name, (route, path, path_parameters, query_parameters) in requests.items()
    }


def status_api_error_bodies(messages: dict[str, str]) -> dict[str, JsonObject]:
    """File name -> vendor error body for the codes the lookup tests exercise."""
    missing = [code for code in STATUS_API_ERROR_FILES if code not in messages]
    if missing:
        raise ValueError(f"status codes not found in the status-API table: {missing}")
    return {
        file_name: {"code": code, "description": messages[code]}
        for code, file_name in STATUS_API_ERROR_FILES.items()
    }


# ------------------------------------------------------------------------------- writing


def build_event_files() -> dict[str, str]:
    """Relative path (POSIX) -> file text, for every file this script owns."""
    notifications_doc = DELIVERY_NOTIFICATIONS_DOC.read_text(encoding="utf-8")
    status_doc = STATUS_API_DOC.read_text(encoding="utf-8")
    callbacks = name_callback_samples(read_callback_samples(notifications_doc))

    files: dict[str, str] = {}
    for number, sample in enumerate(callbacks, start=1):
        files[f"callbacks/{sample.name}.json"] = pretty_json(sample.body)
        files[f"http/callbacks/{sample.name}.json"] = pretty_json(
            callback_http_event(sample, number)
        )
    for method in ("HEAD", "GET"):
        files[f"http/callbacks-probe-{method.lower()}.json"] = pretty_json(
            callback_probe_event(method)
        )
    sms_reference = next(
        sample.body for sample in callbacks if delivery_channel(sample.body) == "sms"
    )
    for file_name, event in lookup_http_events(sms_reference).items():
        files[f"http/lookup/{file_name}"] = pretty_json(event)
    for number, response in enumerate(read_status_api_samples(status_doc), start=1):
        files[f"status_api/{status_api_sample_name(number, response)}.json"] = pretty_json(response)
    error_messages = read_status_api_error_messages(status_doc)
    for file_name, error in status_api_error_bodies(error_messages).items():
        files[f"status_api/errors/{file_name}"] = pretty_json(error)
    return files


def remove_stale_json(output_dir: Path, relative_paths: list[str]) -> None:
    """Delete ``*.json`` files left over in the folders we own, so renames do not linger."""
    wanted = {output_dir / relative for relative in relative_paths}
    for folder in (output_dir / owned for owned in OWNED_FOLDERS):
        for existing in sorted(folder.glob("*.json")):
            if existing not in wanted:
                existing.unlink()


def write_event_files(output_dir: Path, files: dict[str, str]) -> list[Path]:
    written: list[Path] = []
    for relative, text in sorted(files.items()):
        target = output_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(text.encode("utf-8"))
        written.append(target)
    return written


def main(output_dir: Path | None = None) -> list[Path]:
    """(Re)write every generated event under ``output_dir`` (default: ``events/``)."""
    target = Path(output_dir) if output_dir is not None else DEFAULT_OUTPUT_DIR
    files = build_event_files()
    remove_stale_json(target, list(files))
    return write_event_files(target, files)


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", type=Path, default=None, help="default: events/")
    return parser.parse_args()


if __name__ == "__main__":
    written_files = main(parse_arguments().output_dir)
    print(f"wrote {len(written_files)} files")
