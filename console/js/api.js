// Calls to the app's HTTP API (openapi.yaml) from the console, which the same app serves at
// /api/console/: the API is one level up, whatever the host's route prefix.
import { getKey } from "./keys.js";

const API_ROOT = new URL("../", document.baseURI);

/** An answer that is not 2xx: its status and RFC 9457 problem body (or a stand-in). */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }

  /** [{field, message}] from the problem body (400 Invalid request). */
  get fieldErrors() {
    return Array.isArray(this.problem.errors) ? this.problem.errors : [];
  }
}

/**
 * fetch JSON from the API: api("hotels"), api("reservations", {method: "POST", body}).
 * keyKind "function" (the default) or "master" picks the key sent as x-functions-key.
 */
export async function api(path, { method = "GET", body, query, keyKind = "function", signal } = {}) {
  const url = new URL(path, API_ROOT);
  for (const [name, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, value);
  }
  const headers = { Accept: "application/json" };
  const key = getKey(keyKind);
  if (key) headers["x-functions-key"] = key;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal,
    cache: "no-store",
  });
  const text = await response.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!response.ok) {
    throw new ApiError(response.status, parsed && typeof parsed === "object" ? parsed : describe(response.status));
  }
  return parsed;
}

function describe(status) {
  if (status === 401) {
    return { title: "Unauthorized", detail: "the key was refused: enter the right one under Keys" };
  }
  return { title: `HTTP ${status}`, detail: "" };
}

/** A one-line explanation of an error for a message area. */
/**
 * The hotels, for a page that starts with them: null (with the reason shown in `message`) when
 * they cannot be read, or when the page was left meanwhile.
 */
export async function loadHotels(message, life) {
  try {
    const { hotels } = await api("hotels", { signal: life.signal });
    return life.alive ? hotels : null;
  } catch (error) {
    if (life.alive) message.textContent = explain(error);
    return null;
  }
}

export function explain(error) {
  if (error instanceof ApiError) {
    const detail = error.problem.detail ? `: ${error.problem.detail}` : "";
    return `${error.problem.title || "Error"} (${error.status})${detail}`;
  }
  return `The API could not be reached (${error.message || error}).`;
}
