"""Least privilege, asserted over template.yaml: every grant is listed here, nothing more.

``tests/unit/template/test_template.py`` already refuses wildcard actions and resources in
the functions' and roles' statements. This goes further: each principal's grants are exactly
the (action, resource, condition) triples below, so a new permission fails this test until
it is added here on purpose; every DynamoDB write is confined to its own key prefixes
(``dynamodb:LeadingKeys``, the prefixes of ``receipts.storage.keys``, every write shard of a
sharded key included and no key of another kind); the reconcile sweep reaches the events,
the watches and its own state item only; the pipe's role can be
assumed by EventBridge Pipes of this account only; and the resource policies' wildcards are
denials or the key's own administration.

The table is the whole grant only because no function has a SAM event source of a type for
which SAM attaches an AWS managed policy to the role (``Type: SQS`` adds
AWSLambdaSQSQueueExecutionRole, on every queue): those sources are
``AWS::Lambda::EventSourceMapping`` resources, and what Lambda's poller needs is in the
functions' own statements, scoped to the source.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest

from local_stack.template import load_template
from receipts.lifecycle import DeliveryStatus
from receipts.storage import keys

TEMPLATE = load_template()
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
TABLE = "EventsTable.Arn"
SECRETS = "${SecretsPrefix}/${Stage}"


def _leading_keys(*prefixes: str) -> str:
    """A prefix ending in ``#`` allows one key kind; a bare word allows its every write shard
    (``WORD#...`` and ``WORD.{shard}#...``), and nothing else that begins with the word."""
    patterns = [
        pattern
        for prefix in prefixes
        for pattern in ([f"{prefix}*"] if prefix.endswith("#") else [f"{prefix}#*", f"{prefix}.*"])
    ]
    return json.dumps(
        {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": patterns}},
        sort_keys=True,
    )


def _one_key(key: str) -> str:
    """Exactly one item's partition: no pattern, the whole key."""
    return json.dumps(
        {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [key]}},
        sort_keys=True,
    )


def _via_sns() -> str:
    return json.dumps(
        {"StringEquals": {"kms:ViaService": {"Fn::Sub": "sns.${AWS::Region}.amazonaws.com"}}},
        sort_keys=True,
    )


def _prefix(key: str) -> str:
    return key.split("#", 1)[0] + "#"


EVENT_PREFIX = _prefix(keys.transaction_key("t"))
# Write-sharded keys: WORD#{value} for shard 0, WORD.{shard}#{value} for the others.
QUARANTINE_PREFIX = keys.QUARANTINE_WORD
CACHE_PREFIX = _prefix(keys.cache_key("t"))
DESTINATION_PREFIX = _prefix(keys.destination_key("d"))
CORRELATION_PREFIX = keys.CORRELATION_WORD
ALERT_PREFIX = "ALERT#"
STORM_PREFIX = "STORM#"
WATCH_PREFIX = _prefix(keys.watch_key("t"))
# The open index's write-sharded keys: in-progress events by arrival bucket, watches by day.
OPEN_PREFIX = keys.OPEN_WORD
DUE_PREFIX = keys.DUE_WORD
OPEN_INDEX = f"${{EventsTable.Arn}}/index/{keys.OPEN_INDEX}"
# The reports: a tally per transaction, and write-sharded counters of campaigns and months.
TALLY_PREFIX = keys.TALLY_PREFIX
CAMPAIGN_PREFIX = keys.CAMPAIGN_WORD
DAILY_PREFIX = keys.DAILY_WORD
# The suppression list: a register per destination, and a channel's list in the open index.
SUPPRESSION_PREFIX = _prefix(keys.suppression_key("email", "a@example.com"))
SUPPRESSED_PREFIX = keys.SUPPRESSED_WORD

# One key of every kind the table holds, every write shard of the sharded ones.
SAMPLE_KEYS: dict[str, list[str]] = {
    "event": [keys.transaction_key("262895e4-2217-4eef-92ca-79fd0250c4a3")],
    "quarantine": keys.quarantine_keys("2026-11-23"),
    "cache": [keys.cache_key("262895e4-2217-4eef-92ca-79fd0250c4a3")],
    "destination": [keys.destination_key("918886661353")],
    "correlation": keys.correlation_keys("4eef-92ca-79fd0250c4a3"),
    "alert": [keys.alert_key("t", DeliveryStatus.FAILED)],
    "storm": [keys.storm_window_key(datetime(2026, 11, 23, tzinfo=UTC))],
    "watch": [keys.watch_key("262895e4-2217-4eef-92ca-79fd0250c4a3")],
    # An arrival minute's every shard, and a day's (the spelling before minute buckets).
    "open": [
        *keys.open_keys(keys.arrival_bucket(datetime(2026, 11, 23, 10, 5, tzinfo=UTC))),
        *keys.open_keys("2026-11-23"),
    ],
    "due": keys.due_keys("2026-11-23"),
    "sweep": [keys.SWEEP_KEY],
    "parts": [keys.DISCOVERY_KEY],
    "tally": [keys.tally_key("262895e4-2217-4eef-92ca-79fd0250c4a3")],
    "campaign": [
        keys.campaign_counters_key("4eef-92ca", shard) for shard in range(keys.AGGREGATE_SHARDS)
    ],
    "daily": [keys.daily_counters_key("2026-11", shard) for shard in range(keys.AGGREGATE_SHARDS)],
    "suppression": [keys.suppression_key("email", "a@example.com")],
    "suppressed": [keys.suppressed_list_key("email", shard) for shard in range(keys.WRITE_SHARDS)],
}


def _secret(name: str) -> set[tuple[str, str, str | None]]:
    return {
        ("ssm:GetParameter", f"ssm:parameter/{SECRETS}/{name}", None),
        ("secretsmanager:GetSecretValue", f"secretsmanager:secret:/{SECRETS}/{name}-*", None),
    }


EXPECTED: dict[str, set[tuple[str, str, str | None]]] = {
    "IngestFunction": {
        ("dynamodb:PutItem", TABLE, _leading_keys(EVENT_PREFIX, QUARANTINE_PREFIX)),
        *_secret("callback-secret"),
    },
    "LookupFunction": {
        # Its own items only: events and cached answers, never the quarantine or the ledger.
        *{
            (action, TABLE, _leading_keys(EVENT_PREFIX, CACHE_PREFIX))
            for action in ("dynamodb:GetItem", "dynamodb:Query", "dynamodb:BatchGetItem")
        },
        # On an index the leading key is the index's partition key: a search value.
        *{
            ("dynamodb:Query", index, _leading_keys(DESTINATION_PREFIX, CORRELATION_PREFIX))
            for index in (
                "${EventsTable.Arn}/index/by-destination",
                "${EventsTable.Arn}/index/by-correlation",
            )
        },
        ("dynamodb:PutItem", TABLE, _leading_keys(CACHE_PREFIX)),
        # POST /v1/reconcile registers watches; only the sweep updates or ends one.
        ("dynamodb:PutItem", TABLE, _leading_keys(WATCH_PREFIX)),
        # The reports read the counters the stream consumer keeps, every shard.
        ("dynamodb:Query", TABLE, _leading_keys(CAMPAIGN_PREFIX, DAILY_PREFIX)),
        # The suppression list: read, listed by channel, lifted by an operator.
        *{
            (action, TABLE, _leading_keys(SUPPRESSION_PREFIX))
            for action in ("dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem")
        },
        ("dynamodb:Query", OPEN_INDEX, _leading_keys(SUPPRESSED_PREFIX)),
        *_secret("vendor-service-key"),
        *_secret("lookup-api-keys"),
    },
    "StreamConsumerFunction": {
        # The table stream's second reader: tallies read and replaced on their version, the
        # counters moved with them; no event, no other kind of key.
        *{
            (action, TABLE, _leading_keys(TALLY_PREFIX))
            for action in ("dynamodb:BatchGetItem", "dynamodb:PutItem")
        },
        ("dynamodb:UpdateItem", TABLE, _leading_keys(CAMPAIGN_PREFIX, DAILY_PREFIX)),
        # Each destination's suppression register, put whole on its version.
        ("dynamodb:PutItem", TABLE, _leading_keys(SUPPRESSION_PREFIX)),
        # What Lambda's poller does with the role for the mapping on the table's stream: read
        # this stream, and record a batch it gives up on on this queue.
        *{
            (f"dynamodb:{action}", "EventsTable.StreamArn", None)
            for action in ("DescribeStream", "GetRecords", "GetShardIterator")
        },
        ("dynamodb:ListStreams", "*", None),
        ("sqs:SendMessage", "StreamConsumerDeadLetterQueue.Arn", None),
    },
    "ReconcileFunction": {
        # The asks: a transaction's events, and the ones the status API or the horizon told.
        ("dynamodb:Query", TABLE, _leading_keys(EVENT_PREFIX)),
        ("dynamodb:PutItem", TABLE, _leading_keys(EVENT_PREFIX)),
        # The due watches: read, rescheduled, ended; never started (discovery does that).
        *{
            (action, TABLE, _leading_keys(WATCH_PREFIX))
            for action in ("dynamodb:UpdateItem", "dynamodb:BatchGetItem")
        },
        # Its lease and state: the sweep's partition, taken and read in one update.
        ("dynamodb:UpdateItem", TABLE, _one_key(keys.SWEEP_KEY)),
        ("dynamodb:Query", OPEN_INDEX, _leading_keys(DUE_PREFIX)),
        *_secret("vendor-service-key"),
    },
    "ReconcileDiscoveryFunction": {
        # Discovery: reads events, starts watches; no vendor, no event written.
        ("dynamodb:Query", TABLE, _leading_keys(EVENT_PREFIX)),
        ("dynamodb:PutItem", TABLE, _leading_keys(WATCH_PREFIX)),
        # Its parts' lease and position; the asks' state it may read (where to start), never
        # write.
        ("dynamodb:UpdateItem", TABLE, _one_key(keys.DISCOVERY_KEY)),
        (
            "dynamodb:Query",
            TABLE,
            json.dumps(
                {
                    "ForAllValues:StringLike": {
                        "dynamodb:LeadingKeys": [keys.DISCOVERY_KEY, keys.SWEEP_KEY]
                    }
                },
                sort_keys=True,
            ),
        ),
        ("dynamodb:Query", OPEN_INDEX, _leading_keys(OPEN_PREFIX)),
    },
    "AlertsFunction": {
        *{
            (action, TABLE, _leading_keys(ALERT_PREFIX, STORM_PREFIX))
            for action in ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:GetItem")
        },
        ("sns:Publish", "AlertTopic", None),
        # A target that refuses alerts for good is reported where the alarms go; that topic
        # has its own key, which the function may use only through SNS.
        ("sns:Publish", "OpsTopic", None),
        *{
            (action, "OpsTopicKey.Arn", _via_sns())
            for action in ("kms:GenerateDataKey", "kms:Decrypt")
        },
        ("sqs:SendMessage", "AlertsQueue.Arn", None),
        # What Lambda's poller does with the role for the mapping on the alerts queue, on
        # that queue only.
        *{
            (f"sqs:{action}", "AlertsQueue.Arn", None)
            for action in (
                "ReceiveMessage",
                "DeleteMessage",
                "GetQueueAttributes",
                "ChangeMessageVisibility",
            )
        },
        *_secret("alert-webhooks"),
    },
    "AlertsPipeRole": {
        *{
            (f"dynamodb:{action}", "EventsTable.StreamArn", None)
            for action in ("DescribeStream", "GetRecords", "GetShardIterator")
        },
        # IAM matches ListStreams on "*" only; it lists stream names and reads no data.
        ("dynamodb:ListStreams", "*", None),
        ("sqs:SendMessage", "AlertsQueue.Arn", None),
        ("sqs:SendMessage", "AlertsPipeDeadLetterQueue.Arn", None),
    },
    # The web console's public page: no grant at all (the page's data comes through the
    # keyed routes, with the caller's API key).
    "WebConsoleFunction": set(),
}


def _resource_name(resource: Any) -> str:
    """A readable name for a policy resource: ``EventsTable.Arn``, ``ssm:parameter/...``."""
    if isinstance(resource, dict) and "Fn::GetAtt" in resource:
        logical_id, attribute = resource["Fn::GetAtt"]
        return f"{logical_id}.{attribute}"
    if isinstance(resource, dict) and "Ref" in resource:
        return str(resource["Ref"])
    if isinstance(resource, dict) and "Fn::Sub" in resource:
        text = str(resource["Fn::Sub"])
        return text.replace("arn:${AWS::Partition}:", "").replace(
            ":${AWS::Region}:${AWS::AccountId}:", ":"
        )
    return str(resource)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _statements(name: str) -> list[dict[str, Any]]:
    resource = RESOURCES[name]
    if resource["Type"] == "AWS::IAM::Role":
        return [
            statement
            for policy in resource["Properties"].get("Policies", [])
            for statement in policy["PolicyDocument"]["Statement"]
        ]
    policies = resource["Properties"].get("Policies", [])
    # Only inline statements: a managed policy or a SAM policy template would grant more
    # than this table shows.
    assert all(isinstance(policy, dict) and set(policy) == {"Statement"} for policy in policies)
    return [statement for policy in policies for statement in policy["Statement"]]


def _grants(name: str) -> set[tuple[str, str, str | None]]:
    grants = set()
    for statement in _statements(name):
        assert statement["Effect"] == "Allow"
        condition = statement.get("Condition")
        rendered = json.dumps(condition, sort_keys=True) if condition else None
        for action in _as_list(statement["Action"]):
            for resource in _as_list(statement["Resource"]):
                grants.add((action, _resource_name(resource), rendered))
    return grants


def test_every_principal_with_permissions_is_listed() -> None:
    principals = {
        name
        for name, resource in RESOURCES.items()
        if resource["Type"] in ("AWS::Serverless::Function", "AWS::IAM::Role")
    }

    assert principals == set(EXPECTED)


@pytest.mark.parametrize("principal", sorted(EXPECTED))
def test_each_principal_has_exactly_its_listed_grants(principal: str) -> None:
    assert _grants(principal) == EXPECTED[principal]


def test_no_function_brings_a_role_or_managed_policies_of_its_own() -> None:
    for name, resource in RESOURCES.items():
        if resource["Type"] == "AWS::Serverless::Function":
            properties = resource["Properties"]
            assert "Role" not in properties, name
            assert "PermissionsBoundary" not in properties or properties["PermissionsBoundary"]


# SAM event source types for which SAM attaches an AWS managed policy to the function's role
# (AWSLambdaSQSQueueExecutionRole, AWSLambdaDynamoDBExecutionRole, ...: on every queue,
# stream, broker or cluster of the account) and, for an on-failure destination, a policy of
# its own. Neither is a statement of the template, so neither would be in the table above:
# these sources must be AWS::Lambda::EventSourceMapping resources instead.
MANAGED_POLICY_EVENT_TYPES = {
    "SQS",
    "DynamoDB",
    "Kinesis",
    "MQ",
    "MSK",
    "SelfManagedKafka",
    "DocumentDB",
}


def test_no_function_has_an_event_source_that_brings_a_managed_policy() -> None:
    for name, resource in RESOURCES.items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        for event_name, event in resource["Properties"].get("Events", {}).items():
            assert event["Type"] not in MANAGED_POLICY_EVENT_TYPES, (
                f"{name}.{event_name} ({event['Type']}): SAM attaches a managed policy for it; "
                "declare an AWS::Lambda::EventSourceMapping and grant its needs inline"
            )


# What Lambda's poller needs from the function's role for a mapping, by its source's
# attribute: the queue's messages, or the stream's records (ListStreams has no resource).
POLLER_GRANTS: dict[str, set[tuple[str, str | None]]] = {
    "Arn": {
        ("sqs:ReceiveMessage", None),
        ("sqs:DeleteMessage", None),
        ("sqs:GetQueueAttributes", None),
        ("sqs:ChangeMessageVisibility", None),
    },
    "StreamArn": {
        ("dynamodb:DescribeStream", None),
        ("dynamodb:GetRecords", None),
        ("dynamodb:GetShardIterator", None),
        ("dynamodb:ListStreams", "*"),
    },
}


def _mappings() -> list[tuple[str, dict[str, Any]]]:
    return [
        (name, resource["Properties"])
        for name, resource in RESOURCES.items()
        if resource["Type"] == "AWS::Lambda::EventSourceMapping"
    ]


@pytest.mark.parametrize(
    ("mapping", "properties"), _mappings(), ids=[name for name, _ in _mappings()]
)
def test_each_mappings_function_may_do_what_its_poller_does_on_its_source(
    mapping: str, properties: dict[str, Any]
) -> None:
    function = properties["FunctionName"]["Ref"]
    source, attribute = properties["EventSourceArn"]["Fn::GetAtt"]
    granted = {(action, resource) for action, resource, _ in _grants(function)}
    needed = {
        (action, resource or f"{source}.{attribute}")
        for action, resource in POLLER_GRANTS[attribute]
    }
    on_failure = properties.get("DestinationConfig", {}).get("OnFailure")
    if on_failure:
        needed.add(("sqs:SendMessage", _resource_name(on_failure["Destination"])))

    assert needed <= granted, f"{mapping}: {function} lacks {needed - granted}"


def test_the_template_has_the_two_mappings_sam_generated_before() -> None:
    # The logical ids SAM gave the mappings of the events they replace: a deployed stack
    # updates them in place rather than replacing them (a replaced stream mapping would
    # read the stream again from TRIM_HORIZON, a third reader of its shards meanwhile).
    assert [name for name, _ in _mappings()] == [
        "AlertsFunctionAlertsQueue",
        "StreamConsumerFunctionTableStream",
    ]


def test_every_dynamodb_write_is_confined_to_its_key_prefixes() -> None:
    writes = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
              "dynamodb:BatchWriteItem"}  # fmt: skip
    for principal in EXPECTED:
        for action, resource, condition in _grants(principal):
            if action in writes:
                assert condition is not None and "dynamodb:LeadingKeys" in condition, (
                    f"{principal} may {action} any key of {resource}"
                )
    # Nobody may scan, delete or batch-write the table.
    granted = {action for principal in EXPECTED for action, _, _ in _grants(principal)}
    assert not granted & {"dynamodb:Scan", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}


