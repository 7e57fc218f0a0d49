"""What ``make run`` prints at start: where everything is, the credentials, three curls."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

from local_stack.state import StackState

SAMPLE_CALLBACK = {
    "deliveryInfoNotification": {
        "deliveryInfo": {
            "deliveryChannel": "SMS",
            "Description": "Delivered",
            "destinationType": "msisdn",
            "timeStamp": "2016-07-20T17:13:17.908",
            "code": "7500",
            "deliveryStatus": "Delivered",
            "destination": "918886661353",
        },
        "correlationid": "4eef-92ca-79fd0250c4a3-262895e4-2217",
        "callbackData": "return callbackdata",
        "transid": "262895e4-2217-4eef-92ca-79fd0250c4a3",
    }
}

SAMPLE_SEND = {
    "deliverychannel": "sms",
    "channels": {"sms": {"type": "1", "text": "Your order has shipped"}},
    "destination": [{"msisdn": ["919999999999"], "correlationid": "order-1001"}],
    "callbackData": "first-try",
}


def send_command(state: StackState) -> str:
    extract = 'import json,sys; print(json.load(sys.stdin)["response"][0]["transid"])'
    return (
        f"TRANSID=$(curl -s -X POST {state.simulator_url}/resources/v1/messaging \\\n"
        f"    -H {shlex.quote('key: ' + state.vendor_service_key)} "
        "-H 'content-type: application/json' \\\n"
        f"    -d {shlex.quote(json.dumps(SAMPLE_SEND, separators=(',', ':')))} \\\n"
        f'    | python3 -c {shlex.quote(extract)}); echo "$TRANSID"'
    )


def lookup_command(state: StackState) -> str:
    return (
        f'curl -s {state.api_url}/v1/transactions/"$TRANSID" '
        f"-H {shlex.quote(state.lookup_api_key_header + ': ' + state.lookup_api_key)}"
    )


def callback_command(state: StackState) -> str:
    body = json.dumps(SAMPLE_CALLBACK, separators=(",", ":"))
    lines = [f"BODY={shlex.quote(body)}"]
    if state.callback_auth_mode == "basic":
        credentials = f"{state.callback_basic_user}:{state.callback_basic_password}"
        auth = f"-u {shlex.quote(credentials)}"
    elif state.callback_auth_mode == "api-key":
        auth = f"-H {shlex.quote(state.callback_api_key_header + ': ' + state.callback_api_key)}"
    elif state.callback_auth_mode == "none":
        auth = ""
    else:
        sign = (
            "import hmac,sys; print(hmac.new(sys.argv[1].encode(), sys.stdin.buffer.read(), "
            '"sha256").hexdigest())'
        )
        auth = (
            f'-H "{state.signature_header}: $(printf %s "$BODY" | python3 -c '
            f'{shlex.quote(sign)} {shlex.quote(state.callback_secret)})"'
        )
    lines.append(
        f"curl -s -X POST {state.webhook_url} -H 'content-type: application/json' "
        f'{auth} -d "$BODY"'.replace("  ", " ")
    )
    return "\n".join(lines)


def banner(state: StackState, shell_exports: Path | None = None) -> str:
    rule = "-" * 78
    sourcing = (
        [f"  source {_shown(shell_exports)}   sets them for the README's curl block", ""]
        if shell_exports is not None
        else []
    )
    return "\n".join(
        [
            rule,
            "imiconnect-receipts is running locally (Ctrl-C stops everything)",
            rule,
            f"  Webhook URL        {state.webhook_url}",
            f"  Status (drop-in)   {state.api_url}/resources/v1/messaging/status/<transid>",
            f"  Timeline           {state.api_url}/v1/transactions/<transid>",
            f"  Search             {state.api_url}/v1/transactions?correlationid=<id>",
            f"  OpenAPI            {state.api_url}/openapi.json",
            f"  Web console        {state.api_url}/console   (asks for the lookup API key)",
            f"  IMIconnect (sim.)  {state.simulator_url}   (send + status API)",
            f"  Local controls     {state.console_url}/alerts  /stats  /faults",
            f"  Embedded AWS       {state.aws_endpoint_url}   (region {state.region})",
            "",
            "  Local credentials (new at each start):",
            f"    lookup API key       {state.lookup_api_key_header}: {state.lookup_api_key}",
            f"    vendor service key   key: {state.vendor_service_key}",
            f"    callback secret      {state.signature_header} HMAC-SHA256: "
            f"{state.callback_secret}",
            "",
            *sourcing,
            "  1. Send an SMS through the simulated platform (callbacks follow):",
            _indent(send_command(state)),
            "  2. Its timeline, built from the callbacks:",
            _indent(lookup_command(state)),
            "  3. Post a signed callback straight to the webhook:",
            _indent(callback_command(state)),
            "",
            "  make demo   sends a campaign on every channel, reports what happened and gives"
            " its web console URL",
            "  .venv/bin/receipts --local --help   the operator's command: tx, search, report,"
            " quarantine, dlq, reconcile",
            rule,
        ]
    )


def _shown(path: Path) -> str:
    """The path as typed from the current directory (the repository's, under make run)."""
    try:
        return shlex.quote(str(path.resolve().relative_to(Path.cwd())))
    except ValueError:
        return shlex.quote(str(path))


def _indent(text: str) -> str:
    return "\n".join(f"     {line}" for line in text.splitlines())
