"""``make demo``: a small campaign on every channel through the running local stack.

Sends through the simulated platform, looks every message up right away (the platform has
not called back yet, so answers come from upstream), waits for the callbacks (duplicates,
late statuses and a short webhook outage included), looks everything up again (now from
the stored callbacks, or the cache) and reports what happened, alerts included.

Then the webhook stays down past the platform's retries for a few more messages: their
callbacks are dropped, their ids are registered for reconciliation, and reconcile passes
(the console's ``POST /reconcile``) ask the status API for what the callbacks never said.

Last, one email address complains: it goes on the suppression list, and a later message to
it that is delivered lifts it.

It ends with the web console's address opened on its campaign: one correlation id for
every channel and phase. (The dropped phase's messages count in the day's report, not the
campaign's: none of their callbacks was stored, and the status API does not tell a
transaction's correlation id.)
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from local_stack.client import StackClient, wait_until
from local_stack.state import DEFAULT_STATE_FILE, read_state
from simulator.campaign import CHANNELS, destination_value, send_request
from simulator.engine import OUTCOME_HEADER

OUTCOME_BY_STATUS = {
    "delivered": "delivered",
    "answered": "delivered",
    "read": "read",
    "clicked": "read",
    "queued": "in progress",
    "submitted": "in progress",
    "unknown": "in progress",
}


# The dropped-callbacks phase: one message per channel in turn (push left out: a fanned-out push
# is several transactions), each forced to an outcome so the report's counts are exact.
DROPPED_CHANNELS = tuple(channel for channel in CHANNELS if channel != "push")
# A failure per channel whose status the default AlertStatuses alert on.
FAILURE_OUTCOMES = {
    "sms": "failed:7208",
    "voice": "failed:7403",
    "rt": "failed:7304",
    "fb": "failed:7010",
    "twitter": "failed:7010",
    "wechat": "failed:7010",
    "email": "failed:7520",
}
RECONCILE_PASS_INTERVAL = 2.0


def _delta(after: Mapping[str, Any], before: Mapping[str, Any], *path: str) -> int:
    def dig(data: Mapping[str, Any]) -> int:
        value: Any = data
        for key in path:
            value = value.get(key, {}) if isinstance(value, Mapping) else {}
        return int(value) if isinstance(value, int) else 0

    return dig(after) - dig(before)


def _lookup_sources(client: StackClient, transids: list[str]) -> Counter[str]:
    sources: Counter[str] = Counter()
    for transid in transids:
        answer = client.vendor_status(transid)
        source = answer.header("x-answer-source") or f"HTTP {answer.status}"
        sources[f"{source} (stale)" if answer.header("x-cache") == "stale" else source] += 1
    return sources


def _quiet_alerts_pipeline(client: StackClient, timeout: float) -> None:
    """Wait until nothing is left on the alerts queue and no new alert came for a moment."""
    last: list[int] = []

    def settled() -> bool:
        stats = client.stats()
        queue = stats.get("queues", {}).get("AlertsQueue", {})
        last.append(int(stats.get("alerts_received", 0)))
        idle = queue.get("visible", 0) == 0 and queue.get("in_flight", 0) == 0
        return idle and len(last) >= 6 and len(set(last[-6:])) == 1

    try:
        wait_until(settled, timeout=timeout, interval=0.25)
    except TimeoutError:
        print("  (alerts still flowing; the counts below may grow)")


def _sent_summary(sent: Mapping[str, list[str]], deliveries: Mapping[str, list[str]]) -> str:
    """Messages sent and the deliveries they led to; why they differ, when they do."""
    messages = sum(len(transids) for transids in sent.values())
    delivery_count = sum(len(deliveries[transid]) for ids in sent.values() for transid in ids)
    # The simulator fans a push out to several devices only sometimes (suffixed transids).
    push_fanned_out = any(len(deliveries[transid]) > 1 for transid in sent.get("push", []))
    remark = " (push fans out)" if push_fanned_out else ""
    return f"  sent {messages} messages -> {delivery_count} deliveries{remark}"


def _format_sources(sources: Counter[str]) -> str:
    return ", ".join(f"{source} {count}" for source, count in sources.most_common()) or "none"


def _reconciled_status(client: StackClient, transid: str) -> str | None:
    """The final status the status API told the sweep, once stored; None until then."""
    answer = client.transaction(transid)
    view = answer.json() if answer.status == 200 else None
    if not view or not view.get("final"):
        return None
    told = any(entry.get("origin") == "status_api" for entry in view.get("timeline", []))
    return str(view["status"]) if told else None


def _reconcile(
    client: StackClient, transids: list[str], timeout: float
) -> tuple[dict[str, str], int]:
    """Reconcile passes until every transaction is reconciled or ``timeout`` has passed:
    the statuses told, and the passes run. A registered id is first asked a quiet time
    after its registration (15 s on `make run`), so the first passes find nothing due."""
    statuses: dict[str, str] = {}
    passes = 0
    deadline = time.monotonic() + timeout
    while True:
        client.reconcile_now()
        passes += 1
        for transid in transids:
            if transid not in statuses and (status := _reconciled_status(client, transid)):
                statuses[transid] = status
        if len(statuses) == len(transids) or time.monotonic() > deadline:
            return statuses, passes
        time.sleep(RECONCILE_PASS_INTERVAL)


def _alerted(client: StackClient, transids: list[str], timeout: float) -> int:
    """How many of ``transids`` an SNS alert names, waiting for them a bounded time."""

    def named() -> set[str]:
        messages = [alert["message"] for alert in client.alerts() if alert["target"] == "sns"]
        return {transid for transid in transids if any(transid in text for text in messages)}

    try:
        wait_until(lambda: len(named()) == len(transids), timeout=timeout, interval=0.5)
    except TimeoutError:
        print("  (alerts still flowing; the count below may grow)")
    return len(named())


def _dropped_phase(
    client: StackClient, campaign: str, *, messages: int, failures: int, timeout: float
) -> None:
    """Messages of the campaign whose every callback the platform drops, then reconciled."""
    print(
        f"\nCallbacks dropped: the webhook down past the platform's retries for {messages} "
        f"messages ({failures} of them failing)"
    )
    before = client.simulator_stats()
    client.add_fault("POST /callbacks", 503, seconds=timeout)
    try:
        transids: list[str] = []
        for index in range(messages):
            channel = DROPPED_CHANNELS[index % len(DROPPED_CHANNELS)]
            outcome = FAILURE_OUTCOMES[channel] if index < failures else "delivered"
            transids += client.send_transids(
                send_request(channel, first_index=index, correlationid=campaign),
                headers={OUTCOME_HEADER: outcome},
            )
        after = client.wait_settled(timeout=timeout)
    finally:
        client.clear_faults()
    print(
        f"  callbacks dropped {_delta(after, before, 'dropped')} "
        f"(after {_delta(after, before, 'retried')} retries), "
        f"delivered {_delta(after, before, 'callbacks_delivered')}"
    )
    registered = client.watch(transids)
    new = registered.json().get("new", 0) if registered.status == 200 else 0
    print(f"  ids registered for reconciliation (POST /v1/reconcile): {new} new")
    print("  reconcile passes until the status API has told each one...", flush=True)
    started = time.monotonic()
    statuses, passes = _reconcile(client, transids, timeout)
    failed = [t for t, status in statuses.items() if OUTCOME_BY_STATUS.get(status) is None]
    alerted = _alerted(client, failed, timeout) if failed else 0
    print(f"  {passes} passes (POST /reconcile), {time.monotonic() - started:.1f} s")
    print(
        f"  reconciled {len(statuses)} of {len(transids)} transactions whose callbacks were "
        f"dropped ({alerted} failures alerted)"
    )


# The suppression phase's address: beyond the campaign's, so only this phase writes to it.
SUPPRESSION_INDEX = 9000


def _suppression_state(client: StackClient, destination: str) -> dict[str, Any] | None:
    answer = client.suppression("email", destination)
    return answer.json() if answer.status == 200 else None


def _send_and_wait(
    client: StackClient, campaign: str, outcome: str, *, suppressed: bool, timeout: float
) -> tuple[str, dict[str, Any] | None]:
    """Send one email to the phase's address, forced to ``outcome``; its transaction, and
    the address's place on the list once that transaction decided it (None if it never
    did within ``timeout``)."""
    destination = destination_value("email", SUPPRESSION_INDEX)
    (transid,) = client.send_transids(
        send_request("email", first_index=SUPPRESSION_INDEX, correlationid=campaign),
        headers={OUTCOME_HEADER: outcome},
    )

    def decided() -> dict[str, Any] | None:
        state = _suppression_state(client, destination)
        if state and state["suppressed"] is suppressed and state["transactionid"] == transid:
            return state
        return None

    try:
        return transid, wait_until(decided, timeout=timeout, interval=0.5)
    except TimeoutError:
        return transid, None


def _suppression_phase(client: StackClient, campaign: str, timeout: float) -> None:
    destination = destination_value("email", SUPPRESSION_INDEX)
    url = f"{client.state.api_url}/v1/suppressions/email/{quote(destination, safe='')}"
    print(f"\nSuppression list: {destination} complains about a message, then takes another")
    complained, state = _send_and_wait(
        client, campaign, "failed:7521", suppressed=True, timeout=timeout
    )
    if state is None:
        print("  (the complaint has not reached the list yet)")
        return
    print(
        f"  suppressed: {state['reason']} (code {state['code']}, {state['meaning']}), "
        f"transaction {complained}, since {state['since']}"
    )
    # Within one second a failure outranks a delivery (stamps may have whole seconds only):
    # the next message goes out once the complaint's second is over.
    since = datetime.fromisoformat(state["since"].replace("Z", "+00:00"))
    time.sleep(max(0.0, (since - datetime.now(UTC)).total_seconds() + 1.1))
    welcomed, state = _send_and_wait(
        client, campaign, "delivered", suppressed=False, timeout=timeout
    )
    if state is None:
        print("  (the delivery has not reached the list yet)")
        return
    print(f"  lifted by the delivery of transaction {welcomed} at {state['lifted_at']}")
    print(f"  check one: curl -s -H 'x-api-key: ...' {url}")


def console_url(api_url: str, campaign: str) -> str:
    """The web console's page opened on ``campaign`` (the hash never leaves the browser)."""
    return f"{api_url}/console#{urlencode({'campaign': campaign})}"


