"""The local stack reads template.yaml: parameters, intrinsic functions, functions, order."""

from __future__ import annotations

from typing import Any

import pytest

from local_stack.functions import function_specs, layer_content_uris, shared_environment
from local_stack.intrinsics import (
    Evaluator,
    TemplateError,
    parse_parameter_overrides,
    references,
    resolve_parameters,
)
from local_stack.resources import CreatedResource, StackResources, creation_order
from local_stack.template import load_template

TEMPLATE = load_template()


def _evaluator(
    overrides: dict[str, str] | None = None,
    template: dict[str, Any] | None = None,
    *,
    created: bool = False,
) -> Evaluator:
    template = template or TEMPLATE
    resources = StackResources("stack", "eu-west-1")
    resources.emulated_refs["HttpApi"] = "local"
    evaluator = Evaluator(
        template,
        resolve_parameters(template, overrides),
        region="eu-west-1",
        stack_name="stack",
        resolve_resource=lambda logical_id, attribute: resources.resolve(
            template, logical_id, attribute
        ),
    )
    if created:
        # Stand-ins for what the stack would create in the embedded AWS.
        for logical_id in creation_order(template, evaluator):
            resources.created[logical_id] = CreatedResource(
                logical_id,
                template["Resources"][logical_id]["Type"],
                f"{logical_id}-ref",
                {"Arn": f"arn:{logical_id}", "StreamArn": f"arn:{logical_id}/stream"},
            )
    return evaluator


# ---- parameters -------------------------------------------------------------------------


def test_every_parameter_has_a_value_from_its_default() -> None:
    parameters = resolve_parameters(TEMPLATE)

    assert set(parameters) == set(TEMPLATE["Parameters"])
    assert parameters["Stage"] == "dev"
    assert isinstance(parameters["AlertStatuses"], list)
    assert "failed" in parameters["AlertStatuses"]


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"Stage": "local"}, "is not one of"),
        ({"VendorBaseUrl": "http://127.0.0.1:3100"}, "does not match"),
        ({"AlertMaxReceiveCount": "0"}, "is below"),
        ({"RetentionDays": "ninety"}, "is not a number"),
        ({"NoSuchParameter": "1"}, "unknown template parameter"),
    ],
)
def test_an_override_the_deployed_stack_would_refuse_is_refused(
    override: dict[str, str], message: str
) -> None:
    with pytest.raises(TemplateError, match=message):
        resolve_parameters(TEMPLATE, override)


def test_overrides_come_as_name_equals_value() -> None:
    assert parse_parameter_overrides(["A=1", "B=x=y"]) == {"A": "1", "B": "x=y"}
    with pytest.raises(TemplateError):
        parse_parameter_overrides(["novalue"])


# ---- intrinsic functions ----------------------------------------------------------------


def test_sub_join_if_and_pseudo_parameters() -> None:
    evaluator = _evaluator({"Stage": "prod"})

    assert evaluator.evaluate({"Fn::Sub": "${SecretStore}:/${SecretsPrefix}/${Stage}/x"}) == (
        "ssm:/imiconnect-receipts/prod/x"
    )
    assert evaluator.evaluate({"Fn::Sub": ["${A}-${AWS::Region}", {"A": "a"}]}) == "a-eu-west-1"
    assert evaluator.evaluate({"Fn::Sub": "${!Literal}"}) == "${Literal}"
    assert evaluator.evaluate({"Fn::Join": [",", {"Ref": "AlertStatuses"}]}).startswith("failed,")
    assert evaluator.evaluate({"Fn::If": ["IsProd", True, False]}) is True
    assert evaluator.condition("HasAlertEmail") is False


def test_references_to_resources_resolve_to_what_was_created_or_a_placeholder() -> None:
    evaluator = _evaluator()

    assert evaluator.evaluate({"Ref": "HttpApi"}) == "local"
    assert evaluator.evaluate({"Fn::GetAtt": ["IngestFunction", "Arn"]}) == (
        "arn:aws:serverless:eu-west-1:123456789012:stack-IngestFunction"
    )
    with pytest.raises(TemplateError, match="before it is created"):
        evaluator.evaluate({"Ref": "EventsTable"})


