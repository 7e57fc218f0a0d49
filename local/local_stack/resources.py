"""Create the template's data resources in the embedded AWS, from their own properties.

DynamoDB tables, SQS queues (redrive policy included), SNS topics and subscriptions are
created as the template declares them, in dependency order; what moto would ignore or only
accept separately (the table's TTL) is applied explicitly. Everything else (functions, the
HTTP API, the pipe, alarms, roles, log groups) is emulated by the local stack or has no
local meaning; references to it resolve to stable placeholder names.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from graphlib import TopologicalSorter
from pathlib import Path
from typing import Any

from local_stack.intrinsics import PSEUDO_PARAMETERS_DEFAULTS, Evaluator, TemplateError, references
from local_stack.template import TEMPLATE_PATH, table_definition

TABLE = "AWS::DynamoDB::Table"
QUEUE = "AWS::SQS::Queue"
TOPIC = "AWS::SNS::Topic"
SUBSCRIPTION = "AWS::SNS::Subscription"
CREATED_TYPES = (TABLE, QUEUE, TOPIC, SUBSCRIPTION)

# CloudFormation queue properties that are plain SQS attributes of the same name.
_QUEUE_ATTRIBUTES = (
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
    "SqsManagedSseEnabled",
    "FifoQueue",
    "ContentBasedDeduplication",
)
_TOPIC_ATTRIBUTES = ("DisplayName", "FifoTopic", "ContentBasedDeduplication")


@dataclass
class CreatedResource:
    logical_id: str
    type: str
    ref: str
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass
class StackResources:
    """What was created, with the values ``Ref`` and ``Fn::GetAtt`` resolve to."""

    stack_name: str
    region: str
    account_id: str = PSEUDO_PARAMETERS_DEFAULTS["AWS::AccountId"]  # type: ignore[assignment]
    created: dict[str, CreatedResource] = field(default_factory=dict)
    # Values for resources the local stack emulates (the HTTP API's id, for one).
    emulated_refs: dict[str, str] = field(default_factory=dict)

    def resolve(self, template: Mapping[str, Any], logical_id: str, attribute: str | None) -> str:
        if logical_id in self.created:
            resource = self.created[logical_id]
            if attribute is None:
                return resource.ref
            if attribute not in resource.attributes:
                raise TemplateError(f"{logical_id} has no attribute {attribute} locally")
            return resource.attributes[attribute]
        resource_type = template["Resources"][logical_id].get("Type", "")
        if resource_type in CREATED_TYPES:
            raise TemplateError(f"{logical_id} is referenced before it is created")
        return self._placeholder(logical_id, resource_type, attribute)

    def _placeholder(self, logical_id: str, resource_type: str, attribute: str | None) -> str:
        name = self.emulated_refs.get(logical_id, f"{self.stack_name}-{logical_id}")
        if attribute is None:
            return name
        service = resource_type.split("::")[1].lower() if "::" in resource_type else "local"
        if attribute.endswith("Arn"):
            return f"arn:aws:{service}:{self.region}:{self.account_id}:{name}"
        return name

    def ref(self, logical_id: str) -> str:
        return self.created[logical_id].ref

    def attribute(self, logical_id: str, attribute: str) -> str:
        return self.created[logical_id].attributes[attribute]

    def of_type(self, resource_type: str) -> list[CreatedResource]:
        return [resource for resource in self.created.values() if resource.type == resource_type]


def creation_order(template: Mapping[str, Any], evaluator: Evaluator) -> list[str]:
    """Logical ids of the resources to create, each after those it refers to."""
    resources: Mapping[str, Any] = template.get("Resources", {})
    selected = [
        logical_id
        for logical_id, resource in resources.items()
        if resource.get("Type") in CREATED_TYPES
        and ("Condition" not in resource or evaluator.condition(resource["Condition"]))
    ]
    graph = {
        logical_id: {
            dependency
            for dependency in references(resources[logical_id].get("Properties", {}))
            if dependency in selected
        }
        for logical_id in selected
    }
    return list(TopologicalSorter(graph).static_order())


class ResourceCreator:
    """Creates the template's data resources with boto3 clients pointed at moto."""

    def __init__(
        self,
        template: Mapping[str, Any],
        evaluator: Evaluator,
        resources: StackResources,
        clients: Mapping[str, Any],
        template_path: Path = TEMPLATE_PATH,
    ) -> None:
        self._template = template
        self._evaluator = evaluator
        self._resources = resources
        self._clients = clients
        self._template_path = template_path

    def create_all(self) -> StackResources:
        for logical_id in creation_order(self._template, self._evaluator):
            resource = self._template["Resources"][logical_id]
            properties = resource.get("Properties", {})
            creator = {
                TABLE: self._create_table,
                QUEUE: self._create_queue,
                TOPIC: self._create_topic,
                SUBSCRIPTION: self._create_subscription,
            }[resource["Type"]]
            self._resources.created[logical_id] = creator(logical_id, properties)
        return self._resources

    def _name(self, logical_id: str) -> str:
        return f"{self._resources.stack_name}-{logical_id}"

    def _create_table(self, logical_id: str, properties: Mapping[str, Any]) -> CreatedResource:
        client = self._clients["dynamodb"]
        name = str(self._evaluator.evaluate(properties.get("TableName", self._name(logical_id))))
        client.create_table(TableName=name, **table_definition(logical_id, self._template_path))
        ttl = properties.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled", True):
            # moto's CloudFormation ignores TimeToLiveSpecification; apply it the API way.
            client.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]},
            )
        description = client.describe_table(TableName=name)["Table"]
        attributes = {"Arn": description["TableArn"]}
        if description.get("LatestStreamArn"):
            attributes["StreamArn"] = description["LatestStreamArn"]
        return CreatedResource(logical_id, TABLE, name, attributes)

    def _create_queue(self, logical_id: str, properties: Mapping[str, Any]) -> CreatedResource:
        client = self._clients["sqs"]
        evaluated = self._evaluator.evaluate(dict(properties))
        name = str(evaluated.get("QueueName", self._name(logical_id)))
        attributes = {
            key: _attribute_text(evaluated[key]) for key in _QUEUE_ATTRIBUTES if key in evaluated
        }
        if "RedrivePolicy" in evaluated:
            policy = dict(evaluated["RedrivePolicy"])
            policy["maxReceiveCount"] = int(policy["maxReceiveCount"])
            attributes["RedrivePolicy"] = json.dumps(policy)
        url = client.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = client.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        return CreatedResource(
            logical_id, QUEUE, url, {"Arn": arn, "QueueName": name, "QueueUrl": url}
        )

    def _create_topic(self, logical_id: str, properties: Mapping[str, Any]) -> CreatedResource:
        client = self._clients["sns"]
        evaluated = self._evaluator.evaluate(dict(properties))
        name = str(evaluated.get("TopicName", self._name(logical_id)))
        attributes = {
            key: _attribute_text(evaluated[key]) for key in _TOPIC_ATTRIBUTES if key in evaluated
        }
        arn = client.create_topic(Name=name, Attributes=attributes)["TopicArn"]
        return CreatedResource(logical_id, TOPIC, arn, {"TopicArn": arn, "TopicName": name})

    def _create_subscription(
        self, logical_id: str, properties: Mapping[str, Any]
    ) -> CreatedResource:
        client = self._clients["sns"]
        evaluated = self._evaluator.evaluate(dict(properties))
        arn = client.subscribe(
            TopicArn=evaluated["TopicArn"],
            Protocol=evaluated["Protocol"],
            Endpoint=evaluated["Endpoint"],
            ReturnSubscriptionArn=True,
        )["SubscriptionArn"]
        return CreatedResource(logical_id, SUBSCRIPTION, arn, {})


def _attribute_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
