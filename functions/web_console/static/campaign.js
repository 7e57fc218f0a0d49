// A campaign's report: its figures, three charts and one line per channel.

import { barChart } from "./charts.js";
import { byId, figures, html, table } from "./dom.js";
import { bucketLabel, percent, seconds, toneOfClassification, toneOfStatus } from "./format.js";

const percentiles = (duration) =>
  `p50 ${seconds(duration.p50)} · p90 ${seconds(duration.p90)} · p99 ${seconds(duration.p99)}` +
  ` (${duration.measured} measured)`;

export function statusRows(statuses) {
  return Object.entries(statuses)
    .sort(([one, first], [other, second]) => second - first || one.localeCompare(other))
    .map(([status, count]) => ({ key: status, label: status, value: count, tone: toneOfStatus(status) }));
}

// The route sends the non-empty buckets only: one labelled bar each, so that no gap
// between two bounds is drawn as if the buckets were neighbours.
function bucketRows(duration) {
  return duration.buckets.map((bucket) => ({
    key: bucket.up_to_seconds === null ? "more" : String(bucket.up_to_seconds),
    label: bucketLabel(bucket.up_to_seconds),
    value: bucket.count,
    tone: "good",
  }));
}

function failureRows(failures) {
  return failures.map((failure) => ({
    key: `${failure.channel}:${failure.status}:${failure.code ?? "none"}`,
    label: `${failure.code ?? "no code"} ${failure.meaning} (${failure.channel}, ${failure.status})`,
    value: failure.count,
    tone: toneOfClassification(failure.classification),
  }));
}

export function showCampaign(report) {
  byId("campaign-title").textContent = `Campaign ${report.correlationid}`;
  figures(byId("campaign-figures"), [
    ["Transactions", String(report.transactions), "transactions"],
    ["Delivered", `${report.delivered} (${percent(report.delivered_rate)})`, "delivered"],
    ["Read", `${report.read} (${percent(report.read_rate)})`, "read"],
    ["Still open", String(report.still_open), "still_open"],
    ["Reconciled", String(report.reconciled), "reconciled"],
    ["Closed at the horizon", String(report.closed_at_horizon), "closed_at_horizon"],
  ]);
  barChart(byId("status-chart"), statusRows(report.statuses), {
    name: "statuses",
    label: "Transactions by current status",
  });
  const deliver = byId("deliver-chart");
  barChart(deliver, bucketRows(report.time_to_deliver), {
    name: "time-to-deliver",
    label: "Transactions by time to deliver",
    labelWidth: 110,
  });
  deliver.append(
    html("p", { class: "percentiles", "data-percentiles": "time-to-deliver" }, percentiles(report.time_to_deliver)),
  );
  barChart(byId("failure-chart"), failureRows(report.failures), {
    name: "failures",
    label: "Failed transactions by code",
    labelWidth: 470,
    width: 900,
  });
  const channels = Object.entries(report.channels).sort(([one], [other]) => one.localeCompare(other));
  table(
    byId("campaign-channels"),
    ["Channel", "Transactions", "Delivered", "Read", "Still open", "Reconciled", "Time to deliver"],
    channels.map(([channel, figures]) => [
      channel,
      String(figures.transactions),
      `${figures.delivered} (${percent(figures.delivered_rate)})`,
      `${figures.read} (${percent(figures.read_rate)})`,
      String(figures.still_open),
      String(figures.reconciled),
      `p50 ${seconds(figures.time_to_deliver.p50)} · p90 ${seconds(figures.time_to_deliver.p90)}`,
    ]),
  );
}