def test_references_finds_every_logical_id_used() -> None:
    value = {
        "A": {"Ref": "Stage"},
        "B": {"Fn::GetAtt": "EventsTable.Arn"},
        "C": {"Fn::Sub": ["${X}/${Queue.Arn}/${!Skip}", {"X": {"Ref": "Topic"}}]},
    }

    assert references(value) == {"Stage", "EventsTable", "Queue", "Topic"}


# ---- resources and functions ------------------------------------------------------------


def test_queues_are_created_after_their_dead_letter_queues() -> None:
    order = creation_order(TEMPLATE, _evaluator())

    assert order.index("AlertsDeadLetterQueue") < order.index("AlertsQueue")
    assert "EventsTable" in order
    assert "AlertEmailSubscription" not in order  # its condition is false by default
    assert creation_order(TEMPLATE, _evaluator({"AlertEmail": "ops@example.com"})).index(
        "AlertEmailSubscription"
    ) > order.index("AlertTopic")


def test_the_functions_come_from_the_template() -> None:
    specs = function_specs(TEMPLATE, _evaluator(created=True))

    ingest, lookup, alerts = (
        specs["IngestFunction"],
        specs["LookupFunction"],
        specs["AlertsFunction"],
    )
    assert ingest.handler == "ingest.handler.lambda_handler"
    assert (ingest.module_name, ingest.attribute_name) == ("ingest.handler", "lambda_handler")
    assert {route.route_key for route in ingest.routes} == {
        "POST /callbacks",
        "HEAD /callbacks",
        "GET /callbacks",
    }
    assert "GET /resources/v1/messaging/status/{transactionid}" in {
        route.route_key for route in lookup.routes
    }
    assert lookup.timeout_seconds == 25
    assert ingest.memory_mb == TEMPLATE["Globals"]["Function"]["MemorySize"]
    (trigger,) = alerts.sqs_triggers
    assert trigger.queue_logical_id == "AlertsQueue"
    assert trigger.report_batch_item_failures


def test_function_environment_merges_globals_and_resolves_references() -> None:
    specs = function_specs(TEMPLATE, _evaluator(created=True))

    ingest = specs["IngestFunction"].environment
    assert ingest["STAGE"] == "dev"
    assert ingest["POWERTOOLS_SERVICE_NAME"] == "ingest"
    assert ingest["CALLBACK_SECRET_REFERENCE"] == "ssm:/imiconnect-receipts/dev/callback-secret"
    assert specs["AlertsFunction"].environment["ALERT_STATUSES"].startswith("failed,")
    assert specs["AlertsFunction"].environment["LOOKUP_BASE_URL"].startswith("https://local.")


def test_the_shared_environment_leaves_out_what_functions_disagree_on() -> None:
    environment, conflicting = shared_environment(
        function_specs(TEMPLATE, _evaluator(created=True))
    )

    assert "POWERTOOLS_SERVICE_NAME" in conflicting
    assert "POWERTOOLS_SERVICE_NAME" not in environment
    assert environment["CALLBACK_AUTH_MODE"] == "hub-signature"
    assert environment["STAGE"] == "dev"


def test_the_layer_and_code_locations_come_from_the_template() -> None:
    assert layer_content_uris(TEMPLATE) == ["layers/shared"]


def test_the_pipe_filter_in_the_layer_is_the_templates() -> None:
    import json

    from receipts.storage.alert_records import ALERT_FILTER_PATTERN

    source = TEMPLATE["Resources"]["AlertsPipe"]["Properties"]["SourceParameters"]
    (pattern,) = source["FilterCriteria"]["Filters"]

    assert json.loads(pattern["Pattern"]) == ALERT_FILTER_PATTERN


def test_resource_references_resolve_to_the_created_resources() -> None:
    evaluator = _evaluator(created=True)

    assert evaluator.evaluate({"Ref": "EventsTable"}) == "EventsTable-ref"
    assert evaluator.evaluate({"Fn::GetAtt": "EventsTable.StreamArn"}) == "arn:EventsTable/stream"
    assert function_specs(TEMPLATE, evaluator)["AlertsFunction"].environment["ALERT_TOPIC_ARN"] == (
        "AlertTopic-ref"
    )
