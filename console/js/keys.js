// The keys the user enters once per browser tab: kept in sessionStorage, never in the page.
// Front-desk pages send the function key; operations (admin level) send the master key.

const STORAGE = { function: "console.functionKey", master: "console.masterKey" };

export function getKey(kind) {
  return sessionStorage.getItem(STORAGE[kind]) || "";
}

export function setKey(kind, value) {
  if (value) sessionStorage.setItem(STORAGE[kind], value);
  else sessionStorage.removeItem(STORAGE[kind]);
}

export function forgetKeys() {
  for (const name of Object.values(STORAGE)) sessionStorage.removeItem(name);
}
