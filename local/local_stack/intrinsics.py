"""Evaluate CloudFormation intrinsic functions of ``template.yaml`` for the local stack.

Only what a template of this kind uses: ``Ref``, ``Fn::GetAtt``, ``Fn::Sub``, ``Fn::Join``,
``Fn::If`` with the ``Conditions`` section, ``Fn::Select``, ``Fn::Split`` and the condition
functions. Parameters come from their defaults plus validated overrides, so a local value
that the deployed stack would refuse is refused here too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

PSEUDO_PARAMETERS_DEFAULTS = {
    "AWS::AccountId": "123456789012",
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::NoValue": None,
}

_SUB_PLACEHOLDER = re.compile(r"\$\{([^}]+)\}")


class TemplateError(ValueError):
    """The template (or a local override) cannot be evaluated."""


# Resolves (logical id, attribute or None for Ref) to a value.
ResourceResolver = Callable[[str, str | None], Any]


@dataclass
class Evaluator:
    """Resolves intrinsic functions against parameters, pseudo parameters and resources."""

    template: Mapping[str, Any]
    parameters: Mapping[str, Any]
    region: str = "us-east-1"
    stack_name: str = "imiconnect-receipts-local"
    resolve_resource: ResourceResolver | None = None
    _conditions: dict[str, bool] = field(default_factory=dict, init=False, repr=False)

    # ---- public -------------------------------------------------------------------------

    def evaluate(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.evaluate(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((name, argument),) = value.items()
            function = _FUNCTIONS.get(name)
            if function is not None:
                return function(self, argument)
        return {key: self.evaluate(item) for key, item in value.items()}

    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            conditions = self.template.get("Conditions", {})
            if name not in conditions:
                raise TemplateError(f"unknown condition {name!r}")
            self._conditions[name] = bool(self.evaluate(conditions[name]))
        return self._conditions[name]

    # ---- functions ----------------------------------------------------------------------

    def _ref(self, name: str) -> Any:
        if name in self.parameters:
            return self.parameters[name]
        pseudo = self._pseudo(name)
        if pseudo is not _MISSING:
            return pseudo
        return self._resource(name, None)

    def _pseudo(self, name: str) -> Any:
        if name == "AWS::Region":
            return self.region
        if name == "AWS::StackName":
            return self.stack_name
        if name == "AWS::StackId":
            return (
                f"arn:aws:cloudformation:{self.region}:{PSEUDO_PARAMETERS_DEFAULTS['AWS::AccountId']}"
                f":stack/{self.stack_name}/local"
            )
        return (
            PSEUDO_PARAMETERS_DEFAULTS.get(name, _MISSING) if name.startswith("AWS::") else _MISSING
        )

    def _resource(self, logical_id: str, attribute: str | None) -> Any:
        if logical_id not in self.template.get("Resources", {}):
            raise TemplateError(f"reference to unknown resource or parameter {logical_id!r}")
        if self.resolve_resource is None:
            raise TemplateError(f"no resource resolver for {logical_id!r}")
        return self.resolve_resource(logical_id, attribute)

    def _get_att(self, argument: Any) -> Any:
        if isinstance(argument, str):
            argument = argument.split(".", 1)
        logical_id, attribute = self.evaluate(argument)
        return self._resource(str(logical_id), str(attribute))

    def _sub(self, argument: Any) -> str:
        if isinstance(argument, list):
            text, variables = argument[0], self.evaluate(argument[1])
        else:
            text, variables = argument, {}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return str(variables[name])
            if "." in name and name.split(".", 1)[0] in self.template.get("Resources", {}):
                logical_id, attribute = name.split(".", 1)
                return str(self._resource(logical_id, attribute))
            return _stringify(self._ref(name))

        return _SUB_PLACEHOLDER.sub(replace, str(text))

    def _join(self, argument: Any) -> str:
        delimiter, items = argument
        values = self.evaluate(items)
        return str(delimiter).join(_stringify(item) for item in values)

    def _if(self, argument: Any) -> Any:
        name, when_true, when_false = argument
        return self.evaluate(when_true if self.condition(name) else when_false)

    def _select(self, argument: Any) -> Any:
        index, items = self.evaluate(argument)
        return items[int(index)]

    def _split(self, argument: Any) -> list[str]:
        delimiter, text = self.evaluate(argument)
        return str(text).split(str(delimiter))

    def _equals(self, argument: Any) -> bool:
        left, right = self.evaluate(argument)
        return _stringify(left) == _stringify(right)

    def _not(self, argument: Any) -> bool:
        return not self.evaluate(argument[0])

    def _and(self, argument: Any) -> bool:
        return all(self.evaluate(item) for item in argument)

    def _or(self, argument: Any) -> bool:
        return any(self.evaluate(item) for item in argument)

    def _condition_function(self, argument: Any) -> bool:
        return self.condition(str(argument))


_MISSING = object()

_FUNCTIONS: dict[str, Callable[[Evaluator, Any], Any]] = {
    "Ref": lambda evaluator, name: evaluator._ref(str(name)),
    "Fn::GetAtt": Evaluator._get_att,
    "Fn::Sub": Evaluator._sub,
    "Fn::Join": Evaluator._join,
    "Fn::If": Evaluator._if,
    "Fn::Select": Evaluator._select,
    "Fn::Split": Evaluator._split,
    "Fn::Equals": Evaluator._equals,
    "Fn::Not": Evaluator._not,
    "Fn::And": Evaluator._and,
    "Fn::Or": Evaluator._or,
    "Condition": Evaluator._condition_function,
}


def _stringify(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(_stringify(item) for item in value)
    return "" if value is None else str(value)


def references(value: Any) -> set[str]:
    """Logical ids (resources or parameters) that ``value`` refers to."""
    found: set[str] = set()
    if isinstance(value, list):
        for item in value:
            found |= references(item)
    elif isinstance(value, dict):
        if len(value) == 1:
            ((name, argument),) = value.items()
            if name == "Ref" and isinstance(argument, str):
                return {argument}
            if name == "Fn::GetAtt":
                target = argument.split(".", 1)[0] if isinstance(argument, str) else argument[0]
                return {str(target)}
            if name == "Fn::Sub":
                text = argument[0] if isinstance(argument, list) else argument
                local_names = set(argument[1]) if isinstance(argument, list) else set()
                for placeholder in _SUB_PLACEHOLDER.findall(str(text)):
                    head = placeholder.split(".", 1)[0]
                    if not placeholder.startswith("!") and head not in local_names:
                        found.add(head)
                if isinstance(argument, list):
                    found |= references(argument[1])
                return found
        for item in value.values():
            found |= references(item)
    return found


# ---- parameters -------------------------------------------------------------------------


def resolve_parameters(
    template: Mapping[str, Any], overrides: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Every parameter's value: its default, or a validated override.

    ``CommaDelimitedList`` parameters become lists, as ``Ref`` returns them in CloudFormation.
    """
    specs: Mapping[str, Any] = template.get("Parameters", {})
    overrides = dict(overrides or {})
    unknown = sorted(set(overrides) - set(specs))
    if unknown:
        raise TemplateError(f"unknown template parameter(s): {', '.join(unknown)}")
    values: dict[str, Any] = {}
    for name, spec in specs.items():
        if name in overrides:
            raw = overrides[name]
        elif "Default" in spec:
            default = spec["Default"]
            raw = ",".join(str(item) for item in default) if isinstance(default, list) else default
        else:
            raise TemplateError(f"parameter {name} has no default; pass it as an override")
        text = _stringify(raw)
        validate_parameter(name, spec, text)
        values[name] = text.split(",") if spec.get("Type") == "CommaDelimitedList" else text
    return values


