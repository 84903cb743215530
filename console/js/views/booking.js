// The booking form: POST /reservations, problem+json field errors shown next to their fields.
import { ApiError, api, explain } from "../api.js";
import { addDays, h, todayUtc } from "../dom.js";

// The API's field names (problem+json "field") -> the form's input ids.
const FIELDS = {
  hotelId: "book-hotel",
  roomType: "book-room-type",
  checkIn: "book-check-in",
  checkOut: "book-check-out",
  guests: "book-guests",
  "guest.id": "book-guest-id",
  "guest.name": "book-guest-name",
  "guest.email": "book-guest-email",
  paymentToken: "book-token",
};

function field(id, text, control) {
  control.setAttribute("id", id);
  control.setAttribute("aria-describedby", `${id}-error`);
  return h(
    "div",
    { class: "field" },
    h("label", { for: id }, text),
    control,
    h("p", { class: "field-error", id: `${id}-error` }),
  );
}

function numberOrText(value) {
  const trimmed = value.trim();
  return /^-?\d+$/.test(trimmed) ? Number(trimmed) : trimmed;
}

/** The form; onBooked(reservation) runs after a 202. */
export function bookingForm(hotels, onBooked) {
  const hotelSelect = h("select", { name: "hotelId" }, hotels.map((hotel) => h("option", { value: hotel.hotelId }, hotel.name)));
  const roomTypeSelect = h("select", { name: "roomType" });
  const fillRoomTypes = () => {
    const hotel = hotels.find((item) => item.hotelId === hotelSelect.value);
    roomTypeSelect.replaceChildren(
      ...(hotel ? hotel.roomTypes : []).map((type) =>
        h("option", { value: type.roomType }, `${type.roomType} (up to ${type.capacity} guests, ${type.nightlyRate} ${hotel.currency})`),
      ),
    );
  };
  hotelSelect.addEventListener("change", fillRoomTypes);
  fillRoomTypes();
  const start = addDays(todayUtc(), 30);
  const checkIn = h("input", { type: "date", name: "checkIn", value: start });
  const checkOut = h("input", { type: "date", name: "checkOut", value: addDays(start, 2) });
  const guests = h("input", { type: "number", name: "guests", value: "2", inputmode: "numeric" });
  const guestId = h("input", { type: "text", name: "guestId", value: `g-${crypto.randomUUID().slice(0, 8)}`, autocomplete: "off" });
  const guestName = h("input", { type: "text", name: "guestName", autocomplete: "name" });
  const guestEmail = h("input", { type: "email", name: "guestEmail", autocomplete: "email" });
  const token = h(
    "select",
    { name: "paymentToken" },
    h("option", { value: "tok_visa" }, "tok_visa (authorized)"),
    h("option", { value: "tok_declined" }, "tok_declined (declined)"),
  );
  const summary = h("div", { class: "message error", role: "alert", id: "book-errors" });
  const submit = h("button", { type: "submit" }, "Book");
  const controls = {
    "book-hotel": hotelSelect, "book-room-type": roomTypeSelect, "book-check-in": checkIn,
    "book-check-out": checkOut, "book-guests": guests, "book-guest-id": guestId,
    "book-guest-name": guestName, "book-guest-email": guestEmail, "book-token": token,
  };

  const clearErrors = () => {
    summary.replaceChildren();
    for (const [id, control] of Object.entries(controls)) {
      control.removeAttribute("aria-invalid");
      document.getElementById(`${id}-error`).textContent = "";
    }
  };

  const showErrors = (error) => {
    const unplaced = [];
    for (const { field: name, message } of error.fieldErrors) {
      const id = FIELDS[name];
      if (id) {
        controls[id].setAttribute("aria-invalid", "true");
        const slot = document.getElementById(`${id}-error`);
        slot.textContent = slot.textContent ? `${slot.textContent}; ${message}` : message;
      } else {
        unplaced.push(`${name}: ${message}`);
      }
    }
    const count = error.fieldErrors.length;
    summary.append(h("p", {}, count ? `${explain(error)}. ${count} field${count > 1 ? "s need" : " needs"} fixing.` : explain(error)));
    if (unplaced.length) summary.append(h("ul", {}, unplaced.map((text) => h("li", {}, text))));
    const firstInvalid = Object.values(controls).find((control) => control.getAttribute("aria-invalid"));
    firstInvalid?.focus();
  };

  const form = h(
    "form",
    {
      novalidate: true,
      "aria-labelledby": "book-heading",
      on: {
        submit: async (event) => {
          event.preventDefault();
          clearErrors();
          submit.disabled = true;
          const body = {
            hotelId: hotelSelect.value,
            roomType: roomTypeSelect.value,
            checkIn: checkIn.value,
            checkOut: checkOut.value,
            guests: numberOrText(guests.value),
            guest: { id: guestId.value.trim(), name: guestName.value.trim(), email: guestEmail.value.trim() },
            paymentToken: token.value,
          };
          try {
            const reservation = await api("reservations", { method: "POST", body });
            onBooked(reservation);
          } catch (error) {
            if (error instanceof ApiError) showErrors(error);
            else summary.append(h("p", {}, explain(error)));
          } finally {
            submit.disabled = false;
          }
        },
      },
    },
    h("h2", { id: "book-heading" }, "Book a room"),
    summary,
    h("div", { class: "row" }, field("book-hotel", "Hotel", hotelSelect), field("book-room-type", "Room type", roomTypeSelect)),
    h("div", { class: "row" }, field("book-check-in", "Check-in", checkIn), field("book-check-out", "Check-out", checkOut), field("book-guests", "Guests", guests)),
    h("div", { class: "row" }, field("book-guest-name", "Guest name", guestName), field("book-guest-email", "Guest email", guestEmail)),
    h("div", { class: "row" }, field("book-guest-id", "Guest id (loyalty account)", guestId), field("book-token", "Test card", token)),
    h("div", { class: "actions" }, submit),
  );
  return form;
}
