"""What can go wrong with one alert record; ``alerts.batch`` turns each into a log line."""

from __future__ import annotations

from collections.abc import Mapping


class AlertConfigurationError(RuntimeError):
    """A setting or the webhook secret is unusable; the message says which and why."""


class AlertMessageError(ValueError):
    """A queue message that is neither a stored-event stream record nor a digest marker."""


class TargetError(RuntimeError):
    """One target did not take a message; ``retryable`` is False when retrying cannot help."""

    def __init__(self, target: str, reason: str, *, retryable: bool = True) -> None:
        super().__init__(f"{target}: {reason}")
        self.target = target
        self.reason = reason
        self.retryable = retryable


class TargetRefusedError(TargetError):
    """The target answered that it will never take this notice: the same request would get
    the same answer however often it is retried, so the notice is given up for that target."""

    def __init__(self, target: str, reason: str) -> None:
        super().__init__(target, reason, retryable=False)


class DeliveryIncompleteError(RuntimeError):
    """Some targets did not take the message; SQS retries the record for those alone."""

    def __init__(
        self,
        failed: Mapping[str, str],
        sent: tuple[str, ...],
        given_up: Mapping[str, str] | None = None,
    ) -> None:
        listed = ", ".join(f"{name} ({reason})" for name, reason in sorted(failed.items()))
        super().__init__(f"not delivered to {listed}")
        self.failed = dict(failed)
        self.sent = sent
        self.given_up = dict(given_up or {})
