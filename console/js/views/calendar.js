// One month of availability per room type: each night coloured by the share of rooms left,
// its number written in the cell, sold-out nights in dark red with the words "sold out".
import { api, explain } from "../api.js";
import { h } from "../dom.js";

const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

function level(available, rooms) {
  if (available <= 0) return "left-none";
  const share = available / rooms;
  if (share <= 0.25) return "left-low";
  if (share <= 0.6) return "left-mid";
  return "left-high";
}

export function legend() {
  return h(
    "ul",
    { class: "legend", "aria-label": "Colour key" },
    h("li", { class: "left-high" }, "more than 60 % left"),
    h("li", { class: "left-mid" }, "26-60 % left"),
    h("li", { class: "left-low" }, "25 % or less left"),
    h("li", { class: "left-none" }, "sold out"),
  );
}

/** The calendar table of one room type for month "YYYY-MM". */
export async function monthCalendar(hotel, roomType, month, signal) {
  const from = `${month}-01`;
  const next = new Date(`${from}T00:00:00Z`);
  next.setUTCMonth(next.getUTCMonth() + 1);
  const to = next.toISOString().slice(0, 10);
  const caption = `${roomType.roomType}: ${roomType.rooms} rooms, ${roomType.nightlyRate} ${hotel.currency} a night`;
  let nights;
  try {
    const view = await api(`hotels/${encodeURIComponent(hotel.hotelId)}/availability`, {
      query: { roomType: roomType.roomType, from, to },
      signal,
    });
    nights = view.nights;
  } catch (error) {
    if (error.name === "AbortError") throw error;
    return h("p", { class: "message error" }, `${caption}: ${explain(error)}`);
  }
  const first = new Date(`${from}T00:00:00Z`);
  const blanks = (first.getUTCDay() + 6) % 7; // Monday first
  const cells = [];
  for (let i = 0; i < blanks; i += 1) cells.push(h("td", { class: "blank" }));
  for (const night of nights) {
    const day = Number(night.date.slice(8, 10));
    const soldOut = night.available <= 0;
    const text = soldOut ? "sold out" : `${night.available} left`;
    cells.push(
      h(
        "td",
        {
          class: level(night.available, roomType.rooms),
          "data-date": night.date,
          "data-available": night.available,
          title: `${night.date}: ${soldOut ? "sold out" : `${night.available} of ${roomType.rooms} rooms left`}`,
        },
        h("span", { class: "day" }, day),
        h("span", {}, text),
      ),
    );
  }
  while (cells.length % 7) cells.push(h("td", { class: "blank" }));
  const rows = [];
  for (let i = 0; i < cells.length; i += 7) rows.push(h("tr", {}, cells.slice(i, i + 7)));
  return h(
    "table",
    { class: "calendar", "data-room-type": roomType.roomType },
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, WEEKDAYS.map((day) => h("th", { scope: "col", abbr: day }, day)))),
    h("tbody", {}, rows),
  );
}
