// Settings: the program settings form (validated by the server), the Ozon connection, and the admins list.

import { ApiError, api } from "/admin/app/api.js";
import { h, replace } from "/admin/app/dom.js";
import { fmt, t } from "/admin/app/i18n.js";
import {
  alertBox,
  announce,
  announceError,
  dataTable,
  dl,
  field,
  formAlert,
  integerOrText,
  onSubmit,
  pageHeader,
  section,
  showErrors,
} from "/admin/app/ui.js";
import { riskSettingsSection } from "/admin/app/views/settings_risks.js";
import { claimSettingsSection } from "/admin/app/views/settings_claims.js";

const TEXT_KEYS = ["conditions", "welcome", "ozon_id_howto", "withdrawal_instruction", "promo_code", "product_links"];
const MAX_LEVELS = 10;

/* ---------- values ---------- */

function decimalOrRaw(value) {
  return String(value ?? "").trim().replace(",", ".");
}

function same(a, b) {
  const numeric = (x) => (typeof x === "number" || (typeof x === "string" && /^[+-]?\d+(\.\d+)?$/.test(x)) ? Number(x) : x);
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => same(x, b[i]));
  }
  return numeric(a) === numeric(b);
}

/* ---------- program settings ---------- */

function ratesBlock(rates, count, readOnly) {
  const holder = h("div", { class: "rates", id: "level-rates" });
  const fill = (n, values) => {
    replace(
      holder,
      Array.from({ length: n }, (_, i) =>
        field({
          label: t("s.level_rate_n", { n: i + 1 }),
          name: `level_rate_${i}`,
          kind: "number",
          value: values[i] ?? "0",
          field: `level_rates.${i}`,
          attrs: { disabled: readOnly },
        }),
      ),
    );
  };
  fill(count, rates);
  holder.resize = (n) => {
    const current = [...holder.querySelectorAll("input")].map((input) => input.value);
    if (Number.isInteger(n) && n >= 1 && n <= MAX_LEVELS) fill(n, current);
  };
  return holder;
}

function settingsForm(loaded, canEdit, rerender) {
  const { settings, version } = loaded;
  const readOnly = !canEdit;
  const ro = { disabled: readOnly };
  const whole = { ...ro, inputmode: "numeric" };
  const levels = field({ label: t("s.levels"), name: "levels", kind: "number", value: String(settings.levels), hint: t("s.levels_hint"), attrs: whole });
  const rates = ratesBlock(settings.level_rates, settings.levels, readOnly);
  levels.control.addEventListener("input", () => rates.resize(Number(levels.control.value)));

  const textFields = TEXT_KEYS.map((key) => {
    const legend = t(`s.text_${key}`);
    // "Russian" alone is ambiguous out of context: the legend is part of each field's name.
    const textField = (language) =>
      field({
        label: [language === "ru" ? t("s.ru") : t("s.en"), h("span", { class: "visually-hidden" }, ` — ${legend}`)],
        name: `text_${key}_${language}`,
        kind: "textarea",
        value: settings.texts[key][language],
        field: `texts.${key}.${language}`,
        wide: true,
        attrs: { ...ro, lang: language },
      });
    return h("fieldset", { class: "text-setting" }, h("legend", {}, legend), textField("ru"), textField("en"));
  });

  const form = h(
    "form",
    { class: "settings-form", "aria-labelledby": "settings-title" },
    h("h2", { id: "settings-title" }, t("s.program"), h("span", { class: "muted" }, ` · ${t("s.version", { n: version })}`)),
    readOnly ? h("p", { class: "note" }, t("s.owner_only")) : null,
    formAlert(),
    h(
      "fieldset",
      { class: "group" },
      h("legend", {}, t("s.rewards")),
      h(
        "div",
        { class: "form-grid" },
        levels,
        field({ label: t("s.own_rate"), name: "own_rate", kind: "number", value: settings.own_rate, hint: t("s.rate_hint"), attrs: ro }),
      ),
      h("p", { class: "hint" }, t("s.rates_hint")),
      rates,
    ),
    h(
      "fieldset",
      { class: "group" },
      h("legend", {}, t("s.points")),
      h(
        "div",
        { class: "form-grid" },
        field({
          label: t("s.hold_days"),
          name: "hold_days",
          kind: "number",
          value: String(settings.hold_days),
          hint: t("s.hold_days_hint"),
          attrs: whole,
        }),
        field({ label: t("s.point_rate"), name: "point_rate", kind: "number", value: settings.point_rate, hint: t("s.point_rate_hint"), attrs: ro }),
        field({ label: t("s.min_withdrawal"), name: "min_withdrawal", kind: "number", value: String(settings.min_withdrawal), attrs: whole }),
        field({
          label: t("s.max_withdrawal"),
          name: "max_withdrawal",
          kind: "number",
          value: settings.max_withdrawal === null ? "" : String(settings.max_withdrawal),
          hint: t("s.max_withdrawal_hint"),
          attrs: { ...ro, inputmode: "numeric" },
        }),
      ),
      field({
        label: t("s.invite_only_new_buyers"),
        name: "invite_only_new_buyers",
        kind: "checkbox",
        value: settings.invite_only_new_buyers,
        hint: t("s.invite_hint"),
        attrs: ro,
      }),
    ),
    h("fieldset", { class: "group" }, h("legend", {}, t("s.texts")), h("p", { class: "hint" }, t("s.texts_hint")), textFields),
    canEdit
      ? h(
          "div",
          { class: "save-bar" },
          field({ label: t("s.reason"), name: "reason", kind: "text", attrs: { maxlength: 500 } }),
          h("button", { type: "submit", class: "btn btn-primary" }, t("s.save")),
        )
      : null,
  );

  onSubmit(form, async (data) => {
    const proposed = {
      levels: integerOrText(data.get("levels")),
      level_rates: [...rates.querySelectorAll("input")].map((input) => decimalOrRaw(input.value)),
      own_rate: decimalOrRaw(data.get("own_rate")),
      hold_days: integerOrText(data.get("hold_days")),
      point_rate: decimalOrRaw(data.get("point_rate")),
      min_withdrawal: integerOrText(data.get("min_withdrawal")),
      max_withdrawal: integerOrText(data.get("max_withdrawal"), null),
      invite_only_new_buyers: data.get("invite_only_new_buyers") !== null,
    };
    const changes = {};
    for (const [key, value] of Object.entries(proposed)) {
      if (!same(value, settings[key])) changes[key] = value;
    }
    const texts = {};
    for (const key of TEXT_KEYS) {
      const ru = String(data.get(`text_${key}_ru`) ?? "");
      const en = String(data.get(`text_${key}_en`) ?? "");
      if (ru !== settings.texts[key].ru || en !== settings.texts[key].en) texts[key] = { ru, en };
    }
    if (Object.keys(texts).length) changes.texts = texts;
    if (!Object.keys(changes).length) {
      announce(t("s.nothing"));
      return;
    }
    try {
      const reason = String(data.get("reason") || "").trim();
      const saved = await api.put("/settings", { expected_version: version, changes, reason: reason || null });
      announce(t("s.saved", { n: saved.version }));
      rerender();
    } catch (error) {
      // Changed meanwhile: offer to reload. Values that do not fit together (a 409 too) are shown as field errors.
      if (error instanceof ApiError && error.status === 409 && error.details?.reason === "stale") {
        showErrors(form, error);
        const slot = form.querySelector(".form-alert");
        slot.append(h("button", { type: "button", class: "btn", onclick: rerender }, t("s.reload")));
        return;
      }
      throw error;
    }
  });
  return form;
}

