"""Every AWS call answered in memory, at botocore's send hook: no network, same clients.

Installed on boto3's default session (the one the functions' cached clients and the secret
providers use), so the deployed wiring runs unchanged: request serialisation, signing and
response parsing all happen, only the HTTP round trip is gone. Used by the benchmarks in
fresh processes (cold starts) and in-process (warm costs).

    import _aws_stub
    _aws_stub.install(parameters={"/prefix/stage/callback-secret": "s3cr3t"})
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

_PUBLISH_ANSWER = (
    "<PublishResponse><PublishResult><MessageId>{id}</MessageId></PublishResult>"
    "<ResponseMetadata><RequestId>{id}</RequestId></ResponseMetadata></PublishResponse>"
)


_HANDLER_ID = "benchmarks-aws-stub"


class RawBody:
    """What botocore reads an HTTP answer's body from."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


class AwsStub:
    """Answers by service and operation; counts what was asked."""

    def __init__(
        self,
        *,
        parameters: Mapping[str, str] | None = None,
        query_items: Sequence[Mapping[str, Any]] = (),
        cached_item: Mapping[str, Any] | None = None,
    ) -> None:
        self.parameters = dict(parameters or {})
        self.query_items = list(query_items)
        self.cached_item = dict(cached_item) if cached_item else None
        self.calls: dict[str, int] = {}

    def answer(self, service: str, operation: str, body: bytes) -> tuple[int, bytes, str]:
        name = f"{service}.{operation}"
        self.calls[name] = self.calls.get(name, 0) + 1
        json_type = "application/x-amz-json-1.0"
        if service == "dynamodb":
            return 200, json.dumps(self._dynamodb(operation, json.loads(body))).encode(), json_type
        if service == "ssm" and operation == "GetParameter":
            request_name = json.loads(body)["Name"]
            value = self.parameters.get(request_name, "")
            answer = {"Parameter": {"Name": request_name, "Type": "SecureString",
                                    "Value": value, "Version": 1}}  # fmt: skip
            return 200, json.dumps(answer).encode(), "application/x-amz-json-1.1"
        # botocore's event names spell the service "secrets-manager".
        if service == "secrets-manager" and operation == "GetSecretValue":
            secret_id = json.loads(body)["SecretId"]
            answer = {"Name": secret_id, "SecretString": self.parameters.get(secret_id, ""),
                      "ARN": f"arn:aws:secretsmanager:us-east-1:123456789012:secret:{secret_id}",
                      "VersionId": "1"}  # fmt: skip
            return 200, json.dumps(answer).encode(), "application/x-amz-json-1.1"
        if service == "sns" and operation == "Publish":
            return 200, _PUBLISH_ANSWER.format(id=uuid.uuid4()).encode(), "text/xml"
        if service == "sqs" and operation == "SendMessage":
            message = json.loads(body)["MessageBody"]
            digest = hashlib.md5(message.encode(), usedforsecurity=False).hexdigest()
            answer = {"MessageId": str(uuid.uuid4()), "MD5OfMessageBody": digest}
            return 200, json.dumps(answer).encode(), json_type
        return 200, b"{}", json_type

    def _dynamodb(self, operation: str, request: dict[str, Any]) -> dict[str, Any]:
        if operation == "Query":
            return {"Items": self.query_items, "Count": len(self.query_items),
                    "ScannedCount": len(self.query_items)}  # fmt: skip
        if operation == "GetItem":
            key = request.get("Key", {}).get("pk", {}).get("S", "")
            if self.cached_item and key.startswith("CACHE#"):
                return {"Item": self.cached_item}
            return {}
        if operation == "UpdateItem":
            # The storm counter's ADD returns the new count: the first alert of a window.
            return {"Attributes": {"alerts": {"N": "1"}}}
        return {}

    def before_send(self, request: Any, event_name: str = "", **_: Any) -> Any:
        from botocore.awsrequest import AWSResponse

        _, service, operation = event_name.split(".")[:3]
        body = request.body if isinstance(request.body, bytes) else (request.body or "").encode()
        status, answer, content_type = self.answer(service, operation, body)
        headers = {"x-amzn-RequestId": "stub", "Content-Type": content_type}
        return AWSResponse(request.url, status, headers, RawBody(answer))


def install(**answers: Any) -> AwsStub:
    """Answer every call of clients created from boto3's default session from now on."""
    import boto3

    stub = AwsStub(**answers)
    if boto3.DEFAULT_SESSION is None:
        boto3.setup_default_session()
    events = boto3.DEFAULT_SESSION.events
    # A new stub replaces the previous one (for clients created from now on).
    events.unregister("before-send", unique_id=_HANDLER_ID)
    events.register("before-send", stub.before_send, unique_id=_HANDLER_ID)
    return stub