def run(
    client: StackClient,
    *,
    per_channel: int,
    outage: int,
    timeout: float,
    dropped: int = 0,
    dropped_failures: int = 0,
    suppression: bool = True,
) -> int:
    # One correlation id for every channel and phase: one campaign in the reports.
    campaign = "demo-" + datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    print(f"Campaign {campaign}: {len(CHANNELS)} channels x {per_channel} destinations")
    before = client.stats()
    alerts_before = len(client.alerts())
    if outage:
        client.add_fault("POST /callbacks", 503, count=outage)
        print(f"  the webhook will answer 503 to its next {outage} callbacks (an outage)")

    sent: dict[str, list[str]] = {}
    for channel in CHANNELS:
        sent[channel] = client.send_transids(
            send_request(channel, per_channel, correlationid=campaign, callback_data=campaign)
        )
    transids = [transid for ids in sent.values() for transid in ids]
    deliveries = {
        transid: client.planned(transid).get("deliveries", [transid]) for transid in transids
    }
    print(_sent_summary(sent, deliveries))

    early_sources = _lookup_sources(client, transids)
    print("  waiting for the callbacks...", flush=True)
    started = time.monotonic()
    simulator = client.wait_settled(timeout=timeout)
    _quiet_alerts_pipeline(client, timeout=timeout)
    late_sources = _lookup_sources(client, transids)
    after = client.stats()
    elapsed = time.monotonic() - started

    outcomes: dict[str, Counter[str]] = {channel: Counter() for channel in CHANNELS}
    for channel, ids in sent.items():
        for transid in ids:
            for delivery in deliveries[transid]:
                view = client.transaction(delivery).json() or {}
                status = str(view.get("status", "unknown"))
                outcomes[channel][OUTCOME_BY_STATUS.get(status, "failed")] += 1

    sim_before = before.get("simulator", {})
    sim_after = simulator
    ingest = ("api", "outcomes", "POST /callbacks")
    new_alerts = client.alerts()[alerts_before:] if alerts_before else client.alerts()
    by_target = Counter("SNS" if alert["target"] == "sns" else "chat" for alert in new_alerts)

    print(f"\nCallbacks from the simulated platform (settled in {elapsed:.1f} s)")
    print(
        f"  posted {_delta(sim_after, sim_before, 'callbacks_planned')} "
        f"in {_delta(sim_after, sim_before, 'attempts')} attempts: "
        f"delivered {_delta(sim_after, sim_before, 'callbacks_delivered')}, "
        f"retried {_delta(sim_after, sim_before, 'retried')}, "
        f"dropped {_delta(sim_after, sim_before, 'dropped')}"
    )
    print(
        f"  quirks: {_delta(sim_after, sim_before, 'duplicates_sent')} duplicates, "
        f"{_delta(sim_after, sim_before, 'out_of_order_transactions')} deliveries with a "
        "status posted late, spelling drift and three timestamp formats"
    )
    print("\nWebhook (ingest)")
    print(
        f"  callbacks stored {_delta(after, before, *ingest, 'accepted')}, "
        f"duplicates absorbed {_delta(after, before, *ingest, 'duplicate')}, "
        f"outage answers {_delta(after, before, 'faults_injected')} (retried by the platform)"
    )
    print("\nLookups (GET /resources/v1/messaging/status/{id}), answered from")
    print(f"  right after sending    {_format_sources(early_sources)}")
    print(f"  after the callbacks    {_format_sources(late_sources)}")
    print("\nOutcomes")
    print(f"  {'channel':<9}{'deliveries':>11}{'delivered':>11}{'read':>7}{'failed':>8}{'open':>6}")
    for channel, counts in outcomes.items():
        print(
            f"  {channel:<9}{sum(counts.values()):>11}{counts['delivered']:>11}"
            f"{counts['read']:>7}{counts['failed']:>8}{counts['in progress']:>6}"
        )
    dead_letters = after.get("queues", {}).get("AlertsDeadLetterQueue", {}).get("visible", 0)
    print(
        f"\nAlerts raised: {len(new_alerts)} (SNS {by_target['SNS']}, chat webhooks "
        f"{by_target['chat']}); alert records in the dead-letter queue: {dead_letters}"
    )
    if dropped:
        _dropped_phase(
            client,
            campaign,
            messages=dropped,
            failures=min(dropped_failures, dropped),
            timeout=timeout,
        )
    if suppression:
        _suppression_phase(client, campaign, timeout)
    print(f"\nSee the alerts: curl -s {client.state.console_url}/alerts")
    print(f"See the report: .venv/bin/receipts --local report campaign {campaign}")
    # The console's URL stays the last line: what a reader (and a test) looks for.
    print("See the campaign in the web console (the lookup API key is in `make run`'s banner):")
    print(f"  {console_url(client.state.api_url, campaign)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m local_stack.demo", description="A campaign through the running stack."
    )
    parser.add_argument("--state-file", type=Path, default=DEFAULT_STATE_FILE)
    parser.add_argument("--per-channel", type=int, default=3, help="destinations per channel")
    parser.add_argument(
        "--outage", type=int, default=3, help="webhook answers 503 to this many callbacks first"
    )
    parser.add_argument(
        "--dropped",
        type=int,
        default=8,
        help="then this many messages lose every callback and are reconciled (0 skips it)",
    )
    parser.add_argument("--dropped-failures", type=int, default=3, help="of which this many fail")
    parser.add_argument("--timeout", type=float, default=90.0, help="seconds to wait, at most")
    args = parser.parse_args(argv)
    try:
        state = read_state(args.state_file)
    except FileNotFoundError:
        print(
            f"No local stack is running ({args.state_file} is missing).\n"
            "Start it in another terminal with: make run",
            file=sys.stderr,
        )
        return 1
    return run(
        StackClient(state),
        per_channel=args.per_channel,
        outage=args.outage,
        timeout=args.timeout,
        dropped=args.dropped,
        dropped_failures=args.dropped_failures,
    )


if __name__ == "__main__":
    sys.exit(main())
