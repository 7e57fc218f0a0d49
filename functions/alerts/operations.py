"""Telling the operations team that a target refused a notice for good.

Alerts are for the team that watches deliveries; a webhook that answers 404 is a fault of this
deployment's configuration, so it goes where the alarms go: the operations topic.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from alerts.model import Alert, Notice
from alerts.observability import logger

if TYPE_CHECKING:
    from mypy_boto3_sns.client import SNSClient
else:
    SNSClient = Any


class OperationsNotifier(Protocol):
    def target_refused(self, target: str, reason: str, notice: Notice) -> None:
        """Tell operations that ``target`` refused ``notice`` for good; raise when it cannot."""


def _notice_name(notice: Notice) -> str:
    if isinstance(notice, Alert):
        return f"the alert of transaction {notice.transid} ({notice.status.value})"
    return f"the storm digest #{notice.sequence} of the window starting {notice.window.label}"


def refusal_subject(target: str) -> str:
    # SNS subjects are ASCII and at most 100 characters; target names are short ASCII.
    return f"Alert target {target} refuses alerts; they are given up for it"[:100]


def refusal_text(target: str, reason: str, notice: Notice) -> str:
    return "\n".join(
        [
            f"The {target} alert target refused {_notice_name(notice)} for good.",
            "",
            f"Target:      {target}",
            f"Its answer:  {reason}",
            f"Message id:  {notice.message_id}",
            "",
            f"The notice is given up for {target} and will not be retried there; the other",
            "targets are not affected. Alerts and digests that this target refuses later in the",
            "same storm window are given up too without another message here; each is logged",
            "('alert target refused a notice for good') and counted (AlertTargetsGivenUp).",
            "",
            "Check the target's URL in the chat-webhook secret (docs/alerts.md, 'The chat-webhook",
            "secret'); a changed secret is read within POWERTOOLS_PARAMETERS_MAX_AGE seconds.",
        ]
    )


class SnsOperationsNotifier:
    def __init__(self, topic_arn: str, client: Callable[[], SNSClient]) -> None:
        self._topic_arn = topic_arn
        self._client = client

    def target_refused(self, target: str, reason: str, notice: Notice) -> None:
        self._client().publish(
            TopicArn=self._topic_arn,
            Subject=refusal_subject(target),
            Message=refusal_text(target, reason, notice),
        )


class LoggedOperationsNotifier:
    """Without an operations topic (OPERATIONS_TOPIC_ARN empty), the log line is all there is."""

    def target_refused(self, target: str, reason: str, notice: Notice) -> None:
        logger.error(
            "no operations topic to tell that an alert target refuses notices",
            extra={"target": target, "reason": reason, "message_id": notice.message_id},
        )
