// Login: the Telegram Login Widget, and on local runs a login by Telegram id.

import { api } from "/admin/app/api.js";
import { h } from "/admin/app/dom.js";
import { t } from "/admin/app/i18n.js";
import { alertBox, field, formAlert, onSubmit } from "/admin/app/ui.js";

const WIDGET_SRC = "https://telegram.org/js/telegram-widget.js?22";

function telegramWidget(botUsername, status) {
  // The widget redirects back to the app with the signed user (``data-auth-url``); app.js completes the
  // login. A ``data-onauth`` callback would need the widget to evaluate code, which the app's CSP forbids.
  const holder = h("div", { class: "tg-widget" });
  const script = document.createElement("script");
  script.async = true;
  script.src = WIDGET_SRC;
  script.setAttribute("data-telegram-login", botUsername);
  script.setAttribute("data-size", "large");
  script.setAttribute("data-userpic", "false");
  script.setAttribute("data-lang", document.documentElement.lang || "ru");
  script.setAttribute("data-auth-url", `${window.location.origin}/admin/app`);
  script.addEventListener("error", () => {
    status.textContent = t("login.widget_failed");
  });
  holder.append(script);
  return holder;
}

export function render({ config, onSession }) {
  const status = h("p", { class: "login-status", role: "status", "aria-live": "polite" });
  const parts = [h("h1", { tabindex: "-1" }, t("login.title")), h("p", { class: "lead" }, t("login.lead"))];

  if (config.bot_username) {
    parts.push(h("div", { class: "login-block" }, h("h2", {}, t("login.telegram")), telegramWidget(config.bot_username, status)));
  } else {
    parts.push(h("p", { class: "note" }, t("login.no_bot")));
  }

  if (config.dev_login) {
    const idField = field({
      label: t("login.dev_id"),
      name: "telegram_id",
      value: "100",
      required: true,
      attrs: { inputmode: "numeric", autocomplete: "username" },
    });
    const form = h(
      "form",
      { class: "login-block dev-login", "aria-labelledby": "dev-login-title" },
      h("h2", { id: "dev-login-title" }, t("login.dev_title")),
      h("p", { class: "hint" }, t("login.dev_hint")),
      formAlert(),
      idField,
      h("button", { type: "submit", class: "btn btn-primary" }, t("login.dev_submit")),
    );
    onSubmit(form, async (data) => {
      const session = await api.public("POST", "/auth/dev", { telegram_id: String(data.get("telegram_id") || "").trim() });
      onSession(session);
    });
    parts.push(form);
  }
  parts.push(status);
  return h("div", { class: "login-card" }, parts);
}

/** The login options could not be read: say so and offer to ask again. */
export function unavailable({ error, retry }) {
  return h(
    "div",
    { class: "login-card" },
    h("h1", { tabindex: "-1" }, t("login.title")),
    h("p", {}, t("login.config_failed")),
    alertBox(error),
    h("button", { type: "button", class: "btn btn-primary", onclick: retry }, t("login.retry")),
  );
}
