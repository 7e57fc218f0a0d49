"""The suppression list as the API shows it: one destination, a hundred at once, a channel's
page, and an operator's lift.

The registers are kept by the table stream's consumer (``receipts.suppressions``); the only
write here is an operator's lift, which a later failure can overturn like any other verdict.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Protocol

from lookup.errors import InvalidSearchError, SuppressionNotFoundError
from lookup.suppression_schemas import (
    LiftAnswer,
    SuppressionCheckAnswer,
    SuppressionCheckRequest,
    SuppressionListPage,
    SuppressionView,
)
from receipts.channels import Channel
from receipts.codes import resolve_code
from receipts.deadline import Deadline
from receipts.destinations import normalise_destination
from receipts.storage import StoreUnavailableError
from receipts.storage.suppressions import Lifted, ListPage, Suppression
from receipts.suppressions.verdicts import DECIDED_BY_OPERATOR

Clock = Callable[[], datetime]


class SuppressionRegisters(Protocol):
    """The API's side of ``receipts.storage.suppressions.SuppressionStore``."""

    def get(self, channel: Channel, destination: str) -> Suppression | None: ...

    def get_many(self, channel: Channel, destinations: Iterable[str]) -> dict[str, Suppression]: ...

    def lift(self, channel: Channel, destination: str, now: datetime) -> Lifted | None: ...

    def list_suppressed(
        self,
        channel: Channel,
        limit: int,
        cursor: str | None,
        *,
        out_of_time: Callable[[], bool] = ...,
    ) -> ListPage: ...


def suppression_view(
    channel: Channel, destination: str, register: Suppression | None
) -> SuppressionView:
    normalised = normalise_destination(destination)
    if register is None:
        return SuppressionView(
            channel=channel,
            destination=destination,
            normalised=normalised,
            suppressed=False,
            reason=None,
            code=None,
            meaning=None,
            status=None,
            transactionid=None,
            since=None,
            lifted_at=None,
            lifted_by=None,
            updated_at=None,
        )
    verdict = register.verdict
    meaning = (
        resolve_code(verdict.code, channel, verdict.status).message
        if verdict.code is not None
        else None
    )
    return SuppressionView(
        channel=channel,
        destination=destination,
        normalised=normalised,
        suppressed=verdict.suppressed,
        reason=verdict.reason,
        code=verdict.code,
        meaning=meaning,
        status=verdict.status,
        transactionid=verdict.transid or None,
        since=verdict.at if verdict.suppressed else None,
        lifted_at=None if verdict.suppressed else verdict.at,
        lifted_by=None
        if verdict.suppressed
        else ("operator" if verdict.decided_by == DECIDED_BY_OPERATOR else "delivery"),
        updated_at=register.updated_at,
    )


def _normalised_or_refused(destination: str) -> str:
    normalised = normalise_destination(destination)
    if not normalised:
        raise InvalidSearchError("A destination must hold more than spaces.")
    try:
        normalised.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidSearchError("A destination must be text (UTF-8).") from None
    return normalised


class SuppressionService:
    def __init__(
        self, registers: SuppressionRegisters, *, clock: Clock, table_call_seconds: float = 0.0
    ) -> None:
        self._registers = registers
        self._clock = clock
        self._table_call_seconds = table_call_seconds

    def _check_time(self, deadline: Deadline, calls: int = 1) -> None:
        if not deadline.allows(self._table_call_seconds * calls):
            raise StoreUnavailableError("no time left for the table calls before the deadline")

    def one(self, channel: Channel, destination: str, deadline: Deadline) -> SuppressionView:
        _normalised_or_refused(destination)
        self._check_time(deadline)
        return suppression_view(channel, destination, self._registers.get(channel, destination))

    def check(self, request: SuppressionCheckRequest, deadline: Deadline) -> SuppressionCheckAnswer:
        # The body's model refused blank destinations and text no table holds already.
        self._check_time(deadline)
        found = self._registers.get_many(request.channel, request.destinations)
        results = [
            suppression_view(
                request.channel, destination, found.get(normalise_destination(destination))
            )
            for destination in request.destinations
        ]
        return SuppressionCheckAnswer(
            channel=request.channel,
            results=results,
            suppressed=sum(1 for result in results if result.suppressed),
        )

    def lift(self, channel: Channel, destination: str, deadline: Deadline) -> LiftAnswer:
        _normalised_or_refused(destination)
        # A read and a put, and as much again when a newer event came in between.
        self._check_time(deadline, calls=4)
        lifted = self._registers.lift(channel, destination, self._clock())
        if lifted is None:
            raise SuppressionNotFoundError(
                f"{channel.value} destination {normalise_destination(destination)!r} is not"
                " suppressed: nothing to lift."
            )
        return LiftAnswer(
            lifted=suppression_view(channel, destination, lifted.before),
            suppression=suppression_view(channel, destination, lifted.after),
        )

    def page(
        self, channel: Channel, limit: int, cursor: str | None, deadline: Deadline
    ) -> SuppressionListPage:
        # A query and a batch read at least; more shards while time allows.
        self._check_time(deadline, calls=2)
        page = self._registers.list_suppressed(
            channel,
            limit,
            cursor,
            out_of_time=lambda: not deadline.allows(self._table_call_seconds * 2),
        )
        return SuppressionListPage(
            channel=channel,
            items=[
                suppression_view(channel, register.verdict.destination, register)
                for register in page.suppressions
            ],
            next=page.next_cursor,
            limit=limit,
        )
