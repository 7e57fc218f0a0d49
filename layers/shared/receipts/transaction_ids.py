"""What a transaction id may be: the rule of the transaction routes, the reconcile
registration and the operator's CLI alike."""

from __future__ import annotations

import re

# The vendor uses UUIDs with optional ``_digits`` suffixes (one per device of a fan-out);
# the shape is kept generous so that an id format the vendor adds later still passes. One
# character at least is not a dot: "." and ".." are path segments every URL parser resolves
# away, so such an id would reach another path of the vendor's.
TRANSACTION_ID_PATTERN = r"^[A-Za-z0-9_.:-]*[A-Za-z0-9_:-][A-Za-z0-9_.:-]*$"
TRANSACTION_ID_MAX_LENGTH = 128
INVALID_TRANSACTION_ID_MESSAGE = (
    "A transaction id is 1 to 128 characters of letters, digits and _ . : -, and not only dots."
)
# The vendor's batch size: one POST /v1/reconcile names at most this many transactions.
RECONCILE_BATCH_LIMIT = 1000

_TRANSACTION_ID = re.compile(TRANSACTION_ID_PATTERN)


def is_transaction_id(value: str) -> bool:
    """The rule the transaction routes' path parameter follows, for ids that come in a body."""
    return len(value) <= TRANSACTION_ID_MAX_LENGTH and _TRANSACTION_ID.match(value) is not None