def validate_parameter(name: str, spec: Mapping[str, Any], value: str) -> None:
    """Apply the template's constraints, as CloudFormation would on deploy."""
    allowed = spec.get("AllowedValues")
    if allowed is not None and value not in [_stringify(item) for item in allowed]:
        raise TemplateError(f"parameter {name}={value!r} is not one of {allowed}")
    pattern = spec.get("AllowedPattern")
    if pattern is not None and not re.fullmatch(pattern, value):
        raise TemplateError(f"parameter {name}={value!r} does not match {pattern}")
    if spec.get("Type") == "Number":
        try:
            number = float(value)
        except ValueError:
            raise TemplateError(f"parameter {name}={value!r} is not a number") from None
        if "MinValue" in spec and number < float(spec["MinValue"]):
            raise TemplateError(f"parameter {name}={value} is below {spec['MinValue']}")
        if "MaxValue" in spec and number > float(spec["MaxValue"]):
            raise TemplateError(f"parameter {name}={value} is above {spec['MaxValue']}")


def parse_parameter_overrides(items: list[str]) -> dict[str, str]:
    """``["Name=value", ...]`` (the form ``sam deploy --parameter-overrides`` takes)."""
    overrides: dict[str, str] = {}
    for item in items:
        name, separator, value = item.partition("=")
        if not separator or not name.strip():
            raise TemplateError(f"parameter override {item!r} is not Name=value")
        overrides[name.strip()] = value
    return overrides
