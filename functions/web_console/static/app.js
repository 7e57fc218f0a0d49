// The console's controller: the key, the forms and the address's hash, which names what is
// shown (#campaign=…, #transaction=…, #destination=…, #from=…&to=…[&channel=…]) so that
// every view can be linked to, bookmarked and gone back to. The hash never leaves the
// browser, and the key is never in it.

import { ApiError, apiKey, routes } from "./api.js";
import { showCampaign } from "./campaign.js";
import { showDaily } from "./daily.js";
import { byId, html } from "./dom.js";
import { showTransactions } from "./lists.js";
import { showTransaction } from "./transaction.js";

const CHANNELS = ["sms", "voice", "rtm", "push", "facebook", "twitter", "wechat", "email"];
const VIEWS = ["campaign-view", "transaction-view", "destination-view", "daily-view"];
const SIX_DAYS = 6 * 86400000;
// Stored events a page of search results holds (the search route's default).
const PAGE_SIZE = 20;

// Each navigation gets a number; an answer that arrives after a newer navigation is dropped.
let navigation = 0;

function setStatus(state, message = "") {
  const status = byId("status");
  status.dataset.state = state;
  status.textContent = message;
  status.className = state === "error" ? "status error" : "status";
}

function show(viewId) {
  for (const id of VIEWS) byId(id).hidden = id !== viewId;
  document.body.dataset.view = viewId ?? "";
}

function askForKey(message) {
  // Whatever is still loading was asked with the key now gone: it is not drawn.
  navigation++;
  byId("key-panel").hidden = false;
  byId("app").hidden = true;
  byId("forget-key").hidden = true;
  const error = byId("key-error");
  error.hidden = !message;
  error.textContent = message ?? "";
  byId("key-input").focus();
}

function openApp() {
  byId("key-panel").hidden = true;
  byId("app").hidden = false;
  byId("forget-key").hidden = false;
  byId("key-error").hidden = true;
}

function reportError(error, what) {
  if (error instanceof ApiError && error.status === 401) {
    apiKey.forget();
    askForKey("The API refused this key. Enter a lookup API key.");
    return;
  }
  const detail = error instanceof ApiError ? `${error.message} (${error.code})` : error.message;
  setStatus("error", `Could not load ${what}: ${detail}`);
}

// Runs ``work`` (the calls), then the function it returns (the drawing) unless a newer
// navigation started meanwhile. The body's data-navigation counts the views drawn.
async function load(what, viewId, work) {
  const mine = ++navigation;
  setStatus("loading", `Loading ${what}…`);
  try {
    const render = await work();
    if (mine !== navigation) return;
    render();
    show(viewId);
    document.body.dataset.navigation = String(mine);
    setStatus("ready", "");
  } catch (error) {
    if (mine !== navigation) return;
    show(null);
    reportError(error, what);
  }
}

// A list's "more" button: the next page, appended, unless the view changed meanwhile.
function pageOn(button, list, fetchPage, first) {
  const owner = navigation;
  let next = first.next;
  button.hidden = next === null;
  button.disabled = false;
  button.onclick = async () => {
    button.disabled = true;
    try {
      const page = await fetchPage(next);
      if (owner !== navigation) return;
      showTransactions(list, page.items, { replace: false });
      next = page.next;
      button.hidden = next === null;
    } catch (error) {
      if (owner === navigation) reportError(error, "more transactions");
    } finally {
      // A newer view owns the button now: its own "more" state stands.
      if (owner === navigation) button.disabled = false;
    }
  };
}

function pagedSearch(query) {
  return (next) => routes.search({ ...query, limit: PAGE_SIZE, next });
}

