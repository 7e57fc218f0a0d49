from __future__ import annotations

import pytest
from benchmarks.cost_model import CallbackProfile, cost_per_million_callbacks, load_prices

PROFILE = CallbackProfile(
    billed_duration_ms=10,
    memory_mb=512,
    table_write_units=1,
    index_write_units=2,
    log_bytes=700,
    failure_share=0.1,
    platform_log_bytes=300,
)


def test_every_price_the_model_uses_is_in_the_price_file() -> None:
    prices = load_prices()
    lines = cost_per_million_callbacks(PROFILE, prices)
    assert lines["total"] == pytest.approx(sum(v for k, v in lines.items() if k != "total"))


def test_lines_follow_the_inputs() -> None:
    prices = load_prices()
    lines = cost_per_million_callbacks(PROFILE, prices)
    # 1M x 3 write units at the on-demand price per million.
    assert lines["DynamoDB writes"] == pytest.approx(
        3 * prices["dynamodb_on_demand"]["per_million_write_request_units"]
    )
    # 1M x 10 ms x 0.5 GB = 5,000 GB-s.
    assert lines["Lambda duration"] == pytest.approx(5000 * prices["lambda_arm64"]["per_gb_second"])
    doubled = cost_per_million_callbacks(CallbackProfile(20, 512, 1, 2, 700, 0.1, 300), prices)
    assert doubled["Lambda duration"] == pytest.approx(2 * lines["Lambda duration"])
    assert lines["HTTP API"] == prices["http_api"]["per_million_requests"]


def test_logs_are_billed_on_the_function_and_the_platform_bytes_ingested() -> None:
    prices = load_prices()
    per_gb = prices["cloudwatch_logs"]["per_gb_ingested"]

    # 1M invocations x (700 + 300) bytes = 1 GB ingested.
    assert cost_per_million_callbacks(PROFILE, prices)["CloudWatch Logs"] == pytest.approx(per_gb)
    # Without Lambda's START/END/REPORT lines only the function's own bytes are billed.
    quiet = CallbackProfile(10, 512, 1, 2, 700, 0.1, platform_log_bytes=0)
    assert cost_per_million_callbacks(quiet, prices)["CloudWatch Logs"] == pytest.approx(
        0.7 * per_gb
    )
