"""Sending one notice to every target that lacks it, within the invocation's time budget."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence

from aws_lambda_powertools.metrics import MetricUnit

from alerts.errors import DeliveryIncompleteError, TargetError, TargetRefusedError
from alerts.marks import NoticeMarks
from alerts.model import Notice
from alerts.observability import logger, metrics
from alerts.operations import OperationsNotifier
from alerts.targets import AlertTarget
from receipts.metric_dimensions import count_by
from receipts.storage import StoreUnavailableError

# Per target, for the operations dashboard: what each target was sent, and what it failed
# (to be retried) or refused for good.
SENT_TO_TARGET = "AlertsSentToTarget"
TARGET_FAILURES = "AlertTargetFailures"
TARGET_DIMENSION = "target"


def _count_per_target(
    sent: Sequence[str], failed: Mapping[str, str], given_up: Mapping[str, str]
) -> None:
    for target in sent:
        count_by(metrics, SENT_TO_TARGET, 1, {TARGET_DIMENSION: target})
    for target in (*failed, *given_up):
        count_by(metrics, TARGET_FAILURES, 1, {TARGET_DIMENSION: target})


class Dispatcher:
    """Delivers notices for one batch.

    A target that fails is not called again for the rest of the batch: its later records
    fail fast (SQS retries them) instead of each waiting out the same timeouts. A target that
    refuses a notice for good (a webhook's 404) is still offered the next ones: it answered
    at once, and a refusal can concern one body only (a 400).
    """

    def __init__(
        self,
        targets: Sequence[AlertTarget],
        deadline: float,
        operations: OperationsNotifier,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._targets = tuple(targets)
        self._operations = operations
        self._deadline = deadline
        self._monotonic = monotonic
        self._down: dict[str, str] = {}

    @property
    def has_targets(self) -> bool:
        return bool(self._targets)

    def missing(self, settled: frozenset[str]) -> list[AlertTarget]:
        """The configured targets that neither have the notice nor gave it up."""
        return [target for target in self._targets if target.name not in settled]

    def deliver(
        self, notice: Notice, targets: Sequence[AlertTarget], marks: NoticeMarks
    ) -> tuple[str, ...]:
        """Send to each target, recording each outcome at once; raise if any is not settled.

        Every target is offered the notice whatever happened to the ones before it: a failure,
        a refusal or a mark that could not be written concerns that target alone.
        """
        sent: list[str] = []
        given_up: dict[str, str] = {}
        failed: dict[str, str] = {}
        try:
            for target in targets:
                if target.name in self._down:
                    failed[target.name] = f"failed earlier in this batch: {self._down[target.name]}"
                    continue
                if self._deadline - self._monotonic() < target.minimum_seconds:
                    failed[target.name] = "not enough time left in this invocation"
                    continue
                try:
                    target.send(notice, self._deadline)
                except TargetRefusedError as refusal:
                    problem = self._give_up(notice, target.name, refusal.reason, marks)
                    if problem is None:
                        given_up[target.name] = refusal.reason
                    else:
                        failed[target.name] = problem
                    continue
                except TargetError as error:
                    self._down[target.name] = error.reason
                    failed[target.name] = error.reason
                    logger.warning(
                        "alert target failed",
                        extra={
                            "target": target.name,
                            "reason": error.reason,
                            "retryable": error.retryable,
                            "message_id": notice.message_id,
                        },
                    )
                    continue
                try:
                    marks.sent(target.name)
                except Exception as error:
                    # The target has it, the ledger does not know: the retry sends it again. Any
                    # error, not only an unavailable table: whatever it is, the targets after this
                    # one must still be offered the notice.
                    failed[target.name] = (
                        f"delivered, but not recorded as sent ({type(error).__name__}: {error}); "
                        "the retry sends it to this target again"
                    )
                    if isinstance(error, StoreUnavailableError):
                        metrics.add_metric(
                            name="AlertLedgerUnavailable", unit=MetricUnit.Count, value=1
                        )
                        logger.error(
                            "alert delivered but its sent mark was not recorded",
                            extra={"target": target.name, "message_id": notice.message_id},
                        )
                    else:  # not a fault a retry cures: its trace is what the operator needs
                        logger.exception(
                            "alert delivered but recording its sent mark failed unexpectedly",
                            extra={"target": target.name, "message_id": notice.message_id},
                        )
                    continue
                sent.append(target.name)
        finally:
            # Counted even when a target raised something unexpected: what was sent was sent.
            _count_per_target(sent, failed, given_up)
        if failed:
            raise DeliveryIncompleteError(failed, tuple(sent), given_up)
        return tuple(sent)

    def _give_up(self, notice: Notice, target: str, reason: str, marks: NoticeMarks) -> str | None:
        """Record a refusal for good, telling operations if nobody did in this storm window.

        Returns None when the notice is given up for the target, otherwise why it could not be
        (the record then fails and the retry offers the notice to the target again).
        """
        try:
            if marks.claim_operations_notice(target):
                try:
                    self._operations.target_refused(target, reason, notice)
                except Exception:
                    # Free the claim so the retry tells operations after all.
                    marks.release_operations_notice(target)
                    raise
            marks.given_up(target)
        except Exception as error:
            logger.error(
                "alert target refused a notice for good, but that could not be recorded",
                extra={
                    "target": target,
                    "reason": reason,
                    "error": f"{type(error).__name__}: {error}",
                    "message_id": notice.message_id,
                },
            )
            return (
                f"refused for good ({reason}), but operations could not be told or the give-up "
                f"recorded ({type(error).__name__}: {error})"
            )
        logger.warning(
            "alert target refused a notice for good; it is given up for that target",
            extra={"target": target, "reason": reason, "message_id": notice.message_id},
        )
        metrics.add_metric(name="AlertTargetsGivenUp", unit=MetricUnit.Count, value=1)
        return None
