"""Where alerts go: the SNS topic and the chat webhooks, behind one small interface."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from alerts import messages
from alerts.errors import TargetError
from alerts.http_client import HttpPoster
from alerts.model import Notice
from alerts.webhook_config import ChatWebhooks
from alerts.webhook_signing import signed_headers

if TYPE_CHECKING:
    from mypy_boto3_sns.client import SNSClient
else:
    SNSClient = Any

SNS_TARGET = "sns"
SLACK_TARGET = "slack"
TEAMS_TARGET = "teams"
GENERIC_TARGET = "generic"
# Stands for the chat webhooks while their secret cannot be read: records fail and are
# retried until it can, without re-sending to SNS.
CHAT_WEBHOOKS_TARGET = "chat-webhooks"

# SNS errors that a retry cannot cure: a wrong topic, a denied permission, a bad request.
_PERMANENT_SNS_ERRORS = frozenset(
    {"NotFound", "NotFoundException", "AuthorizationError", "InvalidParameter",
     "InvalidParameterValue", "AccessDenied", "AccessDeniedException"}
)  # fmt: skip


class AlertTarget(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def minimum_seconds(self) -> float:
        """Time a call needs in the worst case; with less left, the record is retried later."""
        ...

    def send(self, notice: Notice, deadline: float) -> None:
        """Deliver one notice; raise :class:`TargetError` when it was not taken."""


class SnsTarget:
    name = SNS_TARGET
    # Three attempts of at most 1 s connect + 2 s read (receipts.aws_clients).
    minimum_seconds = 10.0

    def __init__(self, topic_arn: str, client: Callable[[], SNSClient]) -> None:
        self._topic_arn = topic_arn
        self._client = client

    def send(self, notice: Notice, deadline: float) -> None:
        attributes = {
            name: {"DataType": "String", "StringValue": value}
            for name, value in messages.sns_attributes(notice).items()
        }
        try:
            self._client().publish(
                TopicArn=self._topic_arn,
                Subject=messages.subject(notice),
                Message=messages.text(notice),
                MessageAttributes=attributes,  # type: ignore[arg-type]
            )
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "ClientError")
            raise TargetError(
                self.name, f"SNS {code}", retryable=code not in _PERMANENT_SNS_ERRORS
            ) from error
        except BotoCoreError as error:
            raise TargetError(self.name, f"SNS {type(error).__name__}") from error


class WebhookTarget:
    """A chat or generic webhook: one JSON POST, signed when signing keys are given."""

    minimum_seconds = 1.0

    def __init__(
        self,
        name: str,
        url: str,
        render: Callable[[Notice], dict[str, Any]],
        poster: HttpPoster,
        *,
        signing_keys: tuple[bytes, ...] = (),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.name = name
        self._url = url
        self._render = render
        self._poster = poster
        self._signing_keys = signing_keys
        self._clock = clock

    def send(self, notice: Notice, deadline: float) -> None:
        body = json.dumps(self._render(notice), ensure_ascii=False, separators=(",", ":"))
        encoded = body.encode()
        headers: dict[str, str] = {}
        if self._signing_keys:
            timestamp = int(self._clock().timestamp())
            headers = signed_headers(self._signing_keys, notice.message_id, timestamp, encoded)
        self._poster.post(self.name, self._url, encoded, headers, deadline)


class UnavailableTarget:
    """A target that cannot be built (unreadable secret): every send fails with the reason."""

    minimum_seconds = 0.0

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self._reason = reason

    def send(self, notice: Notice, deadline: float) -> None:
        raise TargetError(self.name, self._reason)


def chat_targets(
    webhooks: ChatWebhooks,
    poster: HttpPoster,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> list[AlertTarget]:
    targets: list[AlertTarget] = []
    if webhooks.slack:
        targets.append(
            WebhookTarget(SLACK_TARGET, webhooks.slack.url, messages.slack_payload, poster)
        )
    if webhooks.teams:
        targets.append(
            WebhookTarget(TEAMS_TARGET, webhooks.teams.url, messages.teams_payload, poster)
        )
    if webhooks.generic:
        targets.append(
            WebhookTarget(
                GENERIC_TARGET,
                webhooks.generic.url,
                messages.webhook_event,
                poster,
                signing_keys=webhooks.generic.signing_keys,
                clock=clock,
            )
        )
    return targets
