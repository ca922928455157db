// The settings screen's thresholds of the fraud signals (owners edit them; the whole section is saved at once).

import { api } from "/admin/app/api.js";
import { h } from "/admin/app/dom.js";
import { t } from "/admin/app/i18n.js";
import { announce, field, formAlert, onSubmit } from "/admin/app/ui.js";

const NUMBERS = [
  "shared_payout_participants",
  "registration_burst_count",
  "registration_burst_minutes",
  "refund_rate_percent",
  "refund_min_orders",
  "claim_burst_count",
  "claim_burst_hours",
  "shared_ozon_id_participants",
  "claim_only_min_orders",
];

export async function riskSettingsSection(canEdit, rerender) {
  const { settings, version } = await api.get("/settings");
  const risks = settings.risks;
  const ro = { disabled: !canEdit };
  const form = h(
    "form",
    { class: "settings-form risk-settings", "aria-labelledby": "risk-settings-title" },
    h("h2", { id: "risk-settings-title" }, t("rs.title")),
    formAlert(),
    field({ label: t("rs.enabled"), name: "enabled", kind: "checkbox", value: risks.enabled, field: "risks.enabled", attrs: ro }),
    h(
      "div",
      { class: "edit-grid" },
      NUMBERS.map((key) =>
        field({ label: t(`rs.${key}`), name: key, kind: "number", value: String(risks[key]), field: `risks.${key}`, attrs: { ...ro, inputmode: "numeric" } }),
      ),
    ),
    canEdit ? h("button", { type: "submit", class: "btn btn-primary" }, t("rs.save")) : null,
  );
  onSubmit(form, async (data) => {
    const changed = { enabled: data.get("enabled") !== null };
    for (const key of NUMBERS) {
      const raw = String(data.get(key) ?? "").trim();
      changed[key] = /^\d+$/.test(raw) ? Number(raw) : raw;
    }
    const saved = await api.put("/settings", { expected_version: version, changes: { risks: changed }, reason: null });
    announce(t("s.saved", { n: saved.version }));
    rerender();
  });
  return h("section", { class: "panel" }, form);
}
