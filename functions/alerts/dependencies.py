"""The real collaborators, built on first use and kept for the container's life."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from alerts.errors import AlertConfigurationError
from alerts.http_client import HttpPoster, Urllib3Poster
from alerts.ledger import DynamoAlertLedger
from alerts.observability import logger
from alerts.operations import LoggedOperationsNotifier, OperationsNotifier, SnsOperationsNotifier
from alerts.scheduler import SqsDigestScheduler
from alerts.service import AlertRules, AlertService, StormControl
from alerts.settings import AlertSettings, load_settings
from alerts.targets import (
    CHAT_WEBHOOKS_TARGET,
    AlertTarget,
    SnsTarget,
    UnavailableTarget,
    chat_targets,
)
from alerts.webhook_config import parse_chat_webhooks
from receipts.aws_clients import dynamodb_client, sns_client, sqs_client
from receipts.secret_values import load_secret_document


class ConfiguredTargets:
    """The targets as configured now: SNS, and the chat webhooks from their secret.

    Called once per batch; the secret is cached by Powertools for POWERTOOLS_PARAMETERS_MAX_AGE
    seconds, so a changed webhook is picked up without a deployment.
    """

    def __init__(self, settings: AlertSettings, poster: HttpPoster) -> None:
        self._settings = settings
        self._poster = poster

    def __call__(self) -> Sequence[AlertTarget]:
        targets: list[AlertTarget] = []
        if self._settings.alert_topic_arn:
            targets.append(SnsTarget(self._settings.alert_topic_arn, sns_client))
        if self._settings.chat_webhooks_enabled:
            targets.extend(self._chat_targets())
        return targets

    def _chat_targets(self) -> list[AlertTarget]:
        try:
            if not self._settings.chat_webhooks_reference:
                raise AlertConfigurationError(
                    "CHAT_WEBHOOKS_ENABLED is true but CHAT_WEBHOOKS_REFERENCE is empty"
                )
            document = load_secret_document(
                self._settings.chat_webhooks_reference,
                max_age=self._settings.parameters_max_age,
            )
            return chat_targets(parse_chat_webhooks(document), self._poster)
        except Exception as error:
            # The records fail (and retry) for the chat webhooks alone; SNS still gets them.
            reason = (
                str(error)
                if isinstance(error, AlertConfigurationError)
                else (f"cannot read the chat-webhook secret: {type(error).__name__}")
            )
            logger.error("chat webhooks unavailable", extra={"reason": reason})
            return [UnavailableTarget(CHAT_WEBHOOKS_TARGET, reason)]


def operations_notifier(settings: AlertSettings) -> OperationsNotifier:
    if settings.operations_topic_arn:
        return SnsOperationsNotifier(settings.operations_topic_arn, sns_client)
    return LoggedOperationsNotifier()


@cache
def default_service() -> AlertService:
    settings = load_settings()
    return AlertService(
        ledger=DynamoAlertLedger(dynamodb_client(), settings.events_table_name),
        scheduler=SqsDigestScheduler(settings.alerts_queue_url, sqs_client),
        targets=ConfiguredTargets(settings, Urllib3Poster()),
        rules=AlertRules.from_settings(settings),
        storm=StormControl(settings.storm_threshold, settings.storm_window_seconds),
        lookup_base_url=settings.lookup_base_url,
        operations=operations_notifier(settings),
    )
