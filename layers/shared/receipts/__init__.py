"""Shared layer of imiconnect-receipts: vendor models, code tables, status lifecycle, storage,
and the vendor's status API client (``receipts.vendor``)."""
