"""What can go wrong with one callback, each with the answer it gets.

Raised by the logic and the adapters; :mod:`ingest.responses` turns them into HTTP answers
in one place. The platform retries 5xx (and 401) but not 400, so a status is chosen by one
question: could the same request succeed if sent again?
"""

from __future__ import annotations


class IngestError(Exception):
    """Base of every expected failure: an HTTP status, a machine code, a message to act on."""

    status_code = 500
    code = "internal_error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class AuthenticationFailedError(IngestError):
    """The request did not prove it comes from the platform.

    ``reason`` (missing, malformed, mismatch) is for the log only: the answer stays generic
    so a caller learns nothing about which check failed.
    """

    status_code = 401
    code = "unauthorized"

    def __init__(self, reason: str, *, field: str, challenge: str | None = None) -> None:
        super().__init__("the callback could not be authenticated", field=field)
        self.reason = reason
        # Sent as WWW-Authenticate, as HTTP asks of a 401 for Basic auth.
        self.challenge = challenge


class CallbackRejectedError(IngestError):
    """A body that is not a storable notification; already kept in the quarantine."""

    def __init__(self, message: str, *, status_code: int, code: str, field: str | None) -> None:
        super().__init__(message, field=field)
        self.status_code = status_code
        self.code = code


class UnstorableCallbackError(Exception):
    """A parsed callback the table refuses as it is (an oversized item or key)."""

    def __init__(self, message: str, *, too_large: bool) -> None:
        super().__init__(message)
        self.message = message
        self.too_large = too_large


class ConfigurationError(IngestError):
    """The deployment is misconfigured; no callback can be accepted until it is fixed."""

    code = "configuration_error"


class SecretMisconfiguredError(ConfigurationError):
    """The callback secret is missing, unreadable or holds no usable credential.

    Answered 503 where other misconfigurations get 500: the secret is fixed in its store,
    without a deployment, and the platform's next retry then goes through.
    """

    status_code = 503


class SecretUnavailableError(IngestError):
    """The callback secret could not be read just now (throttled, network): retry."""

    status_code = 503
    code = "secret_unavailable"


class QuarantineUnavailableError(IngestError):
    """A rejected body could not be kept, so it is refused with a 5xx to be sent again."""

    status_code = 503
    code = "store_unavailable"


class StoreRefusedWriteError(IngestError):
    """The table refused a write for a reason that is not the callback's (permissions...)."""

    code = "storage_error"


class MethodNotAllowedError(IngestError):
    status_code = 405
    code = "method_not_allowed"
