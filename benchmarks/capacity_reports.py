"""The reports' stream consumer at the capacity model's peak: its writes per partition key,
its transaction conflicts, and the table stream's readers.

Part of ``make capacity`` (``capacity.py`` calls :func:`reports_capacity` with its result).
Assumptions, stated here and in the report:

- Every callback the model stores is one stream record the consumer folds in (the event
  source's filter passes event inserts only); all of one campaign, in one UTC day.
- Stream shards: about one per table partition, and the table has the fewest partitions
  that take the peak's writes (``capacity.py``'s table WCU/s over 1,000). The event source
  (``template.yaml``: ``BatchSize``, ``MaximumBatchingWindowInSeconds``,
  ``ParallelizationFactor``) runs that many shards x the factor batches at once; each fills
  to ``BatchSize`` records or for the window, whichever comes first.
- Conservatively every record of a batch is a different transaction: one tally read and
  put each; ``apply``'s ``MOST_TALLIES_PER_WRITE`` tallies a write. A write updates one
  counter item per channel among its tallies, for the campaign and for the day, all on one
  shard it picks at random (``keys.AGGREGATE_SHARDS``); a counter partition key (``CAMPAIGN.
  {shard}#{id}``, ``DAILY.{shard}#{month}``) holds every channel's item, so its load is the
  sum of theirs. Channel shares from ``report_campaign.CHANNEL_MIX``.
- Units: a transactional write costs twice the units of the item's size; a counter item's
  size is that of one shard of a 1M-message campaign (a 1/16 slice folded through the real
  code and built by ``AggregateStore.commit``), a tally's that of the layer's
  ``tally_item``.
- Conflicts: a write holds its items ``TRANSACTION_HOLD_SECONDS`` (stated); two writes in
  flight at once conflict when they picked the same shard (and touch a counter item both). A
  write meets the others started within its hold either side (Poisson at the writes'
  rate, at most the other batches in flight); the conflict share is 1 - exp(-meetings x
  the chance of a shared item).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from dynamodb_sizes import item_size, write_units
from receipts.aggregates.apply import ATTEMPTS, MOST_TALLIES_PER_WRITE
from receipts.aggregates.tally import CAMPAIGN, fold
from receipts.storage import keys
from receipts.storage.aggregates import tally_item
from receipts.storage.suppressions import SuppressionStore
from receipts.suppressions.verdicts import Verdict
from report_campaign import CHANNEL_MIX, CampaignSpec, campaign_messages, fold_campaign
from report_campaign import stored_counter_items as built_counter_items
from stream_source import READERS_PER_SHARD_LIMIT, StreamSource

CAMPAIGN_MESSAGES = 1_000_000
TRANSACTION_HOLD_SECONDS = 0.025
INSTANT = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


# ---- sizes -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportItemSizes:
    campaign_counters: dict[str, int]  # channel -> bytes of one shard's item
    day_counters: dict[str, int]
    tally: int
    suppression: int = 0  # a register, suppressed (the larger form)
    suppression_list_entry: int = 0  # its entry in the open index (keys only)


def suppression_sizes() -> tuple[int, int]:
    """A suppressed register of a long email address, and its open-index entry."""
    from receipts.channels import Channel
    from receipts.codes.suppression import SuppressionReason
    from receipts.lifecycle import DeliveryStatus

    verdict = Verdict(
        channel=Channel.EMAIL,
        destination="firstname.lastname+campaign-2026@example-mail-provider.com",
        suppressed=True,
        reason=SuppressionReason.PERMANENT_BOUNCE,
        status=DeliveryStatus.BOUNCED,
        code=7520,
        transid="262895e4-2217-4eef-92ca-79fd0250c4a3",
        at=INSTANT,
        decided_by="event",
    )
    item = SuppressionStore(None, "events").item(verdict, INSTANT)
    entry_names = (keys.PARTITION_KEY, keys.SORT_KEY, "open_key", keys.INDEX_SORT_ATTRIBUTE)
    entry = {name: item[name] for name in entry_names}
    return item_size(item), item_size(entry)


def item_sizes(messages: int = CAMPAIGN_MESSAGES) -> ReportItemSizes:
    """One shard's counter items of a ``messages`` campaign, and its largest tally item."""
    one_shard = fold_campaign(CampaignSpec(messages // keys.AGGREGATE_SHARDS), shards=1)
    campaign: dict[str, int] = {}
    day: dict[str, int] = {}
    for item in built_counter_items(one_shard.shards, INSTANT):
        channel = item[keys.SORT_KEY]["S"].rpartition("#")[2]
        is_campaign = item[keys.PARTITION_KEY]["S"].startswith(keys.CAMPAIGN_WORD)
        (campaign if is_campaign else day)[channel] = item_size(item)
    tallies = (fold(events) for _, events in campaign_messages(CampaignSpec(200)))
    tally = max(
        item_size(tally_item("0" * 36, found, 1, 2_000_000_000))
        for found in tallies
        if found is not None
    )
    suppression, entry = suppression_sizes()
    return ReportItemSizes(campaign, day, tally, suppression, entry)


# ---- the model -----------------------------------------------------------------------------


def channels_in_write(share: float, tallies: int = MOST_TALLIES_PER_WRITE) -> float:
    """The chance a write of ``tallies`` tallies holds one of a channel with this share."""
    return 1 - (1 - share) ** tallies


def shared_item_chance(items: float, shards: int) -> float:
    """Two writes touching the same ``items`` counter items, each on a random shard: the
    chance at least one is on the same shard in both."""
    return 1 - (1 - 1 / shards) ** items


def conflict_share(writes_per_second: float, hold: float, others_at_most: float, q: float) -> float:
    meetings = min(writes_per_second * 2 * hold, others_at_most)
    return 1 - math.exp(-meetings * q)


def busiest_of(mean: float, parts: int, within: float = 0.999) -> int:
    """The count the busiest of ``parts`` Poisson(``mean``) parts stays under in ``within``
    of the seconds."""
    term = total = math.exp(-mean)
    count = 0
    while total**parts < within:
        count += 1
        term *= mean / count
        total += term
    return count


@dataclass(frozen=True)
class ReportsCapacity:
    source: StreamSource
    sizes: ReportItemSizes
    events_per_second: float
    table_units_per_second: float  # the model's table writes: the stream's partitions
    shards: int = keys.AGGREGATE_SHARDS
    hold_seconds: float = TRANSACTION_HOLD_SECONDS
    # The busiest destination's events a second (the model's hottest destination key).
    busiest_destination_events: float = 0.0

    @property
    def stream_shards(self) -> int:
        return max(1, math.ceil(self.table_units_per_second / 1000))

    @property
    def batches_in_flight(self) -> int:
        return self.stream_shards * self.source.parallelization

    @property
    def records_per_batch(self) -> float:
        per_reader = self.events_per_second / self.batches_in_flight
        return min(self.source.batch_size, max(1.0, per_reader * self.source.window_seconds))

    @property
    def batches_per_second(self) -> float:
        return self.events_per_second / self.records_per_batch

    @property
    def writes_per_second(self) -> float:
        per_batch = math.ceil(self.records_per_batch / MOST_TALLIES_PER_WRITE)
        return self.batches_per_second * per_batch

    def updates_per_second(self, channel: str) -> float:
        """Updates of one counter item (a channel's), every shard together."""
        share = next(mix.share for mix in CHANNEL_MIX if mix.channel.value == channel)
        return self.writes_per_second * channels_in_write(share)

    @property
    def counter_items_per_write(self) -> float:
        """Campaign and day items: one of each per channel the write holds."""
        return 2 * sum(channels_in_write(mix.share) for mix in CHANNEL_MIX)

    def key_units_per_second(self, kind: str) -> float:
        """Mean units a second on one shard's partition key of the campaign (or the day)."""
        sizes = self.sizes.campaign_counters if kind == CAMPAIGN else self.sizes.day_counters
        return sum(
            self.updates_per_second(channel) / self.shards * 2 * write_units(size)
            for channel, size in sizes.items()
        )

    def busiest_key_units(self, kind: str) -> float:
        """The busiest shard's units in 99.9% of seconds (each update its mean units)."""
        mean_units = self.key_units_per_second(kind)
        updates = mean_units / 2 / self._mean_write_units(kind)
        busiest = busiest_of(updates, self.shards)
        return busiest * 2 * self._mean_write_units(kind)

    def _mean_write_units(self, kind: str) -> float:
        sizes = self.sizes.campaign_counters if kind == CAMPAIGN else self.sizes.day_counters
        weights = {channel: self.updates_per_second(channel) for channel in sizes}
        total = sum(weights.values())
        return sum(weights[c] * write_units(size) for c, size in sizes.items()) / total

    @property
    def tally_units_per_key(self) -> float:
        """A transaction's tally: one put per batch holding its events, about one a second
        at most (its callbacks come seconds apart)."""
        return 2.0 * write_units(self.sizes.tally)

    @property
    def consumer_units_per_second(self) -> float:
        tallies = self.events_per_second * 2 * write_units(self.sizes.tally)
        counters = sum(self.key_units_per_second(kind) * self.shards for kind in (CAMPAIGN, "day"))
        return tallies + counters

    @property
    def suppression_units_per_second(self) -> float:
        """Every event a register put: the suppression step's writes in all."""
        return self.events_per_second * write_units(self.sizes.suppression)

    @property
    def register_units_per_key(self) -> float:
        return self.busiest_destination_events * write_units(self.sizes.suppression)

    def list_key_units(self) -> tuple[float, float]:
        """(mean, busiest in 99.9% of seconds) units on one shard's list key, when every
        event suppresses a new destination of one channel."""
        per_shard = self.events_per_second / keys.WRITE_SHARDS
        units = write_units(self.sizes.suppression_list_entry)
        return per_shard * units, busiest_of(per_shard, keys.WRITE_SHARDS) * units

    @property
    def tally_read_units_per_second(self) -> float:
        return self.events_per_second * 1.0  # consistent, under 4 KB

    def conflict_share(self, q: float | None = None) -> float:
        chance = q if q is not None else self.shared_shard_chance
        others = 2 * (self.batches_in_flight - 1)
        return conflict_share(self.writes_per_second, self.hold_seconds, others, chance)

    @property
    def shared_shard_chance(self) -> float:
        """Two writes in flight on the same shard (each picks one for all its items)."""
        return 1 / self.shards

    @property
    def shard_per_item_chance(self) -> float:
        """The alternative not taken: a shard picked per counter item."""
        return shared_item_chance(self.counter_items_per_write, self.shards)


def reports_capacity(result: Any, template: Mapping[str, Any]) -> ReportsCapacity:
    from capacity import BASE_TABLE

    seconds = max(1, result.traffic.seconds)
    # A destination index entry is one unit: its peak units are its events in that second.
    _, destination_events = result.writes[keys.DESTINATION_INDEX].hottest()
    return ReportsCapacity(
        source=StreamSource.from_template(template),
        sizes=item_sizes(),
        events_per_second=result.callbacks / seconds,
        table_units_per_second=result.writes[BASE_TABLE].mean_total,
        busiest_destination_events=destination_events,
    )


# ---- report ----------------------------------------------------------------------------------


def _percent(share: float) -> str:
    return f"{share * 100:.1f}%"


def hottest_report_key(model: ReportsCapacity) -> tuple[str, float]:
    """(kind, busiest units a second) of the hottest counter partition key."""
    return max(
        ("campaign counters", model.busiest_key_units(CAMPAIGN)),
        ("day counters", model.busiest_key_units("day")),
        key=lambda found: found[1],
    )


def report_lines(model: ReportsCapacity, write_limit: float) -> tuple[list[str], list[str]]:
    """The report's table rows and its notes."""
    source, sizes = model.source, model.sizes
    conflicts = model.conflict_share()
    alternative = model.conflict_share(model.shard_per_item_chance)
    readers = len(source.readers)
    lines = [
        "",
        "| Reports' stream consumer at the peak | Model | Limit | Share |",
        "| --- | --- | --- | --- |",
    ]
    for kind, label, pattern in (
        (CAMPAIGN, "campaign counters", "CAMPAIGN.{shard}#{id}"),
        ("day", "day counters", "DAILY.{shard}#{month}"),
    ):
        mean, busiest = model.key_units_per_second(kind), model.busiest_key_units(kind)
        lines.append(
            f"| Writes, one shard's {label} key (`{pattern}`, every channel's item; mean, "
            f"busiest of {model.shards} in 99.9% of seconds) | {mean:,.0f} / {busiest:,.0f} "
            f"WCU/s | {write_limit:,.0f} WCU/s | {_percent(busiest / write_limit)} |"
        )
    lines += [
        f"| Writes, one transaction's tally (`TALLY#{{transid}}`) | "
        f"{model.tally_units_per_key:,.0f} WCU/s | {write_limit:,.0f} WCU/s | "
        f"{_percent(model.tally_units_per_key / write_limit)} |",
        f"| Writes, the consumer in all (tallies + counters, transactional) | "
        f"{model.consumer_units_per_second:,.0f} WCU/s | no table limit (on demand) | |",
        f"| Transaction conflicts (writes picking a shard another write in flight holds) | "
        f"{_percent(conflicts)} of {model.writes_per_second:,.0f} writes/s: "
        f"{conflicts * model.writes_per_second:,.0f}/s | re-read and retried, up to {ATTEMPTS} "
        f"attempts; all {ATTEMPTS} lost (the stream then delivers the batch again): "
        f"{conflicts**ATTEMPTS:.1e} | |",
        f"| Writes, one destination's suppression register (`SUPPRESSION#{{channel}}#"
        f"{{destination}}`, the busiest destination) | {model.register_units_per_key:,.0f} "
        f"WCU/s | {write_limit:,.0f} WCU/s | "
        f"{_percent(model.register_units_per_key / write_limit)} |",
        f"| Writes, one shard's suppression list key (`SUPPRESSED.{{shard}}#{{channel}}`, "
        f"every event a new suppression; mean, busiest of {keys.WRITE_SHARDS}) | "
        f"{model.list_key_units()[0]:,.0f} / {model.list_key_units()[1]:,.0f} WCU/s | "
        f"{write_limit:,.0f} WCU/s | {_percent(model.list_key_units()[1] / write_limit)} |",
        f"| Writes, the suppression step in all (a register put per decisive event) | "
        f"{model.suppression_units_per_second:,.0f} WCU/s | no table limit (on demand) | |",
        f"| Table stream readers per shard | {readers} ({', '.join(source.readers)}) | "
        f"{READERS_PER_SHARD_LIMIT} (DynamoDB Streams) | {_percent(readers / 2)} |",
    ]
    updates = ", ".join(
        f"{mix.channel.value} {model.updates_per_second(mix.channel.value):,.0f}"
        for mix in CHANNEL_MIX
    )
    size_text = ", ".join(
        f"{channel} {size:,}/{sizes.day_counters.get(channel, 0):,}"
        for channel, size in sizes.campaign_counters.items()
    )
    notes = [
        f"Reports' consumer: {model.events_per_second:,.0f} stored events/s at the peak, all of "
        f"one campaign; ~{model.stream_shards} stream shards (one per 1,000 WCU/s of the "
        f"table's {model.table_units_per_second:,.0f} WCU/s: an assumption, shards follow the "
        f"table's partitions) x ParallelizationFactor {source.parallelization} = "
        f"{model.batches_in_flight} batches in flight, each "
        f"{model.records_per_batch:,.0f} records (BatchSize {source.batch_size}, window "
        f"{source.window_seconds:g} s): {model.batches_per_second:,.1f} batches/s, "
        f"{model.writes_per_second:,.0f} writes/s of up to {MOST_TALLIES_PER_WRITE} tallies "
        f"(every record its own transaction: conservative) with "
        f"{model.counter_items_per_write:.1f} counter items each. Updates a second of each "
        f"channel's counter item, all {model.shards} shards together: {updates}. Item bytes "
        f"(one shard of a {CAMPAIGN_MESSAGES:,}-message campaign, campaign/day): {size_text}; "
        f"a tally {sizes.tally} bytes; each update 2x its units (transactional). Tally reads: "
        f"{model.tally_read_units_per_second:,.0f} RCU/s, consistent.",
        f"Conflicts: each write holds its items {model.hold_seconds * 1000:.0f} ms (stated) "
        f"and meets the writes started within that either side; each write picks one shard "
        f"for all its counter items, so two share one with chance "
        f"{model.shared_shard_chance:.3f}, and {_percent(conflicts)} of writes are cancelled "
        f"and retried (a shard picked per counter item, {model.counter_items_per_write:.1f} "
        f"items a write, would share one with chance {model.shard_per_item_chance:.2f}: "
        f"{_percent(alternative)} of writes).",
        f"Suppressions: a register is {sizes.suppression} bytes, its list entry "
        f"{sizes.suppression_list_entry} bytes; every event is taken as decisive (a register "
        "put each, at most one per destination and batch); the busiest register is the model's "
        f"busiest destination ({model.busiest_destination_events:,.0f} events in its busiest "
        "second).",
        f"Stream readers: DynamoDB Streams serves at most {READERS_PER_SHARD_LIMIT} readers a "
        f"shard; the template has {readers}: any further job on the stream must join the "
        "stream consumer as a step over the same batch.",
    ]
    return lines, notes
