// A transaction's events on a time axis: where each one falls, its status and its code.

import { html, resetFigure, svg } from "./dom.js";
import { instant, offset, toneOfClassification } from "./format.js";

const WIDTH = 900;
const HEIGHT = 190;
const LEFT = 90;
const RIGHT = 90;
const AXIS = 120;

export function drawTimeline(figure, entries) {
  resetFigure(figure);
  if (entries.length === 0) {
    figure.append(html("p", { class: "empty" }, "No event stored yet."));
    return;
  }
  const times = entries.map((entry) => Date.parse(entry.occurred_at));
  const first = Math.min(...times);
  const span = Math.max(...times) - first;
  const plotWidth = WIDTH - LEFT - RIGHT;
  const xOf = (time) => (span === 0 ? LEFT + plotWidth / 2 : LEFT + ((time - first) / span) * plotWidth);
  const marks = entries.map((entry, index) => {
    const x = xOf(times[index]).toFixed(1);
    // Labels climb in three rows so that events close in time stay readable.
    const labelY = AXIS - 30 - (index % 3) * 28;
    const code = entry.code === null ? "" : ` ${entry.code}`;
    return svg(
      "g",
      {
        class: `event tone-${toneOfClassification(entry.classification)}`,
        "data-status": entry.status,
        "data-code": entry.code ?? "",
        "data-occurred-at": entry.occurred_at,
        "data-offset-ms": times[index] - first,
      },
      svg("title", {}, `${entry.status}${code}: ${entry.description} (${instant(entry.occurred_at)})`),
      svg("line", { x1: x, x2: x, y1: labelY + 6, y2: AXIS, class: "stem" }),
      svg("circle", { cx: x, cy: AXIS, r: 6 }),
      svg("text", { x, y: labelY, class: "label middle strong" }, `${entry.status}${code}`),
      svg(
        "text",
        { x, y: AXIS + 22 + (index % 2) * 14, class: "label middle" },
        offset(times[index] - first),
      ),
    );
  });
  const axis = svg("line", { x1: LEFT - 20, x2: WIDTH - RIGHT + 20, y1: AXIS, y2: AXIS, class: "axis" });
  const ends = [
    svg("text", { x: LEFT - 20, y: HEIGHT - 8, class: "label" }, instant(new Date(first).toISOString())),
  ];
  if (span > 0) {
    const last = new Date(first + span).toISOString();
    ends.push(svg("text", { x: WIDTH - RIGHT + 20, y: HEIGHT - 8, class: "label end" }, instant(last)));
  }
  figure.append(
    svg(
      "svg",
      {
        viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
        role: "img",
        "aria-label": "The transaction's events on a time axis",
        "data-chart": "timeline",
      },
      axis,
      ends,
      marks,
    ),
  );
}
