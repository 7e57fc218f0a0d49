"""The web console in a real browser: Debian's headless Chromium against the local stack.

The page is opened where ``make demo`` says (its campaign), the key typed in, and every
number a chart shows is compared with what the report route answers; a transaction's
timeline with what ``/v1/transactions/{id}`` answers. Each test opens the page itself, so
any one of them runs alone. Screenshots are kept as artifacts (``build/test-artifacts``,
or ``$TEST_ARTIFACTS_DIR``).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode
from uuid import uuid4

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select, WebDriverWait
from tests.e2e.demo_run import DemoRun
from tests.e2e.headless_chromium import headless_chromium

from local_stack.client import StackClient, request, wait_until
from local_stack.demo import FAILURE_OUTCOMES
from simulator.campaign import send_request
from simulator.engine import OUTCOME_HEADER

pytestmark = pytest.mark.e2e

REPOSITORY = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS_DIR", REPOSITORY / "build" / "test-artifacts"))
REPORT_TIMEOUT = 90.0
KEY_STORAGE = "imiconnect-receipts.api-key"
# What the page shows where a figure is missing (an en dash).
NO_FIGURE = "\u2013"
# The timeline's axis: from the first event to the last (timeline.js: WIDTH - LEFT - RIGHT).
TIMELINE_WIDTH = 720.0


def _get(stack: StackClient, path: str) -> Any:
    answer = request("GET", f"{stack.state.api_url}{path}", headers=stack.lookup_headers())
    assert answer.status == 200, (path, answer.body)
    return answer.json()


def _search(stack: StackClient, **query: str) -> list[dict[str, Any]]:
    """Every page of a search, as the route answers it."""
    items: list[dict[str, Any]] = []
    query = {**query, "limit": "100"}
    while True:
        page = _get(stack, f"/v1/transactions?{urlencode(query)}")
        items += page["items"]
        if page["next"] is None:
            return items
        query["next"] = page["next"]


@pytest.fixture(scope="module")
def campaign(stack_process: tuple[StackClient, Path], demo_run: DemoRun) -> str:
    """The demo's campaign, with a failure on every channel added (the session's simulator
    fails and reads nothing by itself), once its report counts every one of its
    transactions."""
    assert demo_run.exit_code == 0, demo_run.report
    stack, _ = stack_process
    # And a message read (submitted, delivered, read): a timeline with a middle.
    for channel, outcome in [*FAILURE_OUTCOMES.items(), ("rt", "read")]:
        stack.send_transids(
            send_request(channel, 1, first_index=50, correlationid=demo_run.campaign),
            headers={OUTCOME_HEADER: outcome},
        )
    stack.wait_settled(timeout=60)
    transids = {item["transactionid"] for item in _search(stack, correlationid=demo_run.campaign)}
    statuses = Counter(_get(stack, f"/v1/transactions/{t}")["status"] for t in transids)
    path = f"/v1/reports/campaigns/{quote(demo_run.campaign)}"
    wait_until(
        lambda: (
            (
                request(
                    "GET", f"{stack.state.api_url}{path}", headers=stack.lookup_headers()
                ).json()
                or {}
            ).get("statuses")
            == dict(statuses)
        ),
        timeout=REPORT_TIMEOUT,
        interval=1.0,
    )
    return demo_run.campaign


@pytest.fixture(scope="module")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    with headless_chromium(tmp_path_factory.mktemp("chromium-profile")) as driver:
        yield driver


@pytest.fixture
def browser(chromium: WebDriver) -> Iterator[WebDriver]:
    """The module's browser, its tab's storage and log emptied and its page left for each
    test (opening the URL a tab is on would only move within the page)."""
    yield chromium
    chromium.get_log("browser")
    chromium.execute_script("window.sessionStorage.clear()")
    chromium.get("about:blank")


def _navigation(browser: WebDriver) -> str:
    return str(browser.find_element(By.TAG_NAME, "body").get_attribute("data-navigation") or "")


def _wait_for_view(browser: WebDriver, view: str, after: str) -> None:
    """Until the page has drawn ``view`` for a navigation newer than ``after``."""

    def shown(driver: WebDriver) -> bool:
        status = driver.find_element(By.ID, "status")
        if status.get_attribute("data-state") == "error":
            pytest.fail(f"the console reported an error: {status.text}")
        body = driver.find_element(By.TAG_NAME, "body")
        return (
            status.get_attribute("data-state") == "ready"
            and body.get_attribute("data-view") == view
            and _navigation(driver) not in ("", after)
        )

    WebDriverWait(browser, 30, poll_frequency=0.2).until(shown)


def _open(browser: WebDriver, stack: StackClient, fragment: str, view: str) -> None:
    """The console at ``#fragment``, with the key already given (in the tab's storage)."""
    browser.get(f"{stack.state.api_url}/console")
    browser.execute_script(
        "window.sessionStorage.setItem(arguments[0], arguments[1])",
        KEY_STORAGE,
        stack.state.lookup_api_key,
    )
    browser.get(f"{stack.state.api_url}/console#{fragment}")
    browser.refresh()
    _wait_for_view(browser, view, after="")


