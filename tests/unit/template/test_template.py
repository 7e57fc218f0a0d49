"""Assertions over template.yaml itself: what is deployed is what the code expects."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from local_stack.template import TEMPLATE_PATH, load_template, resource
from receipts.storage import keys
from receipts.storage.event_store import SEARCH_PROJECTION

TEMPLATE = load_template()
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
FUNCTIONS = {name: r for name, r in RESOURCES.items() if r["Type"] == "AWS::Serverless::Function"}
# Actions IAM does not scope to a resource; "*" is the only resource that matches them.
ACTIONS_WITHOUT_RESOURCE_SCOPE = {"dynamodb:ListStreams"}


def test_globals_target_python_3_13_on_arm64_with_tracing() -> None:
    function_globals = TEMPLATE["Globals"]["Function"]
    assert function_globals["Runtime"] == "python3.13"
    assert function_globals["Architectures"] == ["arm64"]
    assert function_globals["Tracing"] == "Active"
    assert "POWERTOOLS_METRICS_NAMESPACE" in function_globals["Environment"]["Variables"]


def test_stage_parameter_exists() -> None:
    assert set(TEMPLATE["Parameters"]["Stage"]["AllowedValues"]) == {"dev", "staging", "prod"}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_function_has_its_log_group_with_retention(name: str) -> None:
    groups = [
        r
        for r in RESOURCES.values()
        if r["Type"] == "AWS::Logs::LogGroup"
        and r["Properties"].get("LogGroupName") == {"Fn::Sub": f"/aws/lambda/${{{name}}}"}
    ]
    assert len(groups) == 1
    assert groups[0]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_function_uses_the_layer_built_without_docker(name: str) -> None:
    function = FUNCTIONS[name]
    assert function["Metadata"]["BuildMethod"] == "makefile"
    assert function["Properties"]["CodeUri"] == "functions"
    # Each function names the layer itself: the web console's static files need none, and
    # a layer in Globals would be merged into every function.
    assert "Layers" not in TEMPLATE["Globals"]["Function"]
    expected = [] if name == "WebConsoleFunction" else [{"Ref": "SharedLayer"}]
    assert function["Properties"].get("Layers", []) == expected


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_function_has_its_build_target(name: str) -> None:
    # sam build runs build-<logical id> from the CodeUri's Makefile (BuildMethod: makefile).
    code_uri = FUNCTIONS[name]["Properties"]["CodeUri"]
    makefile = (TEMPLATE_PATH.parent / code_uri / "Makefile").read_text(encoding="utf-8")
    package = FUNCTIONS[name]["Properties"]["Handler"].split(".", 1)[0]

    assert re.search(
        rf"^build-{name}:\n\t\$\(call copy_package,{package}\)$", makefile, flags=re.MULTILINE
    )


def test_table_is_on_demand_encrypted_recoverable_and_expiring() -> None:
    table = resource("EventsTable")["Properties"]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["SSESpecification"]["SSEEnabled"] is True
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert table["TimeToLiveSpecification"] == {
        "AttributeName": keys.TTL_ATTRIBUTE,
        "Enabled": True,
    }
    assert resource("EventsTable")["DeletionPolicy"] == "Retain"


def test_table_indexes_match_the_key_design() -> None:
    table = resource("EventsTable")["Properties"]
    indexes = {index["IndexName"]: index for index in table["GlobalSecondaryIndexes"]}
    assert set(indexes) == set(keys.INDEX_KEYS)
    for name, (partition, sort) in keys.INDEX_KEYS.items():
        schema = {k["KeyType"]: k["AttributeName"] for k in indexes[name]["KeySchema"]}
        assert schema == {"HASH": partition, "RANGE": sort}
    for name in (keys.DESTINATION_INDEX, keys.CORRELATION_INDEX):
        projected = indexes[name]["Projection"]["NonKeyAttributes"]
        assert tuple(projected) == SEARCH_PROJECTION


def test_alerts_queue_has_a_dead_letter_queue_and_is_encrypted() -> None:
    queue = resource("AlertsQueue")["Properties"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {
        "Fn::GetAtt": ["AlertsDeadLetterQueue", "Arn"]
    }
    assert queue["RedrivePolicy"]["maxReceiveCount"] == {"Ref": "AlertMaxReceiveCount"}
    for name in ("AlertsQueue", "AlertsDeadLetterQueue", "AlertsPipeDeadLetterQueue"):
        assert resource(name)["Properties"]["SqsManagedSseEnabled"] is True


def test_topics_are_encrypted() -> None:
    for name in ("AlertTopic", "OpsTopic"):
        assert resource(name)["Properties"]["KmsMasterKeyId"]


def test_pipe_filter_matches_the_python_filter() -> None:
    from receipts.storage.alert_records import ALERT_FILTER_PATTERN

    pipe = resource("AlertsPipe")["Properties"]
    (pattern,) = pipe["SourceParameters"]["FilterCriteria"]["Filters"]
    assert json.loads(pattern["Pattern"]) == ALERT_FILTER_PATTERN


def _statements() -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    for name, function in FUNCTIONS.items():
        for policy in function["Properties"].get("Policies", []):
            for statement in policy.get("Statement", []):
                found.append((name, statement))
    for name, role in RESOURCES.items():
        if role["Type"] != "AWS::IAM::Role":
            continue
        for policy in role["Properties"].get("Policies", []):
            for statement in policy["PolicyDocument"]["Statement"]:
                found.append((name, statement))
    return found


@pytest.mark.parametrize(("owner", "statement"), _statements())
def test_iam_is_least_privilege(owner: str, statement: dict[str, Any]) -> None:
    actions = (
        statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
    )
    assert all("*" not in action for action in actions), f"{owner}: wildcard action {actions}"
    resources = statement["Resource"]
    resources = resources if isinstance(resources, list) else [resources]
    if resources == ["*"]:
        # Only actions IAM cannot scope to a resource may use "*", each in a named statement.
        assert set(actions) <= ACTIONS_WITHOUT_RESOURCE_SCOPE, f"{owner}: wildcard resource"
        assert statement.get("Sid"), f"{owner}: unscoped statement needs a Sid saying why"
    else:
        assert "*" not in resources, f"{owner}: wildcard resource"


def test_no_secret_values_in_the_template() -> None:
    text = TEMPLATE_PATH.read_text(encoding="utf-8")
    assert not re.search(r"(?i)(password|secret|api[-_]?key)\s*:\s*['\"]?[A-Za-z0-9+/]{12,}", text)
    for name, function in FUNCTIONS.items():
        variables = function["Properties"].get("Environment", {}).get("Variables", {})
        for variable, value in variables.items():
            if re.search(r"SECRET|KEY", variable) and "REFERENCE" not in variable:
                assert isinstance(value, dict), f"{name}.{variable} holds a literal"


def test_ingest_failure_alarm_watches_the_counters_the_function_emits() -> None:
    from ingest.observability import SERVICE, Metric

    alarm = resource("IngestFailuresAlarm")["Properties"]
    watched = {
        query["MetricStat"]["Metric"]["MetricName"]
        for query in alarm["Metrics"]
        if "MetricStat" in query
    }
    assert watched == {
        Metric.STORE_UNAVAILABLE,
        Metric.SECRET_UNAVAILABLE,
        Metric.CONFIGURATION_ERRORS,
        Metric.INTERNAL_ERRORS,
    }
    for query in alarm["Metrics"]:
        if "MetricStat" in query:
            metric = query["MetricStat"]["Metric"]
            assert (
                metric["Namespace"]
                == TEMPLATE["Globals"]["Function"]["Environment"]["Variables"][
                    "POWERTOOLS_METRICS_NAMESPACE"
                ]
            )
            assert metric["Dimensions"] == [{"Name": "service", "Value": SERVICE}]


def test_the_web_console_is_public_and_has_no_permission() -> None:
    console = FUNCTIONS["WebConsoleFunction"]["Properties"]
    routes = {
        (event["Properties"]["Method"], event["Properties"]["Path"])
        for event in console["Events"].values()
    }

    assert routes == {("GET", "/console"), ("GET", "/console/{asset}")}
    # No Policies: only the execution role SAM always gives (its own logs and traces).
    assert "Policies" not in console
    assert not any("Auth" in event["Properties"] for event in console["Events"].values())
    assert "/console" in json.dumps(TEMPLATE["Outputs"]["ConsoleUrl"]["Value"])
