// The dashboard's health panel (owners): the preflight checks, each failure with what to do.

import { api } from "/admin/app/api.js";
import { h } from "/admin/app/dom.js";
import { fmt, t } from "/admin/app/i18n.js";
import { alertBox, section } from "/admin/app/ui.js";

const CHECKS = ["bot_token", "webhook", "operators_chat", "ozon_key", "table", "sync_streams", "payout_key"];

function checkRow(check) {
  const state = check.ok ? t("health.ok") : t("health.fail");
  const failing = Object.entries(check.facts?.failing || {}).map(
    ([stream, f]) => `${stream}: ${f.reason || "—"} (${t("health.since")} ${fmt.dateTime(f.since)})`,
  );
  const advice = check.ok ? "" : [t(`health.fix_${check.problem}`), ...failing].join(" · ");
  return h(
    "tr",
    { class: check.ok ? "health-ok" : "health-fail" },
    h("th", { scope: "row" }, t(`health.check_${check.check}`)),
    h("td", {}, h("span", { class: check.ok ? "badge badge-ok" : "badge" }, state)),
    h("td", {}, advice),
  );
}

/** The panel, or nothing for an operator (the checks read the deployment's secrets: owners only). */
export async function healthSection(admin) {
  if (admin?.role !== "owner") return "";
  let health;
  try {
    health = await api.get("/health");
  } catch (error) {
    return section(t("health.title"), alertBox(error));
  }
  const rows = CHECKS.map((name) => health.checks.find((c) => c.check === name)).filter(Boolean);
  return section(
    t("health.title"),
    h("p", { class: "note", role: "status" }, health.ok ? t("health.all_ok") : t("health.some_fail")),
    h(
      "table",
      { class: "data-table health-table" },
      h("caption", { class: "visually-hidden" }, t("health.title")),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("health.col_check")), h("th", { scope: "col" }, t("health.col_state")), h("th", { scope: "col" }, t("health.col_todo")))),
      h("tbody", {}, rows.map(checkRow)),
    ),
  );
}
