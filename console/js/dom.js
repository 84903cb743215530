// Building DOM nodes without innerHTML: whatever the API returns is text, never markup.

/**
 * h("p", {class: "hint"}, "text", child) -> an element. Attributes named on* are refused, so no
 * inline handler can sneak in; listeners go through {on: {click: fn}}.
 */
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "on") {
      for (const [event, listener] of Object.entries(value)) element.addEventListener(event, listener);
    } else if (name.startsWith("on")) {
      throw new Error(`use {on: {...}} instead of the attribute ${name}`);
    } else {
      element.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace the children of element with children. */
export function fill(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

/** A <dl class="facts"> from [label, value] pairs; pairs whose value is null are left out. */
export function facts(pairs) {
  const list = h("dl", { class: "facts" });
  for (const [label, value] of pairs) {
    if (value === null || value === undefined) continue;
    list.append(h("dt", {}, label), h("dd", {}, value));
  }
  return list;
}

/** A table with a caption (may be visually hidden), headings and rows of cells. */
export function table(caption, headings, rows, { hideCaption = false } = {}) {
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      {},
      h("caption", hideCaption ? { class: "visually-hidden" } : {}, caption),
      h("thead", {}, h("tr", {}, headings.map((text) => h("th", { scope: "col" }, text)))),
      h("tbody", {}, rows),
    ),
  );
}

/** "3 min", "2 h 5 min", "4 d 1 h": how long ago, for operators. */
export function age(seconds) {
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/** A date's ISO form (YYYY-MM-DD) in UTC, as the API writes dates. */
export function isoDate(date) {
  return date.toISOString().slice(0, 10);
}

export function addDays(isoDay, days) {
  const date = new Date(`${isoDay}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return isoDate(date);
}

export function todayUtc() {
  return isoDate(new Date());
}
