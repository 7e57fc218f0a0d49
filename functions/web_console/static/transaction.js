// One transaction: its current status and the timeline of everything stored about it.

import { byId, figures, html, table } from "./dom.js";
import { instant } from "./format.js";
import { drawTimeline } from "./timeline.js";

function campaignLink(correlationid) {
  if (!correlationid) return "–";
  const hash = new URLSearchParams({ campaign: correlationid });
  return html("a", { href: `#${hash}` }, correlationid);
}

export function showTransaction(view) {
  byId("transaction-title").textContent = `Transaction ${view.transactionid}`;
  const meaning = view.code ? `${view.code.code} ${view.code.message}` : "–";
  figures(byId("transaction-figures"), [
    ["Status", `${view.status}${view.final ? " (final)" : ""}`, "status"],
    ["Meaning", meaning, "meaning"],
    ["Channel", view.channel, "channel"],
    ["Destination", view.destination ?? "–", "destination"],
    ["Campaign", campaignLink(view.correlationid), "correlationid"],
    ["Answered from", `${view.source}${view.stale ? " (stale)" : ""}, as of ${instant(view.as_of)}`, "source"],
  ]);
  drawTimeline(byId("timeline-chart"), view.timeline);
  table(
    byId("timeline-events"),
    ["Occurred", "Status", "As sent", "Code", "Meaning", "Origin", "Received"],
    view.timeline.map((entry) => [
      instant(entry.occurred_at),
      entry.status,
      entry.raw_status,
      entry.code === null ? "–" : String(entry.code),
      entry.description,
      entry.origin,
      instant(entry.received_at),
    ]),
  );
}