/* ---------- Ozon connection ---------- */

async function ozonSection(canEdit, rerender) {
  let ozon;
  try {
    ozon = await api.get("/settings/ozon");
  } catch (error) {
    return section(t("o.title"), alertBox(error));
  }
  const status = h(
    "div",
    {},
    dl([
      [t("o.source"), t(`o.source_${ozon.source}`)],
      [t("o.client_id"), ozon.client_id || "—"],
      [t("o.key"), ozon.api_key_set ? t("o.key_set") : t("o.key_not_set")],
      [t("o.last_success"), fmt.dateTime(ozon.last_success_at)],
      [t("o.last_error_at"), fmt.dateTime(ozon.last_error_at)],
      [t("o.last_error"), ozon.error_code ? t(`o.err_${ozon.error_code}`) : "—"],
      ...(ozon.streams || []).map((stream) => [
        `${t("o.stream")} ${stream.stream}`,
        stream.state === "failing"
          ? `${t("o.stream_failing")} ${fmt.dateTime(stream.failing_since)}: ${stream.reason || "—"}`
          : `${t(stream.state === "ok" ? "o.stream_ok" : "o.stream_new")} ${fmt.dateTime(stream.last_success_at)}`,
      ]),
    ]),
  );
  if (!canEdit) return section(t("o.title"), status, h("p", { class: "note" }, t("s.owner_only")));
  const form = h(
    "form",
    { class: "edit-form" },
    formAlert(),
    h(
      "div",
      { class: "form-grid" },
      field({ label: t("o.client_id"), name: "client_id", value: ozon.client_id || "", attrs: { inputmode: "numeric", autocomplete: "off" } }),
      field({
        label: t("o.key_new"),
        name: "api_key",
        kind: "password",
        field: "api_key",
        hint: ozon.api_key_set ? t("o.key_keep") : t("o.key_required"),
        attrs: { autocomplete: "new-password" },
      }),
    ),
    h("button", { type: "submit", class: "btn btn-primary" }, t("o.save")),
  );
  const clear =
    ozon.source === "operator"
      ? h(
          "button",
          {
            type: "button",
            class: "btn",
            onclick: async () => {
              if (!window.confirm(t("o.clear_confirm"))) return;
              try {
                await api.del("/settings/ozon");
                announce(t("o.cleared"));
                rerender();
              } catch (error) {
                announceError(error);
              }
            },
          },
          t("o.clear"),
        )
      : "";
  onSubmit(form, async (data) => {
    const key = String(data.get("api_key") || "").trim();
    const body = { client_id: String(data.get("client_id") || "").trim() };
    if (key) body.api_key = key;
    await api.put("/settings/ozon", body);
    announce(t("o.saved"));
    rerender();
  });
  return section(t("o.title"), status, form, clear);
}

