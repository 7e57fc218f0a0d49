"""Where `--stack` looks for the lookup key is where the template tells the lookup to."""

from __future__ import annotations

import pytest

from local_stack.intrinsics import Evaluator
from local_stack.template import load_template
from receipts_cli.targets import lookup_keys_reference


@pytest.mark.parametrize("store", ["ssm", "secretsmanager"])
def test_the_lookup_keys_reference_is_the_templates(store: str) -> None:
    template = load_template()
    parameters = {
        name: spec.get("Default", "") for name, spec in template["Parameters"].items()
    } | {"SecretStore": store, "SecretsPrefix": "acme-receipts", "Stage": "prod"}
    variables = template["Resources"]["LookupFunction"]["Properties"]["Environment"]["Variables"]

    told = Evaluator(template, parameters).evaluate(variables["LOOKUP_API_KEYS_REFERENCE"])

    assert lookup_keys_reference(parameters) == told
    assert told == f"{store}:/acme-receipts/prod/lookup-api-keys"
