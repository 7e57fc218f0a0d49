"""The capacity model's arithmetic, and that its keys come from the layer's key builders."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pytest
from benchmarks import capacity
from benchmarks.capacity import (
    CapacityModel,
    HotKey,
    Traffic,
    concurrency_needed,
    index_shapes,
    item_size,
    key_kind,
    measured_callback_ms,
    read_units,
    summary_line,
    warning_line,
    webhook_throttle,
    write_units,
)

from receipts.storage import keys

# 36,000 callbacks an hour in 3x bursts: 30 callbacks in each simulated second.
SMALL = Traffic(callbacks_per_hour=36_000, burst=3.0, seconds=2, seed=3)
SUMMARY = re.compile(
    r"^capacity: [\d,]+ callbacks/hour, hottest key \d+\.\d% of a partition's write limit "
    r"\([a-z -]+\)$"
)


def test_a_write_unit_is_one_started_kilobyte_of_the_item() -> None:
    # The attribute name counts: "a" (1 byte) + 1,023 bytes of value is exactly 1 KB.
    one_kilobyte = {"a": {"S": "x" * 1023}}
    one_kilobyte_and_a_byte = {"a": {"S": "x" * 1024}}

    assert item_size(one_kilobyte) == 1024
    assert write_units(item_size(one_kilobyte)) == 1
    assert write_units(item_size(one_kilobyte_and_a_byte)) == 2
    assert write_units(item_size({"a": {"S": ""}})) == 1  # any write costs one


def test_a_read_unit_is_one_started_4_kb_and_half_when_eventually_consistent() -> None:
    assert read_units(4096) == 0.5
    assert read_units(4097) == 1.0
    assert read_units(4096, consistent=True) == 1.0


def test_the_peak_rate_is_the_hourly_average_times_the_burst() -> None:
    assert Traffic(callbacks_per_hour=3_600_000, burst=3.0).peak_callbacks_per_second == 3000
    assert Traffic().peak_callbacks_per_second == pytest.approx(8333.33, abs=0.01)


def test_a_key_s_share_is_its_units_over_the_partition_limit() -> None:
    assert HotKey("by-correlation", "CORR#campaign", 250.0).share == 0.25
    assert HotKey("table", "TX#1", 1500.0, limit=3000).share == 0.5


def test_concurrency_is_arrivals_times_billed_seconds() -> None:
    assert concurrency_needed(8000, 7) == pytest.approx(56)
    assert concurrency_needed(1000, 1000) == pytest.approx(1000)


def test_billed_duration_adds_the_stated_dynamodb_round_trip(tmp_path: Path) -> None:
    from benchmarks.run_all import DYNAMODB_ROUND_TRIP_MS

    latest = tmp_path / "latest.md"
    latest.write_text(
        "| Figure | Measured | Baseline | Ratio |\n| --- | --- | --- | --- |\n"
        "| Warm, per new callback (ingest) | 1,041 µs | `json.loads` + `put_item`: 483 µs "
        "| 2.18x |\n",
        encoding="utf-8",
    )

    measured = measured_callback_ms(latest)

    assert measured == pytest.approx(1.041)
    assert capacity.billed_ms(measured) == math.ceil(1.041 + DYNAMODB_ROUND_TRIP_MS)


def test_kinds_come_from_the_key_prefix_whatever_the_write_shard() -> None:
    assert key_kind("CORR#campaign-0000") == "correlation"
    assert key_kind("CORR.7#campaign-0000") == "correlation"
    assert key_kind("OPEN.31#2026-11-02") == "in-progress"
    assert key_kind("QUARANTINE#2026-11-02") == "quarantine"
    assert key_kind("STORM#2026-11-02T12:00:00.000Z") == "alert window"
    assert key_kind("TX#abc") == "transaction"


def test_the_summary_line_has_the_exact_format() -> None:
    line = summary_line(10_000_000, HotKey("by-correlation", "CORR.3#campaign", 353.04))

    assert line == (
        "capacity: 10,000,000 callbacks/hour, hottest key 35.3% of a partition's write "
        "limit (correlation)"
    )


def test_the_throttle_comes_from_the_webhook_parameters_else_the_api_defaults() -> None:
    api = {"HttpApi": {"Properties": {"DefaultRouteSettings": {
        "ThrottlingRateLimit": 1000, "ThrottlingBurstLimit": 500}}}}  # fmt: skip
    with_parameters = {
        "Parameters": {
            "WebhookThrottleRate": {"Default": 10000},
            "WebhookThrottleBurst": {"Default": 5000},
        },
        "Resources": api,
    }

    assert webhook_throttle(with_parameters)[:2] == (10000.0, 5000.0)
    assert "WebhookThrottleRate" in webhook_throttle(with_parameters)[2]
    assert webhook_throttle({"Resources": api})[:2] == (1000.0, 500.0)
    assert "DefaultRouteSettings" in webhook_throttle({"Resources": api})[2]


def test_index_entries_hold_keys_and_the_template_s_projection() -> None:
    shapes = {shape.name: shape for shape in index_shapes(capacity.load_template())}
    item: dict[str, Any] = {
        "pk": {"S": "TX#1"},
        "sk": {"S": "EV#x"},
        "match_sort": {"S": "t#1"},
        "correlation_key": {"S": "CORR#c"},
        "channel": {"S": "sms"},
        "raw": {"B": b"x" * 2000},
    }

    correlation = shapes[keys.CORRELATION_INDEX].entry(item)

    assert correlation is not None and set(correlation) == {
        "pk", "sk", "match_sort", "correlation_key", "channel"
    }  # fmt: skip
    assert shapes[keys.OPEN_INDEX].entry(item) is None  # sparse: no open_key, no entry


def test_a_key_shared_by_every_callback_is_the_hottest_at_the_full_rate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given every callback's correlation key built as one value
    monkeypatch.setattr(keys, "correlation_key", lambda *_args, **_kwargs: "CORR#everyone")

    # When the model runs 30 callbacks a second through the layer's item builder
    result = CapacityModel(SMALL).run()

    # Then that key takes every callback's index entry (1 WCU each), every second
    hottest = result.hottest_write
    assert result.callbacks == 60
    assert (hottest.target, hottest.key) == (keys.CORRELATION_INDEX, "CORR#everyone")
    assert hottest.units_per_second == 30
    assert hottest.share == pytest.approx(0.03)
    assert hottest.kind == "correlation"


def test_the_model_follows_the_layer_s_key_builders(monkeypatch: pytest.MonkeyPatch) -> None:
    before = CapacityModel(SMALL).run().writes[keys.DESTINATION_INDEX].hottest()

    monkeypatch.setattr(keys, "destination_key", lambda _destination: "DEST#one-for-all")
    after = CapacityModel(SMALL).run().writes[keys.DESTINATION_INDEX].hottest()

    assert before[0] != "DEST#one-for-all" and before[1] < 30
    assert after == ("DEST#one-for-all", 30)


def test_every_failure_writes_the_alert_ledger_through_its_key_builders() -> None:
    result = CapacityModel(Traffic(callbacks_per_hour=360_000, seconds=1, seed=5)).run()
    table = result.writes[capacity.BASE_TABLE].peak

    storm = [key for key in table if key.startswith("STORM#")]
    alerts = [key for key in table if key.startswith("ALERT#")]
    assert result.alerts > 0
    assert len(alerts) == result.alerts
    # count_into_digest: one update of the window item per alert in a known storm.
    assert [table[key] for key in storm] == [result.alerts]


def test_a_key_above_half_the_limit_is_warned_about_and_the_run_still_succeeds(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(keys, "open_key", lambda *_args, **_kwargs: "OPEN#every-day")
    output = tmp_path / "capacity.md"

    status = capacity.main(
        ["--callbacks-per-hour", "2000000", "--seconds", "1", "--output", str(output)]
    )

    printed = capsys.readouterr().out.strip().splitlines()
    assert status == 0
    assert printed[-2].startswith("WARNING: ") and "in-progress" in printed[-2]
    assert SUMMARY.match(printed[-1]), printed[-1]
    assert printed[-1].startswith("capacity: 2,000,000 callbacks/hour, hottest key ")
    assert "| open-by-day | `OPEN#every-day` (in-progress)" in output.read_text(encoding="utf-8")


def test_no_warning_when_every_key_is_under_half_the_limit() -> None:
    assert warning_line(CapacityModel(SMALL).run()) is None


# ---- the reconcile sweep at the peak ----------------------------------------------------------


def test_the_sweep_checks_every_transaction_the_open_index_names(tmp_path: Path) -> None:
    from benchmarks.capacity_reconcile import QUIET_SHARE, report_lines, sweep_capacity

    result = CapacityModel(SMALL).run()
    sweep = sweep_capacity(
        result, capacity.load_template(), tmp_path / "absent.md", measure_cpu=False
    )

    assert sweep.checks_per_second_peak == result.open_transactions / SMALL.seconds
    assert sweep.entries_per_second_peak == len(result.open_entry_sizes) / SMALL.seconds
    assert sweep.checks_per_second_average == pytest.approx(sweep.checks_per_second_peak / 3)
    assert sweep.watches_per_second_peak == pytest.approx(
        sweep.checks_per_second_peak * QUIET_SHARE
    )
    assert sweep.discovery_table_units_per_second == pytest.approx(
        sweep.checks_per_second_peak * 0.5  # a transaction's events fit in 4 KB
    )
    rows, notes = report_lines(sweep, 3000, 1000)
    assert any(row.startswith("| Discovery: transactions to check") for row in rows)
    assert any("stated (no reconcile row" in note for note in notes)


def test_discoverys_parts_check_what_their_time_allows_per_interval(tmp_path: Path) -> None:
    from dataclasses import replace

    from benchmarks.capacity_reconcile import sweep_capacity

    result = CapacityModel(SMALL).run()
    sweep = sweep_capacity(
        result, capacity.load_template(), tmp_path / "absent.md", measure_cpu=False
    )
    settings = sweep.settings

    # Discovery has no count bound: its time and the function's share of a vCPU set its
    # pace, and its parts (one per schedule in the template) add up.
    assert settings.discovery_parts == 4
    for cpu_seconds in (0.001, 1.0):
        paced = replace(sweep, check_cpu_seconds=cpu_seconds)
        assert paced.run_checks_per_second == pytest.approx(
            settings.discovery_parts
            * settings.run_seconds
            * settings.vcpu
            / (cpu_seconds * settings.interval_seconds)
        )


def test_the_asks_pace_is_the_setting_unless_the_asks_in_flight_cannot_reach_it(
    tmp_path: Path,
) -> None:
    from dataclasses import replace

    from benchmarks.capacity_reconcile import ASK_SECONDS, sweep_capacity

    result = CapacityModel(SMALL).run()
    sweep = sweep_capacity(
        result, capacity.load_template(), tmp_path / "absent.md", measure_cpu=False
    )
    unbounded = replace(sweep.settings, max_per_run=10**9)
    for in_flight, pace, expected in ((32, 5.0, 5.0), (1, 50.0, 1 / ASK_SECONDS)):
        settings = replace(unbounded, concurrent_asks=in_flight, max_calls_per_second=pace)
        allowed = replace(sweep, settings=settings).calls_allowed_per_second
        assert allowed == pytest.approx(expected * settings.run_seconds / settings.interval_seconds)


def test_discoverys_parts_are_read_from_its_schedules() -> None:
    from copy import deepcopy

    from benchmarks.capacity_reconcile import discovery_parts

    template = capacity.load_template()
    assert discovery_parts(template) == 4
    broken = deepcopy(template)
    del broken["Resources"]["ReconcileDiscoveryFunction"]["Properties"]["Events"]["Part2"]
    with pytest.raises(ValueError, match="not the parts of one whole"):
        discovery_parts(broken)


def test_calls_per_watch_come_from_the_bench_table_when_it_has_them(tmp_path: Path) -> None:
    from benchmarks.capacity_reconcile import CALLS_PER_WATCH, calls_per_watch

    latest = tmp_path / "latest.md"
    latest.write_text(
        "| Figure | Measured | Baseline | Ratio |\n| --- | --- | --- | --- |\n"
        "| Reconcile: vendor calls per transaction, horizon-closed included | 1.37 (2.0% "
        "closed at the horizon) | one call each: 1.00 | 1.37x |\n",
        encoding="utf-8",
    )

    assert calls_per_watch(latest)[0] == 1.37
    assert calls_per_watch(tmp_path / "absent.md")[0] == CALLS_PER_WATCH
