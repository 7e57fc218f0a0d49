"""The vendor's transaction status API: one client for every function that asks it.

``status_client`` makes the calls (bounded retries, one time budget), ``errors`` says what
went wrong, ``service_key`` reads the key every call presents.
"""

from receipts.vendor.errors import (
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
from receipts.vendor.service_key import SecretsLoader, service_key_loader
from receipts.vendor.status_client import (
    DEFAULT_USER_AGENT,
    VendorStatusClient,
    build_pool,
    status_url_segment,
)

__all__ = [
    "DEFAULT_USER_AGENT",
    "NO_RESULTS_CODE",
    "OTHER_SERVICE_CODE",
    "RATE_LIMIT_CODE",
    "NotAPathSegmentError",
    "SecretsLoader",
    "ServiceKeyUnavailableError",
    "VendorError",
    "VendorFailedError",
    "VendorRejectedError",
    "VendorStatusClient",
    "VendorUnreachableError",
    "build_pool",
    "service_key_loader",
    "status_url_segment",
]
