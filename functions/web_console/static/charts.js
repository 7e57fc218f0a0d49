// The charts, drawn as SVG by the page: no charting library to ship, pin or trust. Every
// mark carries its figure in data-key and data-value, and shows it as text beside it.

import { html, resetFigure, svg } from "./dom.js";

function nothing(figure) {
  figure.append(html("p", { class: "empty" }, "Nothing to show yet."));
}

function frame(name, width, height, label, children) {
  return svg(
    "svg",
    { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": label, "data-chart": name },
    children,
  );
}

// SVG text does not wrap: a label longer than its column is cut, whole in the tooltip.
const CHARACTER_WIDTH = 7;
function fitted(label, width) {
  const most = Math.floor(width / CHARACTER_WIDTH);
  return label.length <= most ? label : `${label.slice(0, most - 1)}…`;
}

// Horizontal bars, one row each: a label, the bar, its value.
export function barChart(figure, rows, { name, label, labelWidth = 170, width = 560 }) {
  resetFigure(figure);
  if (rows.length === 0) return nothing(figure);
  const rowHeight = 22;
  const gap = 8;
  const valueWidth = 70;
  const barSpace = width - labelWidth - valueWidth;
  const most = Math.max(1, ...rows.map((row) => row.value));
  const height = gap + rows.length * (rowHeight + gap);
  const marks = rows.map((row, index) => {
    const y = gap + index * (rowHeight + gap);
    const middle = y + rowHeight / 2;
    const length = row.value > 0 ? Math.max(2, (row.value / most) * barSpace) : 0;
    const shown = row.text ?? String(row.value);
    return svg(
      "g",
      { class: `bar tone-${row.tone ?? "open"}`, "data-key": row.key, "data-value": row.value },
      svg("title", {}, `${row.label}: ${shown}`),
      svg("text", { x: labelWidth - 8, y: middle, class: "label end" }, fitted(row.label, labelWidth - 8)),
      svg("rect", { x: labelWidth, y, width: length.toFixed(1), height: rowHeight, rx: 3 }),
      svg("text", { x: labelWidth + length + 6, y: middle, class: "value" }, shown),
    );
  });
  figure.append(frame(name, width, height, label, marks));
}

// Rates (0 to 1) by day, one line per series; a day without traffic is a gap, not a zero.
export function lineChart(figure, days, series, { name, label, width = 900, height = 300 }) {
  resetFigure(figure);
  if (days.length === 0 || series.length === 0) return nothing(figure);
  const top = 16;
  const bottom = 56;
  const left = 52;
  const right = 48;
  const plotWidth = width - left - right;
  const plotHeight = height - top - bottom;
  const xOf = (index) =>
    days.length === 1 ? left + plotWidth / 2 : left + (index / (days.length - 1)) * plotWidth;
  const yOf = (rate) => top + (1 - rate) * plotHeight;
  const grid = [0, 0.25, 0.5, 0.75, 1].map((rate) =>
    svg(
      "g",
      { class: "grid" },
      svg("line", { x1: left, x2: width - right, y1: yOf(rate), y2: yOf(rate) }),
      svg("text", { x: left - 8, y: yOf(rate), class: "label end" }, `${rate * 100} %`),
    ),
  );
  const every = Math.ceil(days.length / 12);
  const dayLabels = days.map((day, index) =>
    index % every === 0 || index === days.length - 1
      ? svg("text", { x: xOf(index), y: top + plotHeight + 20, class: "label middle" }, day)
      : null,
  );
  const lines = series.map((line, number) => {
    const points = days.map((day, index) => ({ day, index, point: line.points.get(day) }));
    const segments = [];
    let current = [];
    for (const { index, point } of points) {
      if (point && point.rate !== null) {
        current.push(`${xOf(index).toFixed(1)},${yOf(point.rate).toFixed(1)}`);
      } else if (current.length) {
        segments.push(current);
        current = [];
      }
    }
    if (current.length) segments.push(current);
    return svg(
      "g",
      { class: `series series-${number % 9}`, "data-series": line.name },
      segments.map((segment) => svg("polyline", { points: segment.join(" ") })),
      points
        .filter(({ point }) => point && point.rate !== null)
        .map(({ day, index, point }) =>
          svg(
            "circle",
            {
              cx: xOf(index).toFixed(1),
              cy: yOf(point.rate).toFixed(1),
              r: 4,
              "data-key": day,
              "data-value": point.rate,
            },
            svg("title", {}, `${line.name} ${day}: ${point.text}`),
          ),
        ),
    );
  });
  const chart = frame(name, width, height, label, [...grid, ...dayLabels, ...lines]);
  const legend = html(
    "ul",
    { class: "legend" },
    series.map((line, number) =>
      html("li", { class: `series-${number % 9}` }, html("span", { class: "swatch" }), line.name),
    ),
  );
  figure.append(chart, legend);
}
