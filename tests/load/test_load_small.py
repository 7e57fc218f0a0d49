"""The load run, small enough for every `make test`: 500 callbacks from 8 senders.

``make load`` runs the same code with 10,000 callbacks and prints the figures.
"""

from __future__ import annotations

import pytest
from benchmarks._stack_process import StackProcess
from benchmarks.load_run import LoadPlan, run_load

pytestmark = pytest.mark.timeout(120)


def test_five_hundred_callbacks_are_each_stored_once_and_every_failure_alerts_once(
    proof_stack: StackProcess,
) -> None:
    plan = LoadPlan(
        callbacks=500,
        senders=8,
        duplicate_share=0.1,
        out_of_order_share=0.3,
        failure_share=0.1,
        seed=11,
    )

    report = run_load(proof_stack.client, plan, timeout=90)

    # The workload really mixes in what the platform does.
    assert report.workload.distinct_callbacks >= 500
    assert report.workload.duplicates > 0
    assert report.workload.failed
    # Nothing lost, nothing twice.
    assert report.results.dropped == []
    assert set(report.results.statuses) == {200}, report.results.statuses
    assert report.missing == []
    assert report.unexpected == []
    assert report.stored_twice == []
    assert report.alert_problems == [], report.alert_problems
    assert report.dead_letters == {
        "AlertsDeadLetterQueue": 0,
        "AlertsPipeDeadLetterQueue": 0,
        "StreamConsumerDeadLetterQueue": 0,
    }
    assert report.ok, report.problems()
    assert report.percentile(0.5) > 0
