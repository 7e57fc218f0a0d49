// Delivery rate per channel, day by day over the chosen range.

import { lineChart } from "./charts.js";
import { byId, table } from "./dom.js";
import { percent } from "./format.js";

// Every day of the range, so that a day without traffic shows as a gap.
export function daysBetween(first, last) {
  const days = [];
  for (let day = new Date(`${first}T00:00:00Z`); day <= new Date(`${last}T00:00:00Z`); ) {
    days.push(day.toISOString().slice(0, 10));
    day = new Date(day.getTime() + 86400000);
  }
  return days;
}

export function showDaily(report) {
  const channel = report.channel ? `, ${report.channel}` : "";
  byId("daily-title").textContent = `Daily report ${report.from} to ${report.to}${channel}`;
  const byChannel = new Map();
  for (const day of report.days) {
    if (!byChannel.has(day.channel)) byChannel.set(day.channel, new Map());
    byChannel.get(day.channel).set(day.day, {
      rate: day.delivered_rate,
      text: `${percent(day.delivered_rate)} of ${day.transactions}`,
    });
  }
  const series = [...byChannel.keys()].sort().map((name) => ({ name, points: byChannel.get(name) }));
  lineChart(byId("daily-chart"), daysBetween(report.from, report.to), series, {
    name: "daily-delivery-rate",
    label: "Delivery rate per channel by day",
  });
  table(
    byId("daily-table"),
    ["Day", "Channel", "Transactions", "Delivered", "Read", "Still open", "Failures (top code)"],
    report.days.map((day) => [
      day.day,
      day.channel,
      String(day.transactions),
      `${day.delivered} (${percent(day.delivered_rate)})`,
      `${day.read} (${percent(day.read_rate)})`,
      String(day.still_open),
      day.failures.length ? `${day.failures[0].code ?? "no code"} ${day.failures[0].meaning} × ${day.failures[0].count}` : "–",
    ]),
  );
}
