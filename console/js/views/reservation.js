// The reservation card: polls GET /reservations/{id} while the saga runs (every 500 ms while
// Pending or just after an action, then every few seconds), offers the actions its status
// allows, and shows the invoice and the guest's loyalty account.
import { ApiError, api, explain } from "../api.js";
import { facts, h, table } from "../dom.js";

const FAST_MS = 500;
const SLOW_MS = 4000;
// After an action the saga reacts within a second or two locally; poll fast for this long.
const FAST_AFTER_ACTION_MS = 15000;
const REASONS = {
  no_availability: "no room of this type is free for every night",
  payment_declined: "the card was declined",
  cancelled_by_guest: "cancelled by the guest",
};
const ACTIONS = {
  Pending: ["cancel"],
  Confirmed: ["check-in", "cancel"],
  CheckedIn: ["check-out"],
};
const ACTION_LABELS = { cancel: "Cancel", "check-in": "Check in", "check-out": "Check out" };

function describeReason(reason) {
  return reason ? `${REASONS[reason] || reason} (${reason})` : null;
}

export function renderReservation(main, [reservationId], life) {
  const heading = h("h1", {}, "Reservation");
  const status = h("div", { role: "status", "aria-live": "polite", id: "reservation-status" });
  const card = h("div", { id: "reservation-card" });
  const actions = h("div", { class: "actions", id: "reservation-actions" });
  const actionMessage = h("div", { class: "message error", role: "alert" });
  const invoice = h("div", { id: "invoice" });
  const loyalty = h("div", { id: "loyalty" });
  main.append(
    heading,
    h("p", {}, h("a", { href: `#/timeline/${reservationId}` }, "Saga timeline of this reservation")),
    h(
      "div",
      { class: "columns" },
      h(
        "section",
        { class: "panel", "aria-labelledby": "card-heading" },
        h("h2", { id: "card-heading" }, "Booking"),
        status,
        card,
        actions,
        actionMessage,
      ),
      h(
        "div",
        {},
        h("section", { class: "panel", "aria-labelledby": "invoice-heading" }, h("h2", { id: "invoice-heading" }, "Invoice"), invoice),
        h("section", { class: "panel", "aria-labelledby": "loyalty-heading" }, h("h2", { id: "loyalty-heading" }, "Loyalty"), loyalty),
      ),
    ),
  );

  let fastUntil = Date.now() + FAST_AFTER_ACTION_MS;
  // The actions on screen, as "check-in,cancel"; null = draw them again.
  let shownActions = null;
  // One poll at a time: an action wakes the loop instead of starting a second one.
  let timer = null;
  let polling = false;
  const schedule = (ms) => {
    clearTimeout(timer);
    timer = life.later(ms, poll);
  };

  const showCard = (reservation) => {
    status.replaceChildren(
      "Status: ",
      h("span", { class: `badge status-${reservation.status}`, id: "status-badge" }, reservation.status),
    );
    card.replaceChildren(
      facts([
        ["Reservation", reservation.reservationId],
        ["Hotel", reservation.hotelId],
        ["Room type", reservation.roomType],
        ["Stay", `${reservation.checkIn} to ${reservation.checkOut} (${reservation.nights} night${reservation.nights === 1 ? "" : "s"})`],
        ["Guests", reservation.guests],
        ["Guest", `${reservation.guest.name} <${reservation.guest.email}> (${reservation.guest.id})`],
        ["Room", reservation.roomNumber],
        ["Total", reservation.total === null ? null : `${reservation.total} ${reservation.currency}`],
        ["Reason", describeReason(reservation.reason)],
        ["Updated", reservation.updatedAt],
      ]),
    );
    const allowed = ACTIONS[reservation.status] || [];
    if (allowed.join() !== shownActions) {
      shownActions = allowed.join();
      actions.replaceChildren(
        ...allowed.map((action) =>
          h("button", { type: "button", class: action === "cancel" ? "secondary" : "", on: { click: () => act(action) } }, ACTION_LABELS[action]),
        ),
      );
    }
  };

  const showInvoice = async () => {
    try {
      const body = await api(`reservations/${reservationId}/invoice`, { signal: life.signal });
      invoice.replaceChildren(
        facts([["Status", body.status], ["Total", `${body.total} ${body.currency}`]]),
        table(
          "Invoice lines",
          ["Date", "Description", "Amount"],
          body.lines.map((line) => h("tr", {}, h("td", {}, line.date), h("td", {}, line.description), h("td", { class: "num" }, `${line.amount} ${body.currency}`))),
          { hideCaption: true },
        ),
      );
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) invoice.replaceChildren(h("p", { class: "hint" }, "Billing has not seen this reservation yet."));
      else if (error.name !== "AbortError") invoice.replaceChildren(h("p", { class: "message error" }, explain(error)));
    }
  };

  const showLoyalty = async (guestId) => {
    try {
      const body = await api(`guests/${encodeURIComponent(guestId)}/loyalty`, { signal: life.signal });
      loyalty.replaceChildren(
        facts([
          ["Guest", body.guestId],
          ["Points", h("span", { id: "loyalty-points" }, body.points)],
          ["Tier", h("span", { id: "loyalty-tier" }, body.tier)],
          ["Nights", body.nights],
        ]),
      );
    } catch (error) {
      if (error.name !== "AbortError") loyalty.replaceChildren(h("p", { class: "message error" }, explain(error)));
    }
  };

  const poll = async () => {
    if (polling) return;
    polling = true;
    try {
      await refresh();
    } finally {
      polling = false;
    }
  };

  const refresh = async () => {
    let reservation = null;
    try {
      reservation = await api(`reservations/${reservationId}`, { signal: life.signal });
    } catch (error) {
      if (error.name === "AbortError") return;
      status.replaceChildren(h("p", { class: "message error" }, explain(error)));
      if (error instanceof ApiError && error.status === 404) return; // nothing to wait for
    }
    if (!life.alive) return;
    if (reservation) {
      heading.textContent = `Reservation of ${reservation.guest.name}`;
      showCard(reservation);
      await Promise.all([showInvoice(), showLoyalty(reservation.guest.id)]);
    }
    const fast = (reservation && reservation.status === "Pending") || Date.now() < fastUntil;
    schedule(fast ? FAST_MS : SLOW_MS);
  };

  const act = async (action) => {
    actionMessage.replaceChildren();
    for (const button of actions.querySelectorAll("button")) button.disabled = true;
    try {
      await api(`reservations/${reservationId}/${action}`, { method: "POST", signal: life.signal });
      fastUntil = Date.now() + FAST_AFTER_ACTION_MS;
      shownActions = null;
      if (!polling) schedule(0);
    } catch (error) {
      if (error.name !== "AbortError") actionMessage.textContent = explain(error);
      for (const button of actions.querySelectorAll("button")) button.disabled = false;
      return;
    }
    // The next poll shows the new status and its actions.
  };

  poll();
}