function openCampaign(correlationid) {
  return load(`campaign ${correlationid}`, "campaign-view", async () => {
    const fetchPage = pagedSearch({ correlationid });
    // Side by side; the list is shown even when there is no report: none counted yet (404),
    // or an id the report's path cannot name (400: ".", "..", a "/").
    const [report, first] = await Promise.allSettled([
      Promise.resolve().then(() => routes.campaign(correlationid)),
      fetchPage(null),
    ]);
    if (first.status === "rejected") throw first.reason;
    const counted = report.status === "fulfilled";
    const unreported = [400, 404];
    if (!counted && !(report.reason instanceof ApiError && unreported.includes(report.reason.status))) {
      throw report.reason;
    }
    return () => {
      const list = byId("campaign-transactions");
      byId("campaign-report").hidden = !counted;
      byId("campaign-uncounted").hidden = counted;
      if (counted) showCampaign(report.value);
      else byId("campaign-title").textContent = `Campaign ${correlationid}`;
      showTransactions(list, first.value.items, { replace: true });
      pageOn(byId("campaign-more"), list, fetchPage, first.value);
    };
  });
}

function openTransaction(transactionid) {
  return load(`transaction ${transactionid}`, "transaction-view", async () => {
    const view = await routes.transaction(transactionid);
    return () => showTransaction(view);
  });
}

function openDestination(destination) {
  return load(`destination ${destination}`, "destination-view", async () => {
    const fetchPage = pagedSearch({ destination });
    const first = await fetchPage(null);
    return () => {
      const list = byId("destination-transactions");
      byId("destination-title").textContent = `Sent to ${destination}`;
      showTransactions(list, first.items, { replace: true });
      pageOn(byId("destination-more"), list, fetchPage, first);
    };
  });
}

function openDaily(from, to, channel) {
  return load("the daily report", "daily-view", async () => {
    const report = await routes.daily(from, to, channel);
    return () => showDaily(report);
  });
}

function route() {
  if (!apiKey.get()) return askForKey();
  openApp();
  const wanted = new URLSearchParams(window.location.hash.slice(1));
  const kinds = ["campaign", "transaction", "destination"];
  const kind = kinds.find((name) => wanted.get(name));
  if (kind) {
    byId("search-kind").value = kind;
    byId("search-value").value = wanted.get(kind);
  }
  if (wanted.get("campaign")) return openCampaign(wanted.get("campaign"));
  if (wanted.get("transaction")) return openTransaction(wanted.get("transaction"));
  if (wanted.get("destination")) return openDestination(wanted.get("destination"));
  if (wanted.get("from") && wanted.get("to")) {
    byId("daily-from").value = wanted.get("from");
    byId("daily-to").value = wanted.get("to");
    byId("daily-channel").value = wanted.get("channel") ?? "";
    return openDaily(wanted.get("from"), wanted.get("to"), wanted.get("channel"));
  }
  show(null);
  setStatus("ready", "Search for a campaign, a transaction or a destination, or pick days.");
}

// Going to the hash already shown fires no hashchange: load it again instead.
function go(query) {
  const hash = `#${new URLSearchParams(query)}`;
  if (window.location.hash === hash) route();
  else window.location.hash = hash;
}

function start() {
  const channels = byId("daily-channel");
  channels.append(...CHANNELS.map((channel) => html("option", { value: channel }, channel)));
  const today = new Date();
  byId("daily-to").value = today.toISOString().slice(0, 10);
  byId("daily-from").value = new Date(today.getTime() - SIX_DAYS).toISOString().slice(0, 10);

  byId("key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const key = byId("key-input").value.trim();
    byId("key-input").value = "";
    if (!key) return askForKey("Enter a key.");
    apiKey.set(key);
    route();
  });
  byId("forget-key").addEventListener("click", () => {
    apiKey.forget();
    askForKey();
  });
  byId("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const value = byId("search-value").value.trim();
    if (value) go({ [byId("search-kind").value]: value });
  });
  byId("daily-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const query = { from: byId("daily-from").value, to: byId("daily-to").value };
    if (byId("daily-channel").value) query.channel = byId("daily-channel").value;
    go(query);
  });
  window.addEventListener("hashchange", route);
  route();
}

start();
