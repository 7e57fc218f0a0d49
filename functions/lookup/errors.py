"""What can go wrong in a lookup, and what each failure means for the caller.

The service raises these; :func:`describe` turns any of them into the problem a caller
sees (HTTP status, machine-readable code, a message to act on). ``http_errors`` is the one
place that turns a description into a response.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from receipts.codes import resolve_code
from receipts.storage import StoreUnavailableError
from receipts.storage.event_store import InvalidCursorError
from receipts.transaction_ids import INVALID_TRANSACTION_ID_MESSAGE
from receipts.vendor import (
    NO_RESULTS_CODE,
    OTHER_SERVICE_CODE,
    RATE_LIMIT_CODE,
    NotAPathSegmentError,
    ServiceKeyUnavailableError,
    VendorError,
    VendorFailedError,
    VendorRejectedError,
    VendorUnreachableError,
)

# Vendor codes whose meaning the caller gets in words of its own (the rest use the table).
SERVICE_KEY_CODES = frozenset({7001, 7002})
# Sent with a 429 when the vendor rate-limits without saying for how long.
DEFAULT_RETRY_AFTER_SECONDS = 5


class LookupRequestError(Exception):
    """Base of the lookup's own failures.

    The vendor's (:class:`receipts.vendor.VendorError`) and an id the status URL refuses
    (:class:`receipts.vendor.NotAPathSegmentError`) come from the shared layer: they are no
    subclasses, so whoever answers every lookup failure catches :data:`REPORTED_ERRORS`.
    """


class UnauthorizedError(LookupRequestError):
    def __init__(self, *, missing: bool) -> None:
        super().__init__("missing API key" if missing else "invalid API key")
        self.missing = missing


class AuthenticationUnavailableError(LookupRequestError):
    """The API keys could not be read, so no request can be authenticated (fail closed)."""


class InvalidSearchError(LookupRequestError):
    """A search request that names no key, or two."""


class InvalidTransactionIdError(LookupRequestError):
    """An id that is no transaction id, or that would change a URL's path (``..``, ``/``)."""


class TransactionNotFoundError(LookupRequestError):
    """Neither the stored callbacks nor the vendor know the transaction."""


class InvalidPathParameterError(LookupRequestError):
    """A path parameter other than a transaction id that is not one path segment."""

    def __init__(self, name: str) -> None:
        super().__init__(f"the path parameter {name} is not one path segment")
        self.name = name


class CampaignNotFoundError(LookupRequestError):
    """No transaction carrying this correlation id is counted in the reports."""


class SuppressionNotFoundError(LookupRequestError):
    """An operator's lift of a destination that is not suppressed."""


class InvalidReportRangeError(LookupRequestError):
    """Report dates that make no range, or one longer than a report covers."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


# Everything :func:`describe` knows, for an ``except`` or an exception handler to catch.
REPORTED_ERRORS: tuple[type[Exception], ...] = (
    LookupRequestError,
    VendorError,
    NotAPathSegmentError,
    StoreUnavailableError,
    InvalidCursorError,
)


@dataclass(frozen=True, slots=True)
class Problem:
    """A failure as the caller sees it."""

    http_status: int
    code: str
    message: str
    vendor_code: str | None = None
    vendor_description: str | None = None
    retry_after_seconds: int | None = None

    @property
    def upstream_is_down(self) -> bool:
        """A failure of the vendor or of the proxy itself rather than an answer about the id.

        Only these may be papered over with a stale cached answer: a 404 or 403 is the
        vendor's word on the transaction and must reach the caller.
        """
        return self.http_status >= 500 or self.http_status == 429


def _vendor_rejection(error: VendorRejectedError) -> Problem:
    number = error.numeric_code
    info = resolve_code(number)
    if number in SERVICE_KEY_CODES:
        problem = Problem(
            502,
            "vendor_rejected_service_key",
            f"The vendor rejected this proxy's service key ({error.vendor_code} {info.message}):"
            " the proxy's service key is wrong or missing. Fix the vendor-service-key secret.",
        )
    elif number == NO_RESULTS_CODE:
        problem = Problem(404, "not_found", "The vendor has no transaction with this id.")
    elif number == OTHER_SERVICE_CODE:
        problem = Problem(
            403,
            "forbidden",
            "The transaction belongs to another service, or this proxy's service key does not"
            " cover it.",
        )
    elif number == RATE_LIMIT_CODE:
        problem = Problem(
            429,
            "rate_limited",
            "The vendor's rate limit was reached; retry after the time in Retry-After.",
            retry_after_seconds=error.retry_after_seconds or DEFAULT_RETRY_AFTER_SECONDS,
        )
    elif not info.known:
        problem = Problem(
            info.http_status or 502,
            "vendor_unknown_code",
            f"The vendor answered with code {error.vendor_code}, which this version does not"
            f" know: {error.description or 'no description'}.",
        )
    else:
        # Codes that report a delivery outcome have no HTTP status: as a lookup answer they
        # make no sense, so the caller gets a gateway error naming them.
        problem = Problem(
            info.http_status or 502,
            "vendor_error",
            f"The vendor answered {error.vendor_code} {info.message}.",
        )
    return replace(problem, vendor_code=error.vendor_code, vendor_description=error.description)


def describe(error: Exception) -> Problem | None:
    """The problem a caller sees for ``error``; None for an error this module does not know."""
    if isinstance(error, UnauthorizedError):
        message = (
            "Send your API key in the x-api-key header (on the vendor's status path, the key"
            " header or the path's key also do)."
            if error.missing
            else "The API key presented is not valid."
        )
        return Problem(401, "unauthorized", message)
    if isinstance(error, AuthenticationUnavailableError):
        return Problem(503, "authentication_unavailable", "API keys cannot be checked right now.")
    if isinstance(error, InvalidTransactionIdError | NotAPathSegmentError):
        return Problem(400, "invalid_transaction_id", INVALID_TRANSACTION_ID_MESSAGE)
    if isinstance(error, InvalidSearchError):
        return Problem(400, "invalid_search", str(error))
    if isinstance(error, InvalidCursorError):
        return Problem(
            400, "invalid_next_token", "The 'next' token is not one this search returned."
        )
    if isinstance(error, InvalidPathParameterError):
        return Problem(
            400,
            "invalid_path_parameter",
            f"The {error.name} must be one path segment: no '/', and not only dots.",
        )
    if isinstance(error, InvalidReportRangeError):
        return Problem(400, error.code, str(error))
    if isinstance(error, TransactionNotFoundError):
        return Problem(404, "not_found", str(error))
    if isinstance(error, CampaignNotFoundError):
        return Problem(404, "campaign_not_found", str(error))
    if isinstance(error, SuppressionNotFoundError):
        return Problem(404, "not_suppressed", str(error))
    if isinstance(error, StoreUnavailableError):
        return Problem(503, "storage_unavailable", "Stored callbacks cannot be read right now.")
    if isinstance(error, VendorRejectedError):
        return _vendor_rejection(error)
    if isinstance(error, VendorUnreachableError):
        return Problem(
            504,
            "vendor_unreachable",
            f"The vendor's status API did not answer in time ({error.attempts} attempts).",
        )
    if isinstance(error, ServiceKeyUnavailableError):
        return Problem(
            502,
            "service_key_unavailable",
            "This proxy's service key for the vendor cannot be read from its secret store.",
        )
    if isinstance(error, VendorFailedError):
        return Problem(502, "vendor_error", f"The vendor's status API failed: {error.detail}.")
    return None
