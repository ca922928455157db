// The settings screen's order claims section: which claims wait for an operator and how a claim's proof is checked.

import { api } from "/admin/app/api.js";
import { h } from "/admin/app/dom.js";
import { t } from "/admin/app/i18n.js";
import { announce, field, formAlert, integerOrText, onSubmit } from "/admin/app/ui.js";

export const REVIEW_MODES = ["none", "above_amount", "all", "flagged"];
const AMOUNTS = ["review_above", "proof_tolerance"];
const COUNTS = ["attempts_per_participant", "attempts_per_order", "attempts_window_hours"];

/** A ruble amount as the API reads it (a decimal string): spaces dropped, a decimal comma made a point. */
function amountText(value) {
  return String(value ?? "").replace(/\s/g, "").replace(",", ".");
}

export async function claimSettingsSection(canEdit, rerender) {
  const { settings, version } = await api.get("/settings");
  const claims = settings.claims;
  const ro = { disabled: !canEdit };
  const form = h(
    "form",
    { class: "settings-form claim-settings", "aria-labelledby": "claim-settings-title" },
    h("h2", { id: "claim-settings-title" }, t("cls.title")),
    h("p", { class: "hint" }, t("cls.hint")),
    formAlert(),
    field({
      label: t("cls.review"),
      name: "review",
      kind: "select",
      value: claims.review,
      field: "claims.review",
      options: REVIEW_MODES.map((mode) => ({ value: mode, label: t(`clmode.${mode}`) })),
      attrs: ro,
    }),
    h(
      "div",
      { class: "edit-grid" },
      AMOUNTS.map((key) =>
        field({
          label: t(`cls.${key}`),
          name: key,
          kind: "number",
          value: String(claims[key]),
          field: `claims.${key}`,
          hint: t(`cls.${key}_hint`),
          attrs: ro,
        }),
      ),
      COUNTS.map((key) =>
        field({ label: t(`cls.${key}`), name: key, kind: "number", value: String(claims[key]), field: `claims.${key}`, attrs: { ...ro, inputmode: "numeric" } }),
      ),
    ),
    canEdit ? h("button", { type: "submit", class: "btn btn-primary" }, t("cls.save")) : null,
  );
  onSubmit(form, async (data) => {
    const changed = { review: String(data.get("review")) };
    for (const key of AMOUNTS) changed[key] = amountText(data.get(key));
    for (const key of COUNTS) changed[key] = integerOrText(data.get(key));
    const saved = await api.put("/settings", { expected_version: version, changes: { claims: changed }, reason: null });
    announce(t("s.saved", { n: saved.version }));
    rerender();
  });
  return h("section", { class: "panel" }, form);
}
