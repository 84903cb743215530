// The front desk: hotels and room types, a month of availability per room type, the booking
// form, and opening a reservation by id.
import { explain, loadHotels } from "../api.js";
import { h, todayUtc } from "../dom.js";
import { bookingForm } from "./booking.js";
import { legend, monthCalendar } from "./calendar.js";

export async function renderDesk(main, _params, life) {
  const message = h("div", { class: "message error", role: "alert" });
  main.append(h("h1", {}, "Front desk"), message);
  const hotels = await loadHotels(message, life);
  if (!hotels) return;

  const hotelSelect = h("select", { id: "cal-hotel" }, hotels.map((hotel) => h("option", { value: hotel.hotelId }, hotel.name)));
  const month = h("input", { id: "cal-month", type: "month", value: todayUtc().slice(0, 7) });
  const calendars = h("div", { class: "calendars", "aria-live": "polite", id: "calendars" });
  const hotelFacts = h("div", {});
  let generation = 0;
  const showCalendars = async () => {
    generation += 1;
    const mine = generation;
    const hotel = hotels.find((item) => item.hotelId === hotelSelect.value);
    if (!hotel || !/^\d{4}-\d{2}$/.test(month.value)) return;
    hotelFacts.replaceChildren(
      h(
        "p",
        { class: "hint" },
        `${hotel.name} (${hotel.hotelId}): `,
        hotel.roomTypes.map((type) => `${type.roomType} x${type.rooms}`).join(", "),
        `; prices in ${hotel.currency}.`,
      ),
    );
    calendars.setAttribute("aria-busy", "true");
    try {
      const tables = await Promise.all(hotel.roomTypes.map((type) => monthCalendar(hotel, type, month.value, life.signal)));
      if (mine === generation && life.alive) calendars.replaceChildren(...tables);
    } catch (error) {
      if (error.name !== "AbortError" && life.alive) calendars.replaceChildren(h("p", { class: "message error" }, explain(error)));
    } finally {
      calendars.removeAttribute("aria-busy");
    }
  };
  hotelSelect.addEventListener("change", showCalendars);
  month.addEventListener("change", showCalendars);

  const lookupInput = h("input", { id: "lookup-id", type: "text", autocomplete: "off", spellcheck: "false", placeholder: "reservation id" });
  const lookupError = h("p", { class: "field-error", id: "lookup-id-error" });
  lookupInput.setAttribute("aria-describedby", "lookup-id-error");
  const lookup = h(
    "form",
    {
      "aria-labelledby": "lookup-heading",
      on: {
        submit: (event) => {
          event.preventDefault();
          const id = lookupInput.value.trim();
          if (!/^[0-9a-fA-F-]{36}$/.test(id)) {
            lookupError.textContent = "A reservation id is a UUID, 36 characters.";
            lookupInput.setAttribute("aria-invalid", "true");
            return;
          }
          location.hash = `#/reservations/${id.toLowerCase()}`;
        },
      },
    },
    h("h2", { id: "lookup-heading" }, "Open a reservation"),
    h("div", { class: "field" }, h("label", { for: "lookup-id" }, "Reservation id"), lookupInput, lookupError),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "secondary" }, "Open")),
  );

  main.append(
    h(
      "div",
      { class: "columns" },
      h(
        "section",
        { "aria-labelledby": "availability-heading" },
        h("h2", { id: "availability-heading" }, "Availability"),
        h(
          "div",
          { class: "row" },
          h("div", { class: "field" }, h("label", { for: "cal-hotel" }, "Hotel"), hotelSelect),
          h("div", { class: "field" }, h("label", { for: "cal-month" }, "Month"), month),
        ),
        hotelFacts,
        legend(),
        calendars,
      ),
      h(
        "div",
        {},
        h("section", { class: "panel" }, bookingForm(hotels, (reservation) => {
          location.hash = `#/reservations/${reservation.reservationId}`;
        })),
        h("section", { class: "panel" }, lookup),
      ),
    ),
  );
  await showCalendars();
}
