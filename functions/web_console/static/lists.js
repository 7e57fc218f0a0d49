// Lists of transactions (a campaign's, a destination's), each linking to its timeline.

import { html } from "./dom.js";
import { instant, toneOfClassification } from "./format.js";

export function transactionLink(transactionid) {
  const hash = new URLSearchParams({ transaction: transactionid });
  return html("a", { href: `#${hash}`, class: "transaction-link" }, transactionid);
}

function row(item) {
  return html(
    "li",
    { "data-transactionid": item.transactionid },
    transactionLink(item.transactionid),
    html("span", { class: `pill tone-${toneOfClassification(item.classification)}` }, item.status),
    html("span", { class: "muted" }, `${item.channel} · ${item.destination}`),
    html("span", { class: "muted" }, `last event ${instant(item.last_event_at)}`),
  );
}

// The search route pages by stored events, so one transaction can be on two pages: it keeps
// one row, placed where it first appeared, showing what the newest page said.
export function showTransactions(list, items, { replace }) {
  if (replace) list.replaceChildren();
  const shown = new Map(
    [...list.querySelectorAll("li[data-transactionid]")].map((node) => [node.dataset.transactionid, node]),
  );
  for (const item of items) {
    const existing = shown.get(item.transactionid);
    if (existing) existing.replaceWith(row(item));
    else list.append(row(item));
  }
  if (list.children.length === 0) {
    list.append(html("li", { class: "empty" }, "No transaction stored yet."));
  }
}
