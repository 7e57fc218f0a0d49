"""What can go wrong in a call to the vendor's status API, and the vendor codes callers act on.

Each caller decides what a failure means for it (the lookup answers an HTTP problem, the
reconcile sweep reschedules or stops asking); these only say what happened.
"""

from __future__ import annotations

# The vendor's error codes whose meaning differs between "ask again" and "stop asking".
NO_RESULTS_CODE = 7600
OTHER_SERVICE_CODE = 7601
RATE_LIMIT_CODE = 7302


class NotAPathSegmentError(ValueError):
    """An id that would not be exactly one path segment of the status URL (``.``, ``..``).

    Raised before any call: such an id would make the request another path of the vendor's,
    with the service key attached.
    """


class VendorError(Exception):
    """The vendor's status API did not give a usable answer."""

    def __init__(self, detail: str, *, attempts: int = 1) -> None:
        super().__init__(detail)
        self.detail = detail
        self.attempts = attempts


class VendorUnreachableError(VendorError):
    """Timeouts or connection failures on every attempt, or the time budget ran out."""


class VendorFailedError(VendorError):
    """The vendor answered, but with a server error or something that is not an answer."""

    def __init__(self, detail: str, *, attempts: int = 1, http_status: int | None = None):
        super().__init__(detail, attempts=attempts)
        self.http_status = http_status


class ServiceKeyUnavailableError(VendorError):
    """The caller's own service key could not be read from its secret store."""


class VendorRejectedError(VendorError):
    """The vendor answered with one of its error codes (``{"code", "description"}``)."""

    def __init__(
        self,
        vendor_code: str,
        description: str,
        *,
        attempts: int = 1,
        retry_after_seconds: int | None = None,
    ) -> None:
        super().__init__(f"vendor code {vendor_code}: {description}", attempts=attempts)
        self.vendor_code = vendor_code
        self.description = description
        self.retry_after_seconds = retry_after_seconds

    @property
    def numeric_code(self) -> int | None:
        stripped = self.vendor_code.strip()
        return int(stripped) if stripped.isdigit() else None
