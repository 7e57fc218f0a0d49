"""DynamoDB access shared by the functions. :mod:`receipts.storage.keys` owns the key design."""

from receipts.storage.event_store import (
    EventStore,
    SearchPage,
    StoredEvent,
    StoreUnavailableError,
)

__all__ = ["EventStore", "SearchPage", "StoreUnavailableError", "StoredEvent"]
