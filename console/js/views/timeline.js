// The saga timeline: GET /reservations/{id}/events drawn as one swimlane per context (the
// CloudEvent's source, /hotel/<context>), one row per event in order, with the time since
// the previous event, the event's key data and its W3C trace id (traceparent extension).
import { api, explain } from "../api.js";
import { facts, h } from "../dom.js";

const LANES = ["reservations", "rooms", "billing", "loyalty"];
// Fields every event carries, and the opaque payment reference: left out of the key data.
const COMMON = new Set(["schemaVersion", "eventId", "reservationId", "hotelId", "occurredAt", "paymentMethodRef"]);
const REFRESH_MS = 2000;

function laneOf(event) {
  return String(event.source || "").split("/").filter(Boolean).pop() || "unknown";
}

/** "00-<trace id>-<span id>-<flags>" -> {traceId, spanId}; null without a valid one. */
function traceOf(event) {
  const match = /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/.exec(event.traceparent || "");
  return match ? { traceId: match[1], spanId: match[2] } : null;
}

function delta(ms) {
  if (ms < 1000) return `+${Math.round(ms)} ms`;
  if (ms < 120000) return `+${(ms / 1000).toFixed(1)} s`;
  return `+${Math.round(ms / 60000)} min`;
}

function keyData(data) {
  return Object.entries(data || {})
    .filter(([name]) => !COMMON.has(name))
    .map(([name, value]) => [name, Array.isArray(value) ? value.join(", ") : typeof value === "object" && value !== null ? JSON.stringify(value) : String(value)]);
}

function drawTimeline(events) {
  const lanes = [...LANES, ...new Set(events.map(laneOf).filter((lane) => !LANES.includes(lane)))];
  // One column per context, one row per event: time runs down, the choreography zigzags
  // across the lanes.
  const list = h("ol", { class: "timeline", id: "timeline", "aria-label": "Events in order, by context" });
  list.style.gridTemplateColumns = `repeat(${lanes.length}, minmax(0, 1fr))`;
  lanes.forEach((lane, index) => {
    const name = h("li", { class: "lane-name", "aria-hidden": "true" }, lane);
    name.style.gridColumn = String(index + 1);
    name.style.gridRow = "1";
    list.append(name);
  });
  let previous = null;
  events.forEach((event, index) => {
    const lane = laneOf(event);
    const at = Date.parse(event.time);
    const trace = traceOf(event);
    const item = h(
      "li",
      { class: `event lane-${lane}`, "data-type": event.type, "data-lane": lane },
      h(
        "h3",
        {},
        h("span", { class: "lane-label" }, `${lane}: `),
        String(event.type).replace(/^Hotel\./, ""),
        h("span", { class: "visually-hidden" }, ` in ${lane}`),
      ),
      h("p", { class: "delta" }, previous === null ? "start" : delta(at - previous), " ", h("time", { datetime: event.time }, event.time.slice(11, 23))),
      facts(keyData(event.data)),
      h(
        "p",
        { class: "trace" },
        trace ? ["trace ", h("span", { class: "trace-id" }, trace.traceId), ` span ${trace.spanId}`] : "no trace context",
      ),
    );
    item.style.gridColumn = String(lanes.indexOf(lane) + 1);
    item.style.gridRow = String(index + 2);
    list.append(item);
    previous = at;
  });
  return list;
}

export function renderTimeline(main, [reservationId], life) {
  const summary = h("p", { class: "hint", role: "status" });
  const holder = h("div", { id: "timeline-holder" });
  main.append(
    h("h1", {}, "Saga timeline"),
    h("p", {}, "Reservation ", h("a", { href: `#/reservations/${reservationId}` }, reservationId)),
    summary,
    holder,
  );
  let shown = -1;
  const load = async () => {
    try {
      const { events } = await api(`reservations/${reservationId}/events`, { signal: life.signal });
      if (!life.alive) return;
      if (events.length !== shown) {
        shown = events.length;
        const traces = new Set(events.map(traceOf).filter(Boolean).map((trace) => trace.traceId));
        const span = events.length > 1 ? Date.parse(events.at(-1).time) - Date.parse(events[0].time) : 0;
        summary.textContent = `${events.length} events in ${delta(span).slice(1)}, ${traces.size} trace${traces.size === 1 ? "" : "s"}. It refreshes itself while the page is open.`;
        holder.replaceChildren(drawTimeline(events));
      }
    } catch (error) {
      if (error.name === "AbortError") return;
      summary.textContent = explain(error);
    }
    life.later(REFRESH_MS, load);
  };
  load();
}