def _marks(browser: WebDriver, selector: str) -> list[tuple[str, str, str]]:
    """Each mark's key, value and the figure it shows as text."""
    return [
        (
            str(mark.get_attribute("data-key")),
            str(mark.get_attribute("data-value")),
            mark.find_element(By.CSS_SELECTOR, "text.value").text,
        )
        for mark in browser.find_elements(By.CSS_SELECTOR, selector)
    ]


def _listed(browser: WebDriver, list_id: str) -> list[str]:
    items = browser.find_elements(By.CSS_SELECTOR, f"#{list_id} li[data-transactionid]")
    return [str(item.get_attribute("data-transactionid")) for item in items]


def _severe_messages(browser: WebDriver) -> list[str]:
    return [entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]


def _screenshot(browser: WebDriver, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    assert browser.save_screenshot(str(path))
    assert path.stat().st_size > 10_000
    return path


def test_the_console_page_is_public_holds_no_data_and_is_strict(stack: StackClient) -> None:
    page = request("GET", f"{stack.state.api_url}/console")
    script = request("GET", f"{stack.state.api_url}/console/app.js")

    assert page.status == 200
    assert page.header("content-type") == "text/html; charset=utf-8"
    policy = page.header("content-security-policy") or ""
    assert "script-src 'self'" in policy
    assert "unsafe" not in policy
    assert script.status == 200
    assert script.header("content-type") == "text/javascript; charset=utf-8"
    assert request("GET", f"{stack.state.api_url}/console/handler.py").status == 404


def test_the_demos_campaign_charts_show_what_the_report_route_counts(
    browser: WebDriver, stack: StackClient, demo_run: DemoRun, campaign: str
) -> None:
    browser.get(demo_run.console_url)
    # The script asked for the key (the field has the focus) and shows nothing else.
    WebDriverWait(browser, 10, poll_frequency=0.1).until(
        lambda driver: driver.switch_to.active_element.get_attribute("id") == "key-input"
    )
    assert browser.find_element(By.ID, "key-panel").is_displayed()
    assert not browser.find_element(By.ID, "app").is_displayed()
    browser.find_element(By.ID, "key-input").send_keys(stack.state.lookup_api_key)
    browser.find_element(By.CSS_SELECTOR, "#key-form button").click()
    _wait_for_view(browser, "campaign-view", after="")

    report = _get(stack, f"/v1/reports/campaigns/{quote(campaign)}")
    assert report["failures"], "the campaign has failures to chart"

    statuses = _marks(browser, "[data-chart=statuses] g.bar")
    assert {key: int(value) for key, value, _ in statuses} == report["statuses"]
    assert all(text == value for _, value, text in statuses)

    buckets = [
        (
            "more" if bucket["up_to_seconds"] is None else str(bucket["up_to_seconds"]),
            bucket["count"],
        )
        for bucket in report["time_to_deliver"]["buckets"]
    ]
    durations = _marks(browser, "[data-chart=time-to-deliver] g.bar")
    assert [(key, int(value)) for key, value, _ in durations] == buckets
    assert all(text == value for _, value, text in durations)
    percentiles = browser.find_element(By.CSS_SELECTOR, "[data-percentiles=time-to-deliver]").text
    assert f"({report['time_to_deliver']['measured']} measured)" in percentiles

    failures = _marks(browser, "[data-chart=failures] g.bar")
    assert {key: int(value) for key, value, _ in failures} == {
        f"{f['channel']}:{f['status']}:{'none' if f['code'] is None else f['code']}": f["count"]
        for f in report["failures"]
    }
    labels = browser.find_element(By.CSS_SELECTOR, "[data-chart=failures]").text
    assert report["failures"][0]["meaning"][:20] in labels

    figure = browser.find_element(By.CSS_SELECTOR, "[data-figure=transactions]")
    assert figure.text == str(report["transactions"])
    assert _severe_messages(browser) == []
    _screenshot(browser, "console-campaign.png")


def test_the_campaigns_transactions_page_in_without_repeats(
    browser: WebDriver, stack: StackClient, campaign: str
) -> None:
    _open(browser, stack, urlencode({"campaign": campaign}), "campaign-view")
    more = browser.find_element(By.ID, "campaign-more")
    assert more.is_displayed(), "the campaign's events fill more than one page"

    pages = 1
    while more.is_displayed():
        # The click disables the button until its page is drawn (a second click waits).
        more.click()
        WebDriverWait(browser, 30, poll_frequency=0.2).until(
            lambda _: not more.is_displayed() or more.is_enabled()
        )
        pages += 1
        assert pages < 20

    listed = _listed(browser, "campaign-transactions")
    assert len(listed) == len(set(listed))
    assert set(listed) == {item["transactionid"] for item in _search(stack, correlationid=campaign)}
    assert _severe_messages(browser) == []


def test_a_transactions_timeline_shows_what_the_transaction_route_answers(
    browser: WebDriver, stack: StackClient, campaign: str
) -> None:
    views = [
        _get(stack, f"/v1/transactions/{item['transactionid']}")
        for item in _search(stack, correlationid=campaign)
    ]
    view = max(views, key=lambda candidate: len(candidate["timeline"]))
    assert len(view["timeline"]) >= 3
    _open(browser, stack, urlencode({"campaign": campaign}), "campaign-view")
    more = browser.find_element(By.ID, "campaign-more")
    for _ in range(20):
        if view["transactionid"] in _listed(browser, "campaign-transactions"):
            break
        assert more.is_displayed(), "every page listed, and the transaction is not"
        more.click()
        WebDriverWait(browser, 30, poll_frequency=0.2).until(lambda _: more.is_enabled())
    before = _navigation(browser)
    browser.find_element(
        By.CSS_SELECTOR, f"li[data-transactionid='{view['transactionid']}'] a"
    ).click()
    _wait_for_view(browser, "transaction-view", after=before)

    events = browser.find_elements(By.CSS_SELECTOR, "[data-chart=timeline] g.event")
    shown = [
        (
            e.get_attribute("data-status"),
            e.get_attribute("data-code"),
            e.get_attribute("data-occurred-at"),
        )
        for e in events
    ]
    assert shown == [
        (entry["status"], "" if entry["code"] is None else str(entry["code"]), entry["occurred_at"])
        for entry in view["timeline"]
    ]
    # On a time axis: the first event at its start, the last at its end, each one between
    # in proportion to the time since the first.
    times = [datetime.fromisoformat(entry["occurred_at"]) for entry in view["timeline"]]
    places = [
        float(e.find_element(By.TAG_NAME, "circle").get_attribute("cx") or "") for e in events
    ]
    span = (times[-1] - times[0]).total_seconds()
    assert span > 0
    assert places[-1] - places[0] == pytest.approx(TIMELINE_WIDTH, abs=0.2)
    for time, place in zip(times, places, strict=True):
        share = (time - times[0]).total_seconds() / span
        assert place == pytest.approx(places[0] + share * TIMELINE_WIDTH, abs=0.2)

    rows = browser.find_elements(By.CSS_SELECTOR, "#timeline-events tbody tr")
    cells = [[cell.text for cell in row.find_elements(By.TAG_NAME, "td")] for row in rows]
    assert [(row[1], row[3], row[4]) for row in cells] == [
        (
            entry["status"],
            NO_FIGURE if entry["code"] is None else str(entry["code"]),
            entry["description"],
        )
        for entry in view["timeline"]
    ]
    status = browser.find_element(By.CSS_SELECTOR, "[data-figure=status]").text
    assert status.startswith(view["status"])
    assert _severe_messages(browser) == []
    _screenshot(browser, "console-timeline.png")

    # Back goes back to the campaign.
    before = _navigation(browser)
    browser.back()
    _wait_for_view(browser, "campaign-view", after=before)


def test_a_destination_search_lists_its_transactions(
    browser: WebDriver, stack: StackClient, campaign: str
) -> None:
    _open(browser, stack, urlencode({"campaign": campaign}), "campaign-view")
    destination = _search(stack, correlationid=campaign)[0]["destination"]
    expected = {item["transactionid"] for item in _search(stack, destination=destination)}

    Select(browser.find_element(By.ID, "search-kind")).select_by_value("destination")
    field = browser.find_element(By.ID, "search-value")
    field.clear()
    field.send_keys(destination)
    before = _navigation(browser)
    browser.find_element(By.CSS_SELECTOR, "#search-form button").click()
    _wait_for_view(browser, "destination-view", after=before)

    assert set(_listed(browser, "destination-transactions")) == expected


def test_the_daily_chart_shows_each_channels_delivery_rate(
    browser: WebDriver, stack: StackClient, campaign: str
) -> None:
    _open(browser, stack, urlencode({"campaign": campaign}), "campaign-view")
    first = browser.find_element(By.ID, "daily-from").get_attribute("value")
    last = browser.find_element(By.ID, "daily-to").get_attribute("value")
    path = f"/v1/reports/daily?{urlencode({'from': first, 'to': last})}"
    # The day counts all the stack's traffic (the reconcile schedule's too): still, for now.
    answers: list[Any] = []
    report = wait_until(
        lambda: (
            (answers.append(_get(stack, path)) or (len(answers) > 1 and answers[-1] == answers[-2]))
            and answers[-1]
        ),
        timeout=REPORT_TIMEOUT,
        interval=2.0,
    )
    before = _navigation(browser)
    browser.find_element(By.CSS_SELECTOR, "#daily-form button").click()
    _wait_for_view(browser, "daily-view", after=before)

    expected = {
        (day["channel"], day["day"]): day["delivered_rate"]
        for day in report["days"]
        if day["delivered_rate"] is not None
    }
    assert expected, "the demo's traffic is in today's report"
    points = browser.find_elements(By.CSS_SELECTOR, "[data-chart=daily-delivery-rate] circle")
    shown = {
        (
            point.find_element(By.XPATH, "..").get_attribute("data-series"),
            point.get_attribute("data-key"),
        ): float(point.get_attribute("data-value") or "nan")
        for point in points
    }
    assert shown == pytest.approx(expected)
    assert _severe_messages(browser) == []
    _screenshot(browser, "console-daily.png")


def test_a_campaign_named_with_url_characters_round_trips(
    browser: WebDriver, stack: StackClient
) -> None:
    odd = f"spring sale & #{uuid4().hex[:6]} + 50% ünïcode é?"
    transids = stack.send_transids(
        send_request("sms", 1, correlationid=odd), headers={OUTCOME_HEADER: "delivered"}
    )
    stack.wait_settled(timeout=60)
    path = f"/v1/reports/campaigns/{quote(odd, safe='')}"
    wait_until(
        lambda: (
            request("GET", f"{stack.state.api_url}{path}", headers=stack.lookup_headers()).status
            == 200
        ),
        timeout=REPORT_TIMEOUT,
        interval=1.0,
    )

    _open(browser, stack, urlencode({"campaign": odd}), "campaign-view")

    # Had any character been lost on the way, the routes would know no such campaign.
    assert browser.find_element(By.ID, "campaign-title").text == f"Campaign {odd}"
    assert browser.find_element(By.CSS_SELECTOR, "[data-figure=transactions]").text == "1"
    assert _listed(browser, "campaign-transactions") == transids
    assert browser.find_element(By.ID, "search-value").get_attribute("value") == odd


# One the stream has not counted (404), and one the report's path cannot name (".." would
# resolve away: refused before any request).
@pytest.mark.parametrize("name", [f"never-sent-{uuid4().hex[:8]}", ".."])
def test_a_campaign_without_a_report_says_so_and_lists_its_transactions(
    browser: WebDriver, stack: StackClient, name: str
) -> None:
    _open(browser, stack, urlencode({"campaign": name}), "campaign-view")

    assert browser.find_element(By.ID, "campaign-uncounted").is_displayed()
    assert not browser.find_element(By.ID, "campaign-report").is_displayed()
    assert _listed(browser, "campaign-transactions") == []
    assert "No transaction stored yet" in browser.find_element(By.ID, "campaign-transactions").text


def test_a_refused_key_is_asked_for_again_and_nothing_is_shown(
    browser: WebDriver, demo_run: DemoRun
) -> None:
    browser.get(demo_run.console_url)
    browser.find_element(By.ID, "key-input").send_keys("not-a-key")
    browser.find_element(By.CSS_SELECTOR, "#key-form button").click()

    error = browser.find_element(By.ID, "key-error")
    WebDriverWait(browser, 30, poll_frequency=0.2).until(lambda _: error.is_displayed())
    assert "refused" in error.text
    assert not browser.find_element(By.ID, "app").is_displayed()
    assert browser.execute_script("return window.sessionStorage.length") == 0
