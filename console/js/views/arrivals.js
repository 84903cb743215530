// Arrivals, departures and in-house guests of a hotel on a date: the frontdesk read model
// (GET /hotels/{hotelId}/frontdesk?date=), refreshed every few seconds while the page is open.
import { ApiError, api, explain, loadHotels } from "../api.js";
import { h, table, todayUtc } from "../dom.js";

const REFRESH_MS = 2000;
const SECTIONS = [
  ["arrivals", "Arrivals"],
  ["departures", "Departures"],
  ["inHouse", "In house"],
];

function guestRows(guests) {
  return guests.map((guest) =>
    h(
      "tr",
      {},
      h("td", {}, guest.guestName),
      h("td", {}, guest.roomType),
      h("td", {}, guest.roomNumber ?? "not yet"),
      h("td", {}, `${guest.checkIn} to ${guest.checkOut}`),
      h("td", {}, guest.status),
      h("td", {}, h("a", { href: `#/reservations/${guest.reservationId}`, "aria-label": `Open the reservation of ${guest.guestName}` }, "open")),
    ),
  );
}

export async function renderArrivals(main, _params, life) {
  const message = h("div", { class: "message error", role: "alert" });
  main.append(h("h1", {}, "Arrivals and departures"), message);
  const hotels = await loadHotels(message, life);
  if (!hotels) return;
  const params = new URLSearchParams(sessionStorage.getItem("console.arrivals") || "");
  const hotelSelect = h("select", { id: "fd-hotel" }, hotels.map((hotel) => h("option", { value: hotel.hotelId }, hotel.name)));
  if (hotels.some((hotel) => hotel.hotelId === params.get("hotel"))) hotelSelect.value = params.get("hotel");
  const date = h("input", { id: "fd-date", type: "date", value: params.get("date") || todayUtc() });
  const lists = h("div", { id: "frontdesk", "aria-live": "polite" });
  const stamp = h("p", { class: "hint", role: "status" });
  main.append(
    h(
      "form",
      { class: "row", "aria-label": "Hotel and date", on: { submit: (event) => event.preventDefault() } },
      h("div", { class: "field" }, h("label", { for: "fd-hotel" }, "Hotel"), hotelSelect),
      h("div", { class: "field" }, h("label", { for: "fd-date" }, "Date"), date),
    ),
    stamp,
    lists,
  );
  let shown = "";
  let timer = null;
  // A change of hotel or date starts a new generation; an older request's answer is dropped.
  let generation = 0;
  const load = async () => {
    clearTimeout(timer);
    generation += 1;
    const mine = generation;
    sessionStorage.setItem("console.arrivals", new URLSearchParams({ hotel: hotelSelect.value, date: date.value }).toString());
    try {
      const view = await api(`hotels/${encodeURIComponent(hotelSelect.value)}/frontdesk`, { query: { date: date.value }, signal: life.signal });
      if (!life.alive || mine !== generation) return;
      message.replaceChildren();
      const fingerprint = JSON.stringify(view);
      if (fingerprint !== shown) {
        shown = fingerprint;
        lists.replaceChildren(
          ...SECTIONS.map(([key, title]) =>
            h(
              "section",
              { "aria-labelledby": `fd-${key}-heading`, id: `fd-${key}` },
              h("h2", { id: `fd-${key}-heading` }, `${title} (${view[key].length})`),
              view[key].length
                ? table(title, ["Guest", "Room type", "Room", "Stay", "Status", "Reservation"], guestRows(view[key]), { hideCaption: true })
                : h("p", { class: "hint" }, "Nobody."),
            ),
          ),
        );
      }
      stamp.textContent = `${view.hotelId} on ${view.date}, as of ${new Date().toLocaleTimeString()}.`;
    } catch (error) {
      if (error.name === "AbortError" || mine !== generation) return;
      shown = "";
      lists.replaceChildren();
      message.textContent = error instanceof ApiError && error.fieldErrors.length
        ? error.fieldErrors.map((item) => `${item.field}: ${item.message}`).join("; ")
        : explain(error);
    }
    timer = life.later(REFRESH_MS, load);
  };
  hotelSelect.addEventListener("change", load);
  date.addEventListener("change", load);
  load();
}