/* ---------- admins ---------- */

async function adminsSection(me) {
  const holder = section(t("a.title"));
  holder.id = "admins";
  const body = h("div", {});
  holder.append(body);
  async function load() {
    let list;
    try {
      list = await api.get("/admins");
    } catch (error) {
      replace(body, alertBox(error));
      return;
    }
    replace(body, adminsTable(list.items, me, load), addAdminForm(load));
  }
  await load();
  return holder;
}

function adminAction(label, handler, className = "btn btn-small") {
  const button = h("button", { type: "button", class: className }, label);
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await handler(button);
    } catch (error) {
      announceError(error);
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

function adminsTable(items, me, reload) {
  return dataTable({
    caption: t("a.title"),
    columns: [
      { key: "telegram_id", label: t("a.id"), render: (a) => a.telegram_id },
      { key: "name", label: t("a.name"), render: (a) => a.name || "—" },
      { key: "role", label: t("a.role"), render: (a) => t(`role.${a.role}`) },
      {
        key: "state",
        label: t("a.state"),
        render: (a) => {
          const [look, key] = !a.active ? ["cancelled", "a.removed"] : a.blocked ? ["blocked", "a.blocked"] : ["paid", "a.active"];
          return h("span", { class: ["status", `status-${look}`] }, t(key));
        },
      },
      { key: "added_by", label: t("a.added_by"), render: (a) => a.added_by || "—" },
      { key: "created_at", label: t("a.created"), render: (a) => fmt.date(a.created_at) },
      {
        key: "actions",
        label: t("a.actions"),
        render: (a) => {
          if (a.telegram_id === me.telegram_id) return h("span", { class: "muted" }, t("a.you"));
          if (!a.active) return "—";
          const who = a.name || a.telegram_id;
          const role = a.role === "owner" ? "operator" : "owner";
          return h(
            "div",
            { class: "row-actions" },
            adminAction(t(`a.make_${role}`), async () => {
              await api.put(`/admins/${a.telegram_id}/role`, { role });
              announce(t("a.role_done", { who, role: t(`role.${role}`) }));
              await reload();
            }),
            adminAction(a.blocked ? t("a.unblock") : t("a.block"), async () => {
              await api.put(`/admins/${a.telegram_id}/blocked`, { blocked: !a.blocked, reason: null });
              announce(t(a.blocked ? "a.unblocked" : "a.blocked_done", { who }));
              await reload();
            }),
            adminAction(
              t("a.remove"),
              async (button) => {
                if (button.dataset.armed !== "true") {
                  button.dataset.armed = "true";
                  button.textContent = t("a.remove_confirm", { who });
                  return;
                }
                await api.del(`/admins/${a.telegram_id}`);
                announce(t("a.removed_done", { who }));
                await reload();
              },
              "btn btn-small btn-danger-outline",
            ),
          );
        },
      },
    ],
    rows: items,
    empty: t("a.none"),
  });
}

function addAdminForm(reload) {
  const form = h(
    "form",
    { class: "edit-form", "aria-labelledby": "add-admin-title" },
    h("h3", { id: "add-admin-title" }, t("a.add")),
    formAlert(),
    h(
      "div",
      { class: "form-grid" },
      field({ label: t("a.id"), name: "telegram_id", required: true, attrs: { inputmode: "numeric", autocomplete: "off" } }),
      field({ label: t("a.name"), name: "name" }),
      field({
        label: t("a.role"),
        name: "role",
        kind: "select",
        value: "operator",
        options: [
          { value: "operator", label: t("role.operator") },
          { value: "owner", label: t("role.owner") },
        ],
      }),
    ),
    h("button", { type: "submit", class: "btn btn-primary" }, t("a.add_submit")),
  );
  onSubmit(form, async (data) => {
    const name = String(data.get("name") || "").trim();
    const row = await api.post("/admins", { telegram_id: String(data.get("telegram_id") || "").trim(), name: name || null, role: data.get("role") });
    announce(t("a.added", { who: row.name || row.telegram_id }));
    await reload();
  });
  return form;
}

/* ---------- the screen ---------- */

export async function render({ admin, navigate }) {
  const canEdit = admin.role === "owner";
  const loaded = await api.get("/settings");
  const rerender = () => navigate("settings");
  const program = h("section", { class: "panel" }, settingsForm(loaded, canEdit, rerender));
  const parts = [pageHeader(t("s.title")), program, await ozonSection(canEdit, rerender)];
  parts.push(await riskSettingsSection(canEdit, rerender));
  parts.push(await claimSettingsSection(canEdit, rerender));
  if (canEdit) parts.push(await adminsSection(admin));
  return h("div", { class: "view view-settings" }, parts);
}
