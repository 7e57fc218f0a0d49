"""What the alerts function remembers, in the events table, under ALERT# and STORM# keys.

``ALERT#{transid}#{status}`` / ``ALERT``: the alert's mode (single or digest), its storm
window and, per target, when it was sent. A target is marked by a conditional update right
after it succeeds, so a retried record skips the targets that already have the alert. A
target that refused it for good (a webhook's 404) joins the ``given_up`` string set, which a
retry skips too.

``STORM#{window start}`` / ``WINDOW#{seconds}``: the window's counter (``alerts``, one
atomic ADD per new alert), the digest-bound alerts not yet digested (``pending``, one
``c#{channel}#{status}#{code}`` counter each, a few example transids in ``ex0..ex4``), the
marker chain (``marker_sequence``, ``chain_active``), the digest being delivered
(``open_digest``, with its own per-target sent marks and ``given_up`` set) and the targets
whose refusal operations were already told of in this window (``operations_told``).

Both live ``LEDGER_RETENTION`` past their window: longer than a record can stay in the
queue (4 days) plus the dead-letter queue (14 days), so a redriven record still finds them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from alerts.model import (
    COUNTER_PREFIX,
    AlertMode,
    AlertRecord,
    DigestLine,
    OpenDigest,
    StormWindow,
    WindowState,
    digest_line_from_counter,
    ordered_lines,
)
from receipts.channels import Channel
from receipts.lifecycle import DeliveryStatus
from receipts.storage import StoreUnavailableError, keys

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
else:
    DynamoDBClient = Any

AttributeMap = dict[str, Any]

LEDGER_RETENTION = timedelta(days=21)
EXAMPLE_SLOTS = 5
_EXAMPLE_ATTRIBUTES = tuple(f"ex{slot}" for slot in range(EXAMPLE_SLOTS))


@dataclass(frozen=True, slots=True)
class WindowCount:
    """The window right after one more alert was counted in it."""

    alerts: int
    chain_active: bool


class AlertLedger(Protocol):
    """The alerts function's memory; :class:`DynamoAlertLedger` is the real one."""

    def get_alert(self, transid: str, status: DeliveryStatus) -> AlertRecord | None: ...

    def claim_alert(self, record: AlertRecord, now: datetime) -> tuple[AlertRecord, bool]:
        """Store ``record`` unless one exists; return the stored record and whether it is new."""
        ...

    def mark_alert_sent(
        self, transid: str, status: DeliveryStatus, target: str, now: datetime
    ) -> None: ...

    def mark_alert_given_up(
        self, transid: str, status: DeliveryStatus, target: str, now: datetime
    ) -> None:
        """Remember that ``target`` refused the alert for good (unless it has it already)."""
        ...

    def claim_operations_notice(self, window: StormWindow, target: str) -> bool:
        """True once per window and target: whoever gets it tells operations of a refusal."""
        ...

    def release_operations_notice(self, window: StormWindow, target: str) -> None:
        """Undo :meth:`claim_operations_notice` when operations could not be told."""
        ...

    def count_alert(self, window: StormWindow) -> WindowCount: ...

    def add_to_digest(self, window: StormWindow, counter: str, transid: str) -> WindowCount:
        """Count one digest-bound alert under ``counter`` and keep it as a possible example."""
        ...

    def count_into_digest(self, window: StormWindow, counter: str, transid: str) -> WindowCount:
        """:meth:`count_alert` and :meth:`add_to_digest` in one write, for a window already
        known to be in a storm: the window's item takes one update per alert, not two."""
        ...

    def uncount_alert(self, window: StormWindow, counter: str | None) -> None:
        """Undo :meth:`count_alert` (and :meth:`add_to_digest` when ``counter`` is given)."""
        ...

    def window_alerts(self, window: StormWindow) -> int: ...

    def get_window(self, window: StormWindow) -> WindowState | None: ...

    def start_marker_chain(self, window: StormWindow) -> int | None:
        """Activate the window's marker chain; its new sequence, or None when already active."""
        ...

    def advance_marker(self, window: StormWindow, expected: int, new: int) -> bool: ...

    def end_marker_chain(self, window: StormWindow, expected: int) -> bool: ...

    def open_digest(self, window: StormWindow, digest: OpenDigest, state: WindowState) -> bool:
        """Move ``state``'s pending alerts into ``digest``; False when another marker did."""
        ...

    def mark_digest_sent(
        self, window: StormWindow, sequence: int, target: str, now: datetime
    ) -> None: ...

    def mark_digest_given_up(
        self, window: StormWindow, sequence: int, target: str, now: datetime
    ) -> None: ...

    def close_digest(self, window: StormWindow, sequence: int) -> WindowState: ...


