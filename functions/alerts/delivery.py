"""Sending one notice to every target that lacks it, within the invocation's time budget."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from alerts.errors import DeliveryIncompleteError, TargetError
from alerts.model import Notice
from alerts.observability import logger
from alerts.targets import AlertTarget


class Dispatcher:
    """Delivers notices for one batch.

    A target that fails is not called again for the rest of the batch: its later records
    fail fast (SQS retries them) instead of each waiting out the same timeouts.
    """

    def __init__(
        self,
        targets: Sequence[AlertTarget],
        deadline: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._targets = tuple(targets)
        self._deadline = deadline
        self._monotonic = monotonic
        self._down: dict[str, str] = {}

    @property
    def has_targets(self) -> bool:
        return bool(self._targets)

    def missing(self, sent: frozenset[str]) -> list[AlertTarget]:
        """The configured targets that do not have the notice yet."""
        return [target for target in self._targets if target.name not in sent]

    def deliver(
        self,
        notice: Notice,
        targets: Sequence[AlertTarget],
        mark_sent: Callable[[str], None],
    ) -> tuple[str, ...]:
        """Send to each target, marking each success at once; raise if any did not take it."""
        sent: list[str] = []
        failed: dict[str, str] = {}
        for target in targets:
            if target.name in self._down:
                failed[target.name] = f"failed earlier in this batch: {self._down[target.name]}"
                continue
            if self._deadline - self._monotonic() < target.minimum_seconds:
                failed[target.name] = "not enough time left in this invocation"
                continue
            try:
                target.send(notice, self._deadline)
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
            mark_sent(target.name)
            sent.append(target.name)
        if failed:
            raise DeliveryIncompleteError(failed, tuple(sent))
        return tuple(sent)
