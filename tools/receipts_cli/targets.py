"""Which stack a command talks to, and everything it needs to reach it.

``--local`` reads the local stack's state file (``make run`` writes it); ``--stack NAME``
reads the deployed stack's outputs and parameters from CloudFormation and the lookup API key
from where the stack keeps it (SSM Parameter Store or Secrets Manager), all with the caller's
own AWS credentials and region. Nothing is read until a command needs it, so ``--help``
works anywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from local_stack.state import DEFAULT_STATE_FILE, StackState, read_state
from receipts.aws_clients import client_config
from receipts.secret_values import (
    SECRETS_MANAGER_PREFIX,
    SSM_PREFIX,
    SecretConfigurationError,
    split_secret_value,
)
from receipts_cli.aws_errors import error_code
from receipts_cli.errors import CliError, ExitCode

# The header every /v1 route takes the lookup API key in (lookup.auth.API_KEY_HEADER).
API_KEY_HEADER = "x-api-key"
STATE_FILE_NAME = Path("local-state") / "stack.json"

ClientFactory = Callable[[str], Any]
# The local stack's embedded AWS accepts any credentials (local_stack.stack's placeholder).
_LOCAL_PLACEHOLDER = "testing"


@dataclass(frozen=True)
class Target:
    """One stack: its URLs, its table and queues, its settings, and a way to its AWS."""

    description: str
    # What names this stack whatever the shell: a journal of long work is kept per identity.
    identity: str
    api_url: str
    api_key: str = field(repr=False)
    api_key_header: str
    table_name: str
    alerts_queue_url: str
    alerts_dead_letter_queue_url: str
    pipe_dead_letter_queue_url: str
    retention_days: int
    max_callback_bytes: int
    aws_client: ClientFactory
    # The local stack's state: its console runs reconcile passes on demand.
    local_state: StackState | None = None


def _client_factory(
    *, region: str | None, endpoint_url: str | None = None, local: bool = False
) -> ClientFactory:
    import boto3

    config = client_config(
        connect_timeout=5,
        read_timeout=30,
        total_max_attempts=5,
        # The table's write-sharded keys are read 32 shards side by side.
        max_pool_connections=32,
    )
    session = (
        # The embedded AWS takes any credentials; these keep boto3 from looking for real ones.
        boto3.Session(
            aws_access_key_id=_LOCAL_PLACEHOLDER,
            aws_secret_access_key=_LOCAL_PLACEHOLDER,
            region_name=region,
        )
        if local
        else boto3.Session(region_name=region)
    )

    def client(service: str) -> Any:
        return session.client(service, config=config, endpoint_url=endpoint_url)

    return client


def default_state_file() -> Path:
    """``local-state/stack.json`` here if it exists, else in the checkout ``make run`` ran in."""
    here = Path.cwd() / STATE_FILE_NAME
    # Installed from a wheel, the checkout's path means nothing: only an existing file counts.
    return DEFAULT_STATE_FILE if not here.exists() and DEFAULT_STATE_FILE.exists() else here


def local_target(state_file: Path | None) -> Target:
    path = state_file or default_state_file()
    try:
        state = read_state(path)
    except FileNotFoundError:
        raise CliError(
            f"no local stack: {path} does not exist (start one with `make run`, or name its "
            "state file with --state-file)",
            ExitCode.NOT_AUTHORISED,
            code="no_stack",
        ) from None
    except (ValueError, TypeError) as error:
        raise CliError(
            f"{path} is not a local stack's state file ({error})",
            ExitCode.NOT_AUTHORISED,
            code="no_stack",
        ) from None
    resources, parameters = state.resources, state.parameters
    return Target(
        description=f"the local stack at {state.api_url}",
        identity=f"local {state.api_url} {state.aws_endpoint_url}",
        api_url=state.api_url,
        api_key=state.lookup_api_key,
        api_key_header=state.lookup_api_key_header,
        table_name=resources["EventsTable"],
        alerts_queue_url=resources["AlertsQueue"],
        alerts_dead_letter_queue_url=resources["AlertsDeadLetterQueue"],
        pipe_dead_letter_queue_url=resources["AlertsPipeDeadLetterQueue"],
        retention_days=int(parameters["RetentionDays"]),
        max_callback_bytes=int(parameters["MaxCallbackBytes"]),
        aws_client=_client_factory(
            region=state.region, endpoint_url=state.aws_endpoint_url, local=True
        ),
        local_state=state,
    )


def stack_target(name: str, *, region: str | None, api_key: str | None) -> Target:
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

    client = _client_factory(region=region or None)
    try:
        stacks = client("cloudformation").describe_stacks(StackName=name)["Stacks"]
    except NoRegionError:
        raise CliError(
            "no AWS region: pass --region or set AWS_REGION",
            ExitCode.NOT_AUTHORISED,
            code="no_region",
        ) from None
    except NoCredentialsError:
        raise CliError(
            "no AWS credentials: set AWS_PROFILE or the AWS_* variables (the stack is read "
            "with the caller's credentials)",
            ExitCode.NOT_AUTHORISED,
            code="no_credentials",
        ) from None
    except ClientError as error:
        raise _stack_error(name, error) from None
    except BotoCoreError as error:
        raise CliError(
            f"CloudFormation could not be reached: {error}",
            ExitCode.UNAVAILABLE,
            code="unavailable",
        ) from None
    stack = stacks[0]
    outputs = {entry["OutputKey"]: entry["OutputValue"] for entry in stack.get("Outputs", [])}
    parameters = {
        entry["ParameterKey"]: entry.get("ResolvedValue", entry.get("ParameterValue", ""))
        for entry in stack.get("Parameters", [])
    }
    needed = (
        "LookupBaseUrl",
        "EventsTableName",
        "AlertsQueueUrl",
        "AlertsDeadLetterQueueUrl",
        "AlertsPipeDeadLetterQueueUrl",
    )
    missing = [key for key in needed if key not in outputs]
    if missing:
        raise CliError(
            f"stack {name} is not an imiconnect-receipts stack of this version (no output "
            f"{', '.join(missing)})",
            ExitCode.NOT_AUTHORISED,
            code="not_a_receipts_stack",
        )
    return Target(
        description=f"stack {name}",
        identity=f"stack {stack.get('StackId', name)}",
        api_url=outputs["LookupBaseUrl"].rstrip("/"),
        api_key=api_key or _lookup_api_key(client, parameters),
        api_key_header=API_KEY_HEADER,
        table_name=outputs["EventsTableName"],
        alerts_queue_url=outputs["AlertsQueueUrl"],
        alerts_dead_letter_queue_url=outputs["AlertsDeadLetterQueueUrl"],
        pipe_dead_letter_queue_url=outputs["AlertsPipeDeadLetterQueueUrl"],
        retention_days=int(parameters.get("RetentionDays", "90")),
        max_callback_bytes=int(parameters.get("MaxCallbackBytes", "65536")),
        aws_client=client,
    )


def _stack_error(name: str, error: Any) -> CliError:
    code = error_code(error)
    message = error.response.get("Error", {}).get("Message", "")
    if code == "ValidationError" and "does not exist" in message:
        return CliError(
            f"no stack named {name} in this account and region",
            ExitCode.NOT_FOUND,
            code="no_stack",
        )
    if code in {"AccessDenied", "AccessDeniedException", "ExpiredToken", "InvalidClientTokenId"}:
        return CliError(
            f"AWS refused to describe stack {name} ({code}): check the credentials",
            ExitCode.NOT_AUTHORISED,
            code="not_authorised",
        )
    return CliError(
        f"CloudFormation refused ({code}): {message}", ExitCode.UNAVAILABLE, code="unavailable"
    )


def lookup_keys_reference(parameters: Mapping[str, str]) -> str:
    """The lookup function's ``LOOKUP_API_KEYS_REFERENCE`` for these stack parameters
    (``ssm:/...`` or ``secretsmanager:/...``; a test holds it to the template's)."""
    store = parameters.get("SecretStore", "ssm")
    prefix = parameters.get("SecretsPrefix", "imiconnect-receipts")
    stage = parameters.get("Stage", "dev")
    return f"{store}:/{prefix}/{stage}/lookup-api-keys"


def _lookup_api_key(client: ClientFactory, parameters: Mapping[str, str]) -> str:
    """The first active lookup API key (a rotation keeps the new one first)."""
    from botocore.exceptions import BotoCoreError, ClientError

    reference = lookup_keys_reference(parameters)
    try:
        if reference.startswith(SECRETS_MANAGER_PREFIX):
            name = reference.removeprefix(SECRETS_MANAGER_PREFIX)
            value = client("secretsmanager").get_secret_value(SecretId=name)["SecretString"]
        else:
            name = reference.removeprefix(SSM_PREFIX)
            answer = client("ssm").get_parameter(Name=name, WithDecryption=True)
            value = answer["Parameter"]["Value"]
        keys = split_secret_value(value)
    except ClientError as error:
        code = error_code(error)
        raise CliError(
            f"the lookup API key could not be read from {reference} ({code}); pass "
            "--api-key or RECEIPTS_API_KEY instead",
            ExitCode.NOT_AUTHORISED,
            code="no_api_key",
        ) from None
    except BotoCoreError as error:
        raise CliError(
            f"{reference} could not be reached: {error}", ExitCode.UNAVAILABLE, code="unavailable"
        ) from None
    except SecretConfigurationError as error:
        raise CliError(
            f"{reference}: {error}", ExitCode.NOT_AUTHORISED, code="no_api_key"
        ) from None
    if not keys:
        raise CliError(f"{reference} holds no API key", ExitCode.NOT_AUTHORISED, code="no_api_key")
    return keys[0]
