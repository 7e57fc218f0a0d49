// The API, called with the key this tab was given. Paths are relative to the page, so the
// console works under any base path the API is mapped to.

const KEY_NAME = "imiconnect-receipts.api-key";

export const apiKey = {
  get: () => sessionStorage.getItem(KEY_NAME),
  set: (key) => sessionStorage.setItem(KEY_NAME, key),
  forget: () => sessionStorage.removeItem(KEY_NAME),
};

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export async function getJson(path, query = {}) {
  const url = new URL(path, window.location.href);
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, value);
  }
  const response = await fetch(url, {
    headers: { "x-api-key": apiKey.get() ?? "", accept: "application/json" },
    cache: "no-store",
    credentials: "omit",
  });
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok) {
    const error = body?.error ?? {};
    throw new ApiError(
      response.status,
      error.code ?? `http_${response.status}`,
      error.message ?? `The API answered ${response.status}.`,
    );
  }
  return body;
}

// "." and ".." would be resolved away by the URL parser, asking another route.
function segment(value) {
  if (value === "." || value === "..") {
    throw new ApiError(400, "bad_request", `"${value}" is not an id.`);
  }
  return encodeURIComponent(value);
}

export const routes = {
  campaign: (id) => getJson(`v1/reports/campaigns/${segment(id)}`),
  daily: (from, to, channel) => getJson("v1/reports/daily", { from, to, channel }),
  transaction: (id) => getJson(`v1/transactions/${segment(id)}`),
  search: (query) => getJson("v1/transactions", query),
};
