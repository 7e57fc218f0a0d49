"""Shared layer of imiconnect-receipts: vendor models, code tables, status lifecycle, storage."""
