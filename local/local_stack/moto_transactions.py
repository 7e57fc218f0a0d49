"""Make moto's ``TransactWriteItems`` cost one table copy per call, not one per item.

moto keeps a deep copy of a table to roll a cancelled transaction back, but takes it once
for every item of the transaction: a write of 80 tallies and 10 counter items copied the
whole table (every item and every stream record) 90 times. All those copies are taken before the
first item is written, so they are equal: this hands the first one back for the rest of
the same call. The behaviour is unchanged (the same snapshot, the same rollback); only the
time is. Installed by the local stack and the tests, which both run the stream consumer's
transactions on moto.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from functools import wraps
from typing import Any

_PATCHED = "_receipts_one_copy_per_transaction"


class _OneCopyPerCall:
    """Stands in for the ``copy`` module inside moto's DynamoDB models."""

    def __init__(self) -> None:
        self._local = threading.local()

    def begin(self) -> None:
        self._local.copies = {}

    def end(self) -> None:
        self._local.copies = None

    def deepcopy(self, value: Any, memo: dict[int, Any] | None = None) -> Any:
        copies: dict[int, Any] | None = getattr(self._local, "copies", None)
        if copies is None:
            return copy.deepcopy(value, memo)
        if id(value) not in copies:
            copies[id(value)] = copy.deepcopy(value, memo)
        return copies[id(value)]

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


def install() -> None:
    """Patch moto once per process (idempotent)."""
    from moto.dynamodb import models

    backend = models.DynamoDBBackend
    if getattr(backend.transact_write_items, _PATCHED, False):
        return
    shim = _OneCopyPerCall()
    models.copy = shim  # type: ignore[attr-defined,assignment]
    original: Callable[..., None] = backend.transact_write_items

    @wraps(original)
    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        shim.begin()
        try:
            original(self, transact_items)
        finally:
            shim.end()

    setattr(transact_write_items, _PATCHED, True)
    backend.transact_write_items = transact_write_items  # type: ignore[method-assign]