def _like(pattern: str, value: str) -> bool:
    """IAM's StringLike: ``*`` is any run of characters, ``?`` any one character."""
    parts = (".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch("".join(parts), value, flags=re.DOTALL) is not None


def _allowed_keys(principal: str, action: str, resource: str) -> list[str]:
    """Sample keys any of the principal's statements lets it reach with ``action``."""
    conditions = [c for a, r, c in _grants(principal) if (a, r) == (action, resource)]
    assert conditions and None not in conditions
    patterns: list[str] = [
        pattern
        for condition in conditions
        if condition is not None
        for pattern in json.loads(condition)["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
    ]
    return [
        key
        for kind_keys in SAMPLE_KEYS.values()
        for key in kind_keys
        if any(_like(pattern, key) for pattern in patterns)
    ]


def test_the_ingest_writes_every_quarantine_shard_and_no_other_kind_of_key() -> None:
    allowed = _allowed_keys("IngestFunction", "dynamodb:PutItem", TABLE)

    assert allowed == SAMPLE_KEYS["event"] + SAMPLE_KEYS["quarantine"]


def test_the_lookup_searches_every_correlation_shard_and_no_other_kind_of_key() -> None:
    allowed = _allowed_keys(
        "LookupFunction", "dynamodb:Query", "${EventsTable.Arn}/index/by-correlation"
    )

    assert allowed == SAMPLE_KEYS["destination"] + SAMPLE_KEYS["correlation"]


@pytest.mark.parametrize("action", ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem"])
def test_the_lookup_never_reaches_the_quarantine_or_the_alert_ledger(action: str) -> None:
    allowed = _allowed_keys("LookupFunction", action, TABLE)

    assert allowed
    assert not set(allowed) & {
        *SAMPLE_KEYS["quarantine"],
        *SAMPLE_KEYS["alert"],
        *SAMPLE_KEYS["storm"],
    }


def test_the_stream_consumer_writes_tallies_counters_and_suppressions_only() -> None:
    assert (
        _allowed_keys("StreamConsumerFunction", "dynamodb:PutItem", TABLE)
        == SAMPLE_KEYS["tally"] + SAMPLE_KEYS["suppression"]
    )
    assert (
        _allowed_keys("StreamConsumerFunction", "dynamodb:UpdateItem", TABLE)
        == SAMPLE_KEYS["campaign"] + SAMPLE_KEYS["daily"]
    )


def test_the_lookup_reads_every_counter_shard_but_no_tally() -> None:
    allowed = _allowed_keys("LookupFunction", "dynamodb:Query", TABLE)

    assert set(SAMPLE_KEYS["campaign"] + SAMPLE_KEYS["daily"]) <= set(allowed)
    assert not set(allowed) & set(SAMPLE_KEYS["tally"])


def test_the_lookup_writes_cached_answers_new_watches_and_lifts_only() -> None:
    allowed = _allowed_keys("LookupFunction", "dynamodb:PutItem", TABLE)

    assert allowed == SAMPLE_KEYS["cache"] + SAMPLE_KEYS["watch"] + SAMPLE_KEYS["suppression"]


def test_the_lookup_lists_suppressions_from_every_shard_and_nothing_else_of_the_index() -> None:
    assert (
        _allowed_keys("LookupFunction", "dynamodb:Query", OPEN_INDEX) == SAMPLE_KEYS["suppressed"]
    )


@pytest.mark.parametrize(
    ("function", "action", "kinds"),
    [
        ("ReconcileFunction", "dynamodb:Query", ["event"]),
        ("ReconcileFunction", "dynamodb:PutItem", ["event"]),
        ("ReconcileFunction", "dynamodb:UpdateItem", ["watch", "sweep"]),
        ("ReconcileFunction", "dynamodb:BatchGetItem", ["watch"]),
        ("ReconcileDiscoveryFunction", "dynamodb:Query", ["event", "sweep", "parts"]),
        ("ReconcileDiscoveryFunction", "dynamodb:PutItem", ["watch"]),
        ("ReconcileDiscoveryFunction", "dynamodb:UpdateItem", ["parts"]),
    ],
)
def test_the_reconcile_sweep_reaches_events_watches_and_its_state_only(
    function: str, action: str, kinds: list[str]
) -> None:
    allowed = _allowed_keys(function, action, TABLE)

    assert allowed == [key for kind in kinds for key in SAMPLE_KEYS[kind]]


@pytest.mark.parametrize("function", ["ReconcileFunction", "ReconcileDiscoveryFunction"])
def test_the_reconcile_sweep_gets_no_single_item(function: str) -> None:
    # Its watches are read in batches and its state in the update that takes the lease.
    assert not [grant for grant in _grants(function) if grant[0] == "dynamodb:GetItem"]


@pytest.mark.parametrize(
    ("function", "kinds"),
    [("ReconcileFunction", ["due"]), ("ReconcileDiscoveryFunction", ["open"])],
)
def test_the_reconcile_sweep_finds_its_own_shards_and_no_other_kind_of_key(
    function: str, kinds: list[str]
) -> None:
    allowed = _allowed_keys(function, "dynamodb:Query", OPEN_INDEX)

    assert allowed == [key for kind in kinds for key in SAMPLE_KEYS[kind]]


def test_every_lookup_read_is_confined_to_its_key_prefixes() -> None:
    reads = [
        grant
        for grant in _grants("LookupFunction")
        if grant[0] in {"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"}
    ]

    assert reads
    for action, resource, condition in reads:
        assert condition is not None and '"ForAllValues:StringLike"' in condition, (
            f"the lookup may {action} any key of {resource}"
        )
        allowed = json.loads(condition)["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
        assert not {QUARANTINE_PREFIX + "#*", QUARANTINE_PREFIX + ".*"} & set(allowed)
        assert not {ALERT_PREFIX + "*", STORM_PREFIX + "*"} & set(allowed)
        assert all(not prefix.startswith("*") for prefix in allowed)


def test_the_pipes_role_is_for_this_accounts_pipes_only() -> None:
    trust = RESOURCES["AlertsPipeRole"]["Properties"]["AssumeRolePolicyDocument"]
    (statement,) = trust["Statement"]

    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {"Service": "pipes.amazonaws.com"}
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Condition"] == {
        "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    }
    assert RESOURCES["AlertsPipe"]["Properties"]["RoleArn"] == {
        "Fn::GetAtt": ["AlertsPipeRole", "Arn"]
    }


def _resource_policy_statements() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for name, resource in RESOURCES.items():
        properties = resource.get("Properties", {})
        document = properties.get("PolicyDocument") or properties.get("KeyPolicy")
        if document and resource["Type"] != "AWS::IAM::Role":
            found.extend((name, statement) for statement in document["Statement"])
    return found


@pytest.mark.parametrize(
    ("owner", "statement"),
    _resource_policy_statements(),
    ids=lambda value: value if isinstance(value, str) else value.get("Sid", "statement"),
)
def test_resource_policy_wildcards_are_denials_or_the_keys_own_administration(
    owner: str, statement: dict[str, Any]
) -> None:
    actions = _as_list(statement["Action"])
    # A whole service (sqs:*) or anyone (Principal "*"); kms:GenerateDataKey* is one family.
    wildcard = any(action == "*" or action.endswith(":*") for action in actions) or (
        statement.get("Principal") == "*"
    )
    if not wildcard or statement["Effect"] == "Deny":
        return
    # A KMS key policy must let the account administer the key (else nobody can); that is
    # the only wildcard Allow, and only for the account's root principal.
    assert RESOURCES[owner]["Type"] == "AWS::KMS::Key", owner
    assert statement["Principal"] == {
        "AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}
    }
    assert actions == ["kms:*"]


def test_cloudwatch_may_only_use_the_operations_key_to_publish_alarms() -> None:
    key_policy = RESOURCES["OpsTopicKey"]["Properties"]["KeyPolicy"]["Statement"]
    (cloudwatch,) = [
        s for s in key_policy if s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}
    ]

    assert cloudwatch["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]
