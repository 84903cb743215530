// Operations: dead letters by state (GET /ops/dead-letters) and "reprocess now"
// (POST /ops/dead-letters/reprocess) with the report it returns. Admin level: master key.
import { ApiError, api, explain } from "../api.js";
import { age, h, table } from "../dom.js";
import { getKey } from "../keys.js";

const REFRESH_MS = 3000;
const STATES = [
  ["", "All states"],
  ["deadlettered", "Dead-lettered"],
  ["archived", "Archived"],
  ["poison", "Poison"],
];

function reservationLink(subject) {
  const match = /reservations\/([0-9a-fA-F-]{36})$/.exec(subject || "");
  return match ? h("a", { href: `#/reservations/${match[1]}` }, match[1]) : subject || "";
}

function letterRows(items) {
  return items.map((item) =>
    h(
      "tr",
      { "data-blob": item.blob, "data-state": item.state },
      h("td", {}, item.state),
      h("td", {}, item.subscription),
      h("td", {}, item.eventType || "unreadable"),
      h("td", { class: "wrap" }, reservationLink(item.subject)),
      h("td", { class: "wrap reason" }, item.reason || ""),
      h("td", { class: "num" }, item.deliveryAttempts ?? ""),
      h("td", { class: "num" }, item.attempts),
      h("td", { class: "num" }, age(item.ageSeconds)),
    ),
  );
}

function explainOps(error) {
  if (error instanceof ApiError && error.status === 401) {
    return "The master key was refused: operations are admin level. Enter the master key under Keys.";
  }
  return explain(error);
}

function reportView(report) {
  const blobs = report.blobs;
  const events = report.events;
  return h(
    "section",
    { id: "reprocess-report", "aria-labelledby": "report-heading", class: "panel" },
    h("h2", { id: "report-heading" }, "Reprocessing report"),
    h(
      "p",
      {},
      `Run by ${report.trigger} at ${report.startedAt}. Blobs: ${blobs.found} found, ${blobs.archived} archived, `,
      `${blobs.poisoned} poisoned, ${blobs.retrying} retrying, ${blobs.skipped} skipped. Events: ${events.found} found, `,
      `${events.replayed} replayed, ${events.failed} failed, ${events.poisoned} poisoned.`,
    ),
    report.items.length
      ? table(
          "Blobs processed",
          ["Blob", "Subscription", "Outcome", "Events", "Attempts", "Reason"],
          report.items.map((item) =>
            h(
              "tr",
              { "data-blob": item.blob },
              h("td", { class: "wrap" }, item.blob),
              h("td", {}, item.subscription),
              h("td", { class: "outcome" }, item.outcome),
              h("td", { class: "num" }, item.events),
              h("td", { class: "num" }, item.attempts),
              h("td", { class: "wrap" }, item.reason),
            ),
          ),
        )
      : h("p", { class: "hint" }, "Nothing was due."),
    report.skipped.length ? h("p", { class: "hint" }, `${report.skipped.length} blob(s) skipped (back-off or claimed elsewhere).`) : null,
  );
}

export function renderOps(main, _params, life) {
  const message = h("div", { class: "message error", role: "alert" });
  main.append(h("h1", {}, "Operations"), message);
  if (!getKey("master")) {
    message.append(
      "Operations need the master key (the dead-letter routes are admin level). ",
      h("a", { href: "#/keys" }, "Enter it under Keys."),
    );
  }
  const state = h("select", { id: "ops-state" }, STATES.map(([value, label]) => h("option", { value }, label)));
  const subscription = h("select", { id: "ops-subscription" }, ["", "reservations", "rooms", "billing", "loyalty"].map((name) => h("option", { value: name }, name || "All subscriptions")));
  const force = h("input", { id: "ops-force", type: "checkbox" });
  const counts = h("p", { role: "status", id: "ops-counts" });
  const letters = h("div", { id: "dead-letters" });
  const report = h("div", { id: "report-holder" });
  const reprocess = h("button", { type: "button", id: "reprocess" }, "Reprocess now");

  const load = async () => {
    try {
      const view = await api("ops/dead-letters", {
        keyKind: "master",
        query: { state: state.value, subscription: subscription.value },
        signal: life.signal,
      });
      if (!life.alive) return;
      message.replaceChildren();
      counts.textContent = Object.entries(view.counts).map(([name, count]) => `${name}: ${count}`).join(", ") + " blobs";
      letters.replaceChildren(
        view.items.length
          ? table("Dead letters", ["State", "Subscription", "Event type", "Reservation", "Reason", "Deliveries", "Reprocess attempts", "Age"], letterRows(view.items), { hideCaption: true })
          : h("p", { class: "hint" }, "No dead letters here."),
      );
    } catch (error) {
      if (error.name !== "AbortError") message.textContent = explainOps(error);
    }
  };
  // While the page is open the list refreshes itself, so a new dead letter shows up.
  const keepLoading = async () => {
    await load();
    life.later(REFRESH_MS, keepLoading);
  };

  reprocess.addEventListener("click", async () => {
    reprocess.disabled = true;
    report.replaceChildren(h("p", { role: "status" }, "Reprocessing..."));
    try {
      const body = await api("ops/dead-letters/reprocess", {
        method: "POST",
        keyKind: "master",
        query: force.checked ? { force: "true" } : {},
        signal: life.signal,
      });
      if (!life.alive) return;
      report.replaceChildren(reportView(body));
      await load();
    } catch (error) {
      if (error.name !== "AbortError") report.replaceChildren(h("p", { class: "message error" }, explainOps(error)));
    } finally {
      reprocess.disabled = false;
    }
  });
  state.addEventListener("change", load);
  subscription.addEventListener("change", load);

  main.append(
    h(
      "p",
      { class: "hint" },
      "Events Event Grid could not deliver (dead-lettered), those replayed since (archived) and those that can never ",
      "succeed (poison). The reprocessor runs every 5 minutes; run it now to replay what is due.",
    ),
    h(
      "form",
      { class: "row", "aria-label": "Filter", on: { submit: (event) => event.preventDefault() } },
      h("div", { class: "field" }, h("label", { for: "ops-state" }, "State"), state),
      h("div", { class: "field" }, h("label", { for: "ops-subscription" }, "Subscription"), subscription),
    ),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "button", class: "secondary", id: "ops-refresh", on: { click: load } }, "Refresh"),
      reprocess,
      h("label", { class: "check", for: "ops-force" }, force, "Ignore the back-off (force)"),
    ),
    report,
    counts,
    letters,
  );
  keepLoading();
}