def example_slot(transid: str) -> str:
    """A fixed slot per transid: examples stay few however many alerts a storm has."""
    digest = hashlib.sha256(transid.encode()).digest()
    return _EXAMPLE_ATTRIBUTES[digest[0] % EXAMPLE_SLOTS]


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _n(value: int) -> dict[str, str]:
    return {"N": str(value)}


def _int(item: AttributeMap, name: str, default: int = 0) -> int:
    value = item.get(name, {}).get("N")
    return int(value) if value is not None else default


def _expiry(instant: datetime) -> dict[str, str]:
    return _n(int((instant + LEDGER_RETENTION).timestamp()))


_RETRYABLE_CODES = frozenset(
    {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded",
     "InternalServerError", "ServiceUnavailable", "TransactionConflictException"}
)  # fmt: skip


def _is_condition_failure(error: ClientError) -> bool:
    code: str = error.response.get("Error", {}).get("Code", "")
    return code == "ConditionalCheckFailedException"


class DynamoAlertLedger:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def _call(self, operation: str, **request: Any) -> Any:
        """One DynamoDB call; faults a retry may cure become StoreUnavailableError."""
        try:
            return getattr(self._client, operation)(TableName=self._table, **request)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 500)
            if code in _RETRYABLE_CODES or status >= 500:
                raise StoreUnavailableError(str(error)) from error
            raise
        except BotoCoreError as error:
            raise StoreUnavailableError(str(error)) from error

    def _conditional(self, operation: str, **request: Any) -> Any | None:
        """Like :meth:`_call`; None when the condition did not hold."""
        try:
            return self._call(operation, **request)
        except ClientError as error:
            if _is_condition_failure(error):
                return None
            raise

    # ---- alerts -----------------------------------------------------------------------------

    @staticmethod
    def _alert_key(transid: str, status: DeliveryStatus) -> AttributeMap:
        return {
            keys.PARTITION_KEY: _s(keys.alert_key(transid, status)),
            keys.SORT_KEY: _s(keys.ALERT_SORT_KEY),
        }

    def get_alert(self, transid: str, status: DeliveryStatus) -> AlertRecord | None:
        answer = self._call("get_item", Key=self._alert_key(transid, status), ConsistentRead=True)
        item = answer.get("Item")
        return _alert_from_item(item, transid, status) if item else None

    def claim_alert(self, record: AlertRecord, now: datetime) -> tuple[AlertRecord, bool]:
        item: AttributeMap = {
            **self._alert_key(record.transid, record.status),
            "transid": _s(record.transid),
            "status": _s(record.status.value),
            "mode": _s(record.mode.value),
            "window": _s(record.window.label),
            "window_seconds": _n(record.window.seconds),
            "sent": {"M": {}},
            "created_at": _s(now.isoformat()),
            keys.TTL_ATTRIBUTE: _expiry(now),
        }
        stored = self._conditional(
            "put_item", Item=item, ConditionExpression="attribute_not_exists(pk)"
        )
        if stored is not None:
            return record, True
        existing = self.get_alert(record.transid, record.status)
        if existing is None:  # expired between the two calls: the new record stands
            return self.claim_alert(record, now)
        return existing, False

    def mark_alert_sent(
        self, transid: str, status: DeliveryStatus, target: str, now: datetime
    ) -> None:
        # A failed condition means a concurrent delivery marked it first: nothing to do.
        self._conditional(
            "update_item",
            Key=self._alert_key(transid, status),
            UpdateExpression="SET #sent.#target = :now",
            ConditionExpression="attribute_exists(pk) AND attribute_not_exists(#sent.#target)",
            ExpressionAttributeNames={"#sent": "sent", "#target": target},
            ExpressionAttributeValues={":now": _s(now.isoformat())},
        )

    def mark_alert_given_up(
        self, transid: str, status: DeliveryStatus, target: str, now: datetime
    ) -> None:
        # A string set, which ADD creates when missing: alert items written before give-ups
        # existed have no such attribute, and a nested map path would need it.
        self._conditional(
            "update_item",
            Key=self._alert_key(transid, status),
            UpdateExpression="ADD #given_up :target",
            ConditionExpression="attribute_exists(pk) AND attribute_not_exists(#sent.#target)",
            ExpressionAttributeNames={"#given_up": "given_up", "#sent": "sent", "#target": target},
            ExpressionAttributeValues={":target": {"SS": [target]}},
        )

    # ---- storm windows ----------------------------------------------------------------------

    def claim_operations_notice(self, window: StormWindow, target: str) -> bool:
        answer = self._conditional(
            "update_item",
            Key=self._window_key(window),
            UpdateExpression="ADD #told :targets SET #expires = if_not_exists(#expires, :expires)",
            ConditionExpression="NOT contains(#told, :target)",
            ExpressionAttributeNames={"#told": "operations_told", "#expires": keys.TTL_ATTRIBUTE},
            ExpressionAttributeValues={
                ":targets": {"SS": [target]},
                ":target": _s(target),
                ":expires": _expiry(window.end),
            },
        )
        return answer is not None

    def release_operations_notice(self, window: StormWindow, target: str) -> None:
        self._call(
            "update_item",
            Key=self._window_key(window),
            UpdateExpression="DELETE #told :targets",
            ExpressionAttributeNames={"#told": "operations_told"},
            ExpressionAttributeValues={":targets": {"SS": [target]}},
        )

    @staticmethod
    def _window_key(window: StormWindow) -> AttributeMap:
        return {
            keys.PARTITION_KEY: _s(keys.storm_window_key(window.start)),
            keys.SORT_KEY: _s(keys.storm_window_sort_key(window.seconds)),
        }

    def count_alert(self, window: StormWindow) -> WindowCount:
        return self._add_to_window(window, count=True)

    def add_to_digest(self, window: StormWindow, counter: str, transid: str) -> WindowCount:
        return self._add_to_window(window, count=False, digest=(counter, transid))

    def count_into_digest(self, window: StormWindow, counter: str, transid: str) -> WindowCount:
        return self._add_to_window(window, count=True, digest=(counter, transid))

    def _add_to_window(
        self, window: StormWindow, *, count: bool, digest: tuple[str, str] | None = None
    ) -> WindowCount:
        """One update of the window item: the alert counted (the item then lives as long as
        its window), or digested under a counter with its transid as a possible example, or
        both at once."""
        added: list[str] = []
        names: dict[str, str] = {}
        values: AttributeMap = {":one": _n(1)}
        setting: list[str] = []
        if count:
            added.append("#alerts :one")
            names |= {"#alerts": "alerts", "#expires": keys.TTL_ATTRIBUTE}
            setting.append("#expires = :expires")
            values[":expires"] = _expiry(window.end)
        if digest is not None:
            counter, transid = digest
            added += ["#pending :one", "#counter :one"]
            names |= {"#pending": "pending", "#counter": counter, "#example": example_slot(transid)}
            setting.append("#example = :transid")
            values[":transid"] = _s(transid)
        answer = self._call(
            "update_item",
            Key=self._window_key(window),
            UpdateExpression=f"ADD {', '.join(added)} SET {', '.join(setting)}",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
            ReturnValues="ALL_NEW",
        )
        item = answer["Attributes"]
        return WindowCount(_int(item, "alerts"), item.get("chain_active", {}).get("BOOL", False))

    def uncount_alert(self, window: StormWindow, counter: str | None) -> None:
        names = {"#alerts": "alerts"}
        expression = "ADD #alerts :minus"
        if counter is not None:
            names |= {"#pending": "pending", "#counter": counter}
            expression += ", #pending :minus, #counter :minus"
        self._call(
            "update_item",
            Key=self._window_key(window),
            UpdateExpression=expression,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={":minus": _n(-1)},
        )

    def window_alerts(self, window: StormWindow) -> int:
        answer = self._call(
            "get_item",
            Key=self._window_key(window),
            ProjectionExpression="#alerts",
            ExpressionAttributeNames={"#alerts": "alerts"},
            ConsistentRead=True,
        )
        return _int(answer.get("Item", {}), "alerts")

    def get_window(self, window: StormWindow) -> WindowState | None:
        answer = self._call("get_item", Key=self._window_key(window), ConsistentRead=True)
        item = answer.get("Item")
        return _window_from_item(window, item) if item else None

    def start_marker_chain(self, window: StormWindow) -> int | None:
        answer = self._conditional(
            "update_item",
            Key=self._window_key(window),
            UpdateExpression=(
                "SET #active = :true, #sequence = if_not_exists(#sequence, :before) + :one, "
                "#expires = :expires"
            ),
            ConditionExpression="attribute_not_exists(#active) OR #active = :false",
            ExpressionAttributeNames={
                "#active": "chain_active",
                "#sequence": "marker_sequence",
                "#expires": keys.TTL_ATTRIBUTE,
            },
            ExpressionAttributeValues={
                ":true": {"BOOL": True},
                ":false": {"BOOL": False},
                ":before": _n(-1),
                ":one": _n(1),
                ":expires": _expiry(window.end),
            },
            ReturnValues="UPDATED_NEW",
        )
        if answer is None:
            return None
        return _int(answer["Attributes"], "marker_sequence")

    def advance_marker(self, window: StormWindow, expected: int, new: int) -> bool:
        answer = self._conditional(
            "update_item",
            Key=self._window_key(window),
            UpdateExpression="SET #sequence = :new, #active = :true",
            ConditionExpression="#sequence = :expected",
            ExpressionAttributeNames={"#sequence": "marker_sequence", "#active": "chain_active"},
            ExpressionAttributeValues={
                ":new": _n(new),
                ":expected": _n(expected),
                ":true": {"BOOL": True},
            },
        )
        return answer is not None

    def end_marker_chain(self, window: StormWindow, expected: int) -> bool:
        answer = self._conditional(
            "update_item",
            Key=self._window_key(window),
            UpdateExpression="SET #active = :false",
            ConditionExpression="#sequence = :expected",
            ExpressionAttributeNames={"#sequence": "marker_sequence", "#active": "chain_active"},
            ExpressionAttributeValues={":expected": _n(expected), ":false": {"BOOL": False}},
        )
        return answer is not None

    def open_digest(self, window: StormWindow, digest: OpenDigest, state: WindowState) -> bool:
        names: dict[str, str] = {
            "#digest": "open_digest",
            "#sequence": "marker_sequence",
            "#pending": "pending",
            "#digested": "digested",
        }
        values: AttributeMap = {
            ":digest": _open_digest_to_attribute(digest),
            ":expected": _n(digest.sequence),
            ":taken": _n(-digest.alerts),
            ":alerts": _n(digest.alerts),
        }
        additions = ["#pending :taken", "#digested :alerts"]
        # Subtracting what was read (rather than resetting to zero) keeps the alerts that
        # other invocations count meanwhile: ADD commutes with their ADDs.
        for index, line in enumerate(digest.lines):
            names[f"#c{index}"] = line.counter_name
            values[f":c{index}"] = _n(-line.count)
            additions.append(f"#c{index} :c{index}")
        expression = f"SET #digest = :digest ADD {', '.join(additions)}"
        examples = [name for name in _EXAMPLE_ATTRIBUTES if name in state.example_slots]
        if examples:
            for index, name in enumerate(examples):
                names[f"#e{index}"] = name
            expression += " REMOVE " + ", ".join(f"#e{index}" for index in range(len(examples)))
        answer = self._conditional(
            "update_item",
            Key=self._window_key(window),
            UpdateExpression=expression,
            ConditionExpression="attribute_not_exists(#digest) AND #sequence = :expected",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
        return answer is not None

    def mark_digest_sent(
        self, window: StormWindow, sequence: int, target: str, now: datetime
    ) -> None:
        self._conditional(
            "update_item",
            Key=self._window_key(window),
            UpdateExpression="SET #digest.#sent.#target = :now",
            ConditionExpression=(
                "#digest.#sequence = :sequence AND attribute_not_exists(#digest.#sent.#target)"
            ),
            ExpressionAttributeNames={
                "#digest": "open_digest",
                "#sent": "sent",
                "#sequence": "sequence",
                "#target": target,
            },
            ExpressionAttributeValues={":now": _s(now.isoformat()), ":sequence": _n(sequence)},
        )

    def mark_digest_given_up(
        self, window: StormWindow, sequence: int, target: str, now: datetime
    ) -> None:
        self._conditional(
            "update_item",
            Key=self._window_key(window),
            UpdateExpression="ADD #digest.#given_up :targets",
            ConditionExpression=(
                "#digest.#sequence = :sequence AND attribute_not_exists(#digest.#sent.#target)"
            ),
            ExpressionAttributeNames={
                "#digest": "open_digest",
                "#given_up": "given_up",
                "#sent": "sent",
                "#sequence": "sequence",
                "#target": target,
            },
            ExpressionAttributeValues={":targets": {"SS": [target]}, ":sequence": _n(sequence)},
        )

    def close_digest(self, window: StormWindow, sequence: int) -> WindowState:
        answer = self._conditional(
            "update_item",
            Key=self._window_key(window),
            UpdateExpression="REMOVE #digest",
            ConditionExpression="#digest.#sequence = :sequence",
            ExpressionAttributeNames={"#digest": "open_digest", "#sequence": "sequence"},
            ExpressionAttributeValues={":sequence": _n(sequence)},
            ReturnValues="ALL_NEW",
        )
        if answer is not None:
            return _window_from_item(window, answer["Attributes"])
        return self.get_window(window) or WindowState(window)


def _alert_from_item(item: AttributeMap, transid: str, status: DeliveryStatus) -> AlertRecord:
    window = StormWindow(
        datetime.fromisoformat(item["window"]["S"].replace("Z", "+00:00")),
        _int(item, "window_seconds"),
    )
    return AlertRecord(
        transid=transid,
        status=status,
        mode=AlertMode(item["mode"]["S"]),
        window=window,
        sent=frozenset(item.get("sent", {}).get("M", {})),
        given_up=frozenset(item.get("given_up", {}).get("SS", [])),
    )


def _line_to_attribute(line: DigestLine) -> AttributeMap:
    value: AttributeMap = {
        "channel": _s(line.channel.value),
        "status": _s(line.status.value),
        "count": _n(line.count),
    }
    if line.code is not None:
        value["code"] = _n(line.code)
    return {"M": value}


def _line_from_attribute(value: AttributeMap) -> DigestLine:
    fields = value["M"]
    code = fields.get("code", {}).get("N")
    return DigestLine(
        channel=Channel(fields["channel"]["S"]),
        status=DeliveryStatus(fields["status"]["S"]),
        code=int(code) if code is not None else None,
        count=int(fields["count"]["N"]),
    )


def _open_digest_to_attribute(digest: OpenDigest) -> AttributeMap:
    return {
        "M": {
            "sequence": _n(digest.sequence),
            "alerts": _n(digest.alerts),
            "window_alerts": _n(digest.window_alerts),
            "created_at": _s(digest.created_at.isoformat()),
            "lines": {"L": [_line_to_attribute(line) for line in digest.lines]},
            "examples": {"L": [_s(example) for example in digest.examples]},
            "sent": {"M": {}},
        }
    }


def _open_digest_from_attribute(value: AttributeMap) -> OpenDigest:
    fields = value["M"]
    return OpenDigest(
        sequence=int(fields["sequence"]["N"]),
        alerts=int(fields["alerts"]["N"]),
        lines=tuple(_line_from_attribute(line) for line in fields["lines"]["L"]),
        examples=tuple(example["S"] for example in fields["examples"]["L"]),
        window_alerts=int(fields["window_alerts"]["N"]),
        created_at=datetime.fromisoformat(fields["created_at"]["S"]),
        sent=frozenset(fields.get("sent", {}).get("M", {})),
        given_up=frozenset(fields.get("given_up", {}).get("SS", [])),
    )


def _window_from_item(window: StormWindow, item: AttributeMap) -> WindowState:
    lines = [
        digest_line_from_counter(name, int(value["N"]))
        for name, value in item.items()
        if name.startswith(COUNTER_PREFIX) and int(value.get("N", "0")) > 0
    ]
    slots = {name: item[name]["S"] for name in _EXAMPLE_ATTRIBUTES if name in item}
    sequence = item.get("marker_sequence", {}).get("N")
    digest = item.get("open_digest")
    return WindowState(
        window=window,
        alerts=_int(item, "alerts"),
        pending=_int(item, "pending"),
        pending_lines=ordered_lines(lines),
        examples=tuple(dict.fromkeys(slots.values())),
        example_slots=frozenset(slots),
        marker_sequence=int(sequence) if sequence is not None else None,
        chain_active=item.get("chain_active", {}).get("BOOL", False),
        open_digest=_open_digest_from_attribute(digest) if digest else None,
        digested=_int(item, "digested"),
    )
