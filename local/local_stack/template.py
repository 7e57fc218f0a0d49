"""Read ``template.yaml`` so the local stack and the tests build exactly what is deployed.

CloudFormation's short-form tags (``!Ref``, ``!Sub``, ``!GetAtt`` ...) become their long
form (``{"Ref": ...}``, ``{"Fn::Sub": ...}``) so the template is plain data.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

TEMPLATE_PATH = Path(__file__).resolve().parents[2] / "template.yaml"
_INDEX_DEFINITION_FIELDS = ("IndexName", "KeySchema", "Projection")


# Built with type() so the class checks the same with or without PyYAML's type stubs.
_CloudFormationLoader: Any = type("_CloudFormationLoader", (yaml.SafeLoader,), {})


def _tag_constructor(tag: str) -> Any:
    function = "Ref" if tag == "Ref" else f"Fn::{tag}"

    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if tag == "GetAtt":
                value = str(value).split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        elif isinstance(node, yaml.MappingNode):
            value = loader.construct_mapping(node, deep=True)
        else:
            raise yaml.constructor.ConstructorError(
                None, None, f"unexpected !{tag}", node.start_mark
            )
        return {function: value}

    return construct


for _tag in (
    "Ref", "Sub", "GetAtt", "Join", "If", "Equals", "Not", "And", "Or", "Select",
    "Split", "FindInMap", "GetAZs", "ImportValue", "Base64", "Condition", "Cidr",
):  # fmt: skip
    _CloudFormationLoader.add_constructor(f"!{_tag}", _tag_constructor(_tag))


# The loader is a SafeLoader that only adds CloudFormation's tags.
@cache
def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        loaded: dict[str, Any] = yaml.load(handle, Loader=_CloudFormationLoader)  # noqa: S506 # nosec B506
    return loaded


def resource(logical_id: str, path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    resources: dict[str, Any] = load_template(path)["Resources"]
    found: dict[str, Any] = resources[logical_id]
    return found


def parameter_defaults(path: Path = TEMPLATE_PATH) -> dict[str, str]:
    parameters: dict[str, Any] = load_template(path).get("Parameters", {})
    defaults: dict[str, str] = {}
    for name, spec in parameters.items():
        default = spec.get("Default", "")
        defaults[name] = ",".join(default) if isinstance(default, list) else str(default)
    return defaults


def table_definition(logical_id: str = "EventsTable", path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """``create_table`` arguments for a table of the template (name chosen by the caller)."""
    properties = resource(logical_id, path)["Properties"]
    definition: dict[str, Any] = {
        "BillingMode": properties["BillingMode"],
        "AttributeDefinitions": properties["AttributeDefinitions"],
        "KeySchema": properties["KeySchema"],
    }
    if "GlobalSecondaryIndexes" in properties:
        # An index's WarmThroughput is a deploy-time condition (pre-warming before a campaign)
        # that a local table has no use for; the key design is what must match.
        definition["GlobalSecondaryIndexes"] = [
            {name: index[name] for name in _INDEX_DEFINITION_FIELDS if name in index}
            for index in properties["GlobalSecondaryIndexes"]
        ]
    if "StreamSpecification" in properties:
        definition["StreamSpecification"] = {
            "StreamEnabled": True,
            **properties["StreamSpecification"],
        }
    return definition


def time_to_live_attribute(logical_id: str = "EventsTable", path: Path = TEMPLATE_PATH) -> str:
    properties = resource(logical_id, path)["Properties"]
    return str(properties["TimeToLiveSpecification"]["AttributeName"])
