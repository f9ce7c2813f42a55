// REST client for the aerolake web API (same origin, JSON). See docs/web-api.md.

export class ApiError extends Error {}

/**
 * GET `path` with query `params` (null/undefined/"" values skipped); resolves to parsed JSON.
 * Statuses in `allow` (e.g. 503 from /api/health) still resolve to their JSON body.
 */
export async function getJSON(path, params = {}, { signal, allow = [] } = {}) {
  const url = new URL(path, window.location.origin);
  for (const [key, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== "") url.searchParams.set(key, String(value));
  }
  const response = await fetch(url, { headers: { Accept: "application/json" }, signal });
  if (!response.ok && !allow.includes(response.status)) {
    let detail = "";
    try {
      const body = await response.json();
      detail = typeof body?.detail === "string" ? `: ${body.detail}` : "";
    } catch {
      /* not JSON */
    }
    throw new ApiError(`${url.pathname} answered HTTP ${response.status}${detail}`);
  }
  return response.json();
}

/** A list out of `{items: [...]}`, a bare array, or `{<key>: [...]}`. */
export function itemsOf(body, key = "items") {
  if (Array.isArray(body)) return body;
  if (body && Array.isArray(body[key])) return body[key];
  if (body && Array.isArray(body.items)) return body.items;
  return [];
}

/** Run-time configuration: `/api/config` merged over `window.AEROLAKE_CONFIG`. Never throws. */
export async function loadConfig() {
  const base = { tile_url: null, tile_attribution: null, ...(window.AEROLAKE_CONFIG ?? {}) };
  try {
    return { ...base, ...(await getJSON("/api/config")) };
  } catch {
    return base;
  }
}
