"""Return codes of the IMIconnect platform, resolved per channel and delivery status."""

from receipts.codes.classification import Classification
from receipts.codes.lookup import CodeInfo, classify, resolve_code

__all__ = ["Classification", "CodeInfo", "classify", "resolve_code"]
