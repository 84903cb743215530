// The console's router: #/desk, #/reservations/{id}, #/timeline/{id}, #/arrivals, #/ops, #/keys.
// Each view renders into <main> and gets a Life: an AbortSignal and timers that end when the
// user navigates away, so no poll outlives its page.
import { getKey } from "./keys.js";
import { renderArrivals } from "./views/arrivals.js";
import { renderDesk } from "./views/desk.js";
import { renderKeys } from "./views/keys.js";
import { renderOps } from "./views/ops.js";
import { renderReservation } from "./views/reservation.js";
import { renderTimeline } from "./views/timeline.js";

const ROUTES = [
  [/^#\/desk$/, renderDesk, "#/desk"],
  [/^#\/reservations\/([0-9a-fA-F-]{36})$/, renderReservation, "#/desk"],
  [/^#\/timeline\/([0-9a-fA-F-]{36})$/, renderTimeline, "#/desk"],
  [/^#\/arrivals$/, renderArrivals, "#/arrivals"],
  [/^#\/ops$/, renderOps, "#/ops"],
  [/^#\/keys$/, renderKeys, "#/keys"],
];

class Life {
  constructor() {
    this.controller = new AbortController();
    this.timers = new Set();
  }

  get signal() {
    return this.controller.signal;
  }

  get alive() {
    return !this.controller.signal.aborted;
  }

  /** Call fn after ms milliseconds, unless the page is left first. */
  later(ms, fn) {
    const id = setTimeout(() => {
      this.timers.delete(id);
      if (this.alive) fn();
    }, ms);
    this.timers.add(id);
    return id;
  }

  end() {
    this.controller.abort();
    for (const id of this.timers) clearTimeout(id);
  }
}

let current = null;

function route(moved) {
  // An in-page anchor (the skip link) keeps the page that is shown; on a fresh load there is
  // none, so it falls through to the default page.
  if (location.hash && !location.hash.startsWith("#/") && current) return;
  const hash = location.hash;
  if (!getKey("function") && hash !== "#/keys") {
    location.replace("#/keys");
    return;
  }
  const found = ROUTES.map(([pattern, view, nav]) => [hash.match(pattern), view, nav]).find(([m]) => m);
  if (!found) {
    location.replace("#/desk");
    return;
  }
  const [match, view, nav] = found;
  current?.end();
  current = new Life();
  for (const link of document.querySelectorAll(".top a")) {
    if (link.getAttribute("href") === nav) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const main = document.getElementById("main");
  main.replaceChildren();
  view(main, match.slice(1), current);
  const heading = main.querySelector("h1");
  document.title = heading ? `${heading.textContent} - Hotel console` : "Hotel console";
  // After a navigation, reading starts at the new page; on the first load focus stays at the
  // top, so the first Tab reaches the skip link.
  if (moved) main.focus();
}

window.addEventListener("hashchange", () => route(true));
route(false);
