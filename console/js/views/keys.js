// The keys form: what each key opens, kept for this browser tab only.
import { h } from "../dom.js";
import { forgetKeys, getKey, setKey } from "../keys.js";

export function renderKeys(main) {
  const functionKey = h("input", {
    id: "function-key", name: "functionKey", type: "password", autocomplete: "off",
    value: getKey("function"), "aria-describedby": "function-key-hint", required: true,
  });
  const masterKey = h("input", {
    id: "master-key", name: "masterKey", type: "password", autocomplete: "off",
    value: getKey("master"), "aria-describedby": "master-key-hint",
  });
  const status = h("p", { class: "message info", role: "status" });
  const form = h(
    "form",
    {
      on: {
        submit: (event) => {
          event.preventDefault();
          setKey("function", functionKey.value.trim());
          setKey("master", masterKey.value.trim());
          if (!getKey("function")) {
            status.textContent = "Enter the function key: every page needs it.";
            functionKey.focus();
            return;
          }
          location.hash = "#/desk";
        },
      },
    },
    h(
      "div",
      { class: "field" },
      h("label", { for: "function-key" }, "Function key"),
      functionKey,
      h(
        "p",
        { id: "function-key-hint", class: "hint" },
        "Sent with every front-desk call (hotels, bookings, arrivals). Locally: DEVSTACK_FUNCTION_KEY ",
        "in local.settings.json, shown by the banner of make run. In Azure: a function key of the app.",
      ),
    ),
    h(
      "div",
      { class: "field" },
      h("label", { for: "master-key" }, "Master key (operations only)"),
      masterKey,
      h(
        "p",
        { id: "master-key-hint", class: "hint" },
        "The dead-letter routes are admin level: only the host's master key opens them. ",
        "Locally: DEVSTACK_MASTER_KEY in local.settings.json. In Azure: the app's _master host key. ",
        "Leave it empty if you do not operate the system.",
      ),
    ),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit" }, "Save for this tab"),
      h(
        "button",
        {
          type: "button",
          class: "secondary",
          on: {
            click: () => {
              forgetKeys();
              functionKey.value = "";
              masterKey.value = "";
              status.textContent = "Both keys are forgotten.";
            },
          },
        },
        "Forget the keys",
      ),
    ),
    status,
  );
  main.append(
    h("h1", {}, "Keys"),
    h(
      "p",
      { class: "hint" },
      "The console holds no key. The keys you enter stay in this browser tab (sessionStorage) ",
      "and go only to this app's API; closing the tab forgets them.",
    ),
    form,
  );
}
