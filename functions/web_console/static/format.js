// How figures read on the page.

export function percent(rate) {
  return rate === null || rate === undefined ? "–" : `${(rate * 100).toFixed(1)} %`;
}

const UNITS = [
  ["s", 1, 60],
  ["min", 60, 60],
  ["h", 3600, 24],
  ["d", 86400, Infinity],
];

// The unit is chosen after rounding, so that 59.6 s reads "1 min", never "60 s".
export function seconds(value) {
  if (value === null || value === undefined) return "–";
  for (const [unit, size, next] of UNITS) {
    const digits = unit === "s" && value >= 10 ? 0 : 1;
    const shown = Number((value / size).toFixed(digits));
    if (shown < next) return `${shown} ${unit}`;
  }
  return `${value} s`;
}

// A histogram bucket holds durations up to its bound; the last one has none.
export function bucketLabel(upTo) {
  if (upTo === null) return "> 1 week";
  return upTo === 0 ? "0 s" : `≤ ${seconds(upTo)}`;
}

export function instant(iso) {
  const when = new Date(iso);
  if (Number.isNaN(when.getTime())) return iso;
  return `${when.toISOString().replace("T", " ").replace("Z", "")} UTC`;
}

export function offset(milliseconds) {
  return milliseconds === 0 ? "start" : `+${seconds(milliseconds / 1000)}`;
}

export const STATUS_TONES = {
  delivered: "good",
  answered: "good",
  read: "best",
  clicked: "best",
  queued: "open",
  submitted: "open",
  unknown: "open",
};

export const toneOfStatus = (status) => STATUS_TONES[status] ?? "bad";

export const toneOfClassification = (classification) =>
  ({
    delivered: "good",
    read: "best",
    in_progress: "open",
    request_error: "bad",
    failed_permanent: "bad",
    failed_transient: "warn",
  })[classification] ?? "open";
