// Statistics: the 12-month dashboard as SVG charts, the top-100 ratings and the CSV exports.

import { api, downloadCsv } from "/admin/app/api.js";
import { monthlyChart } from "/admin/app/charts.js";
import { healthSection } from "/admin/app/views/health.js";
import { moneyStrip } from "/admin/app/views/statistics_money.js";
import { h, replace } from "/admin/app/dom.js";
import { fmt, getLang, t } from "/admin/app/i18n.js";
import { alertBox, announce, announceError, dataTable, field, formAlert, onSubmit, pageHeader, participantLink, section } from "/admin/app/ui.js";

/** Dashboard metrics: [name, format, chart kind], grouped as SPEC §7 lists them. */
const GROUPS = [
  ["participants", [["participants_new", "int", "bar"], ["participants_total", "int", "line"]]],
  ["sales", [["sales_orders", "int", "bar"], ["sales_sum", "money", "bar"], ["average_order", "money", "line"]]],
  [
    "withdrawals",
    [
      ["withdrawals_requested", "int", "bar"],
      ["withdrawals_paid", "int", "bar"],
      ["points_withdrawn", "int", "bar"],
      ["fiat_withdrawn", "money", "bar"],
    ],
  ],
  [
    "referrals",
    [
      ["referrals_first_purchase", "int", "bar"],
      ["referrals_with_purchase_total", "int", "line"],
      ["referrals_with_purchase_share", "share", "line"],
      ["avg_days_to_first_purchase", "days", "line"],
      ["active_referrals", "int", "bar"],
    ],
  ],
  ["links", [["links_total", "int", "line"], ["avg_referrals_per_link", "decimal", "line"]]],
  ["quality", [["repeat_purchase_share", "share", "line"], ["return_share", "share", "line"]]],
];
const RATING_KINDS = ["referrals", "network_orders", "network_sum", "withdrawn"];

function formatter(kind) {
  return (value, short = false) => {
    if (kind === "money") return short ? fmt.compact(value) : fmt.money(value);
    if (kind === "share") return fmt.percent(value);
    if (kind === "days") return short ? fmt.compact(value) : t("stat.days_n", { n: fmt.decimal(value, 1), count: Number(value) });
    if (kind === "decimal") return fmt.decimal(value, 2);
    return short ? fmt.compact(value) : fmt.int(value);
  };
}

/** "2026-03" → "мар 26" / "Mar 26". */
function monthLabels(months) {
  const locale = getLang() === "en" ? "en-GB" : "ru-RU";
  const monthName = new Intl.DateTimeFormat(locale, { month: "short", timeZone: "UTC" });
  return months.map((m) => {
    const [year, month] = m.split("-").map(Number);
    const date = new Date(Date.UTC(year, month - 1, 1));
    return `${monthName.format(date).replace(".", "")} ${String(year).slice(2)}`;
  });
}

function metricCard(name, format, kind, dashboard, labels) {
  // Amounts may come as decimal strings ("11570.00"): numbers for the chart's arithmetic.
  const values = (dashboard.series[name] || Array(dashboard.months.length).fill(0)).map(Number);
  const show = formatter(format);
  const last = values.length ? values[values.length - 1] : 0;
  const title = t(`metric.${name}`);
  const summary = t("stat.chart_label", { metric: title, last: show(last), max: show(Math.max(0, ...values)) });
  const table = h(
    "table",
    { class: "data compact" },
    h("caption", { class: "visually-hidden" }, title),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("stat.month")), h("th", { scope: "col", class: "num" }, t("stat.value")))),
    h(
      "tbody",
      {},
      dashboard.months.map((m, i) => h("tr", {}, h("th", { scope: "row" }, m), h("td", { class: "num" }, show(values[i] ?? 0)))),
    ),
  );
  return h(
    "figure",
    { class: "metric", dataset: { metric: name } },
    h("figcaption", {}, h("span", { class: "metric-title" }, title), h("span", { class: "metric-last" }, show(last))),
    monthlyChart({ values, labels, format: show, kind, label: summary, integer: format === "int" }),
    h("details", { class: "metric-data" }, h("summary", {}, t("stat.data")), table),
  );
}

async function dashboardSection(rerender) {
  let dashboard;
  try {
    dashboard = await api.get("/statistics/dashboard");
  } catch (error) {
    return section(t("stat.dashboard"), alertBox(error));
  }
  const labels = monthLabels(dashboard.months);
  const rollup = h("button", { type: "button", class: "btn btn-small" }, t("stat.rollup"));
  rollup.addEventListener("click", async () => {
    rollup.disabled = true;
    try {
      const done = await api.post("/statistics/rollup");
      announce(t("stat.rollup_done", { months: done.months.join(", ") }));
      rerender();
    } catch (error) {
      announceError(error);
    } finally {
      rollup.disabled = false;
    }
  });
  return section(
    t("stat.dashboard"),
    h(
      "div",
      { class: "toolbar" },
      h("p", { class: "muted" }, dashboard.updated_at ? t("stat.updated", { at: fmt.dateTime(dashboard.updated_at) }) : t("stat.never")),
      rollup,
    ),
    GROUPS.map(([group, metrics]) =>
      h(
        "div",
        { class: "metric-group" },
        h("h3", {}, t(`stat.group_${group}`)),
        h(
          "div",
          { class: "metric-grid" },
          metrics.map(([name, format, kind]) => metricCard(name, format, kind, dashboard, labels)),
        ),
      ),
    ),
  );
}

function ratingsSection() {
  const holder = h("div", { "aria-live": "polite" });
  const buttons = RATING_KINDS.map((kind) =>
    h(
      "button",
      { type: "button", class: "btn btn-small", "aria-pressed": "false", dataset: { kind }, onclick: () => show(kind) },
      t(`rating.${kind}`),
    ),
  );
  async function show(kind) {
    for (const b of buttons) b.setAttribute("aria-pressed", String(b.dataset.kind === kind));
    holder.setAttribute("aria-busy", "true");
    try {
      const rating = await api.get(`/statistics/ratings/${kind}`, { limit: 100 });
      // Nobody is "top" with nothing: zero rows are left out.
      const rows = rating.items.filter((r) => Number(r.value) > 0);
      const format = kind === "network_sum" ? (v) => fmt.money(v) : (v) => fmt.int(Number(v));
      replace(
        holder,
        dataTable({
          caption: t(`rating.${kind}`),
          columns: [
            { key: "rank", label: t("rating.rank"), num: true, render: (r) => String(r.rank) },
            { key: "participant_id", label: t("rating.participant"), render: (r) => participantLink(r.participant_id, r.name) },
            { key: "value", label: t(`rating.value_${kind}`), num: true, render: (r) => format(r.value) },
          ],
          rows,
          empty: t("rating.none"),
        }),
      );
    } catch (error) {
      replace(holder, alertBox(error));
    } finally {
      holder.setAttribute("aria-busy", "false");
    }
  }
  const node = section(t("rating.title"), h("div", { class: "quick-filters", role: "group", "aria-label": t("rating.kind") }, buttons), holder);
  node.id = "ratings";
  node.load = () => show(RATING_KINDS[0]);
  return node;
}

function isoDay(date) {
  return date.toISOString().slice(0, 10);
}

function exportForm({ title, hint, path, filename, period = false, referralsOnly = false }) {
  const today = new Date();
  const monthAgo = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() - 1, today.getUTCDate()));
  const form = h(
    "form",
    { class: "export-form", "aria-label": title },
    h("h3", {}, title),
    h("p", { class: "hint" }, hint),
    formAlert(),
    period
      ? h(
          "div",
          { class: "form-grid" },
          field({ label: t("common.from"), name: "from", kind: "date", value: isoDay(monthAgo), required: true }),
          field({ label: t("common.to"), name: "to", kind: "date", value: isoDay(today), required: true }),
        )
      : null,
    referralsOnly ? field({ label: t("exp.referrals_only"), name: "referrals_only", kind: "checkbox", value: true }) : null,
    h("button", { type: "submit", class: "btn btn-primary" }, t("exp.download")),
  );
  onSubmit(form, async (data) => {
    const query = { lang: getLang() }; // the header row in the operator's language
    if (period) {
      query.from = data.get("from");
      query.to = data.get("to");
    }
    if (referralsOnly) query.referrals_only = data.get("referrals_only") !== null ? "true" : "false";
    const name = period ? filename.replace(".csv", `_${query.from}_${query.to}.csv`) : filename;
    const result = await downloadCsv(path, query, name);
    if (result.complete) announce(t("exp.done", { name, kb: fmt.decimal(result.bytes / 1024, 1) }));
    else replace(form.querySelector(".form-alert"), h("p", { class: "note", role: "alert" }, t("exp.incomplete", { name, parts: result.parts })));
  });
  return form;
}

function exportsSection() {
  return section(
    t("exp.title"),
    h(
      "div",
      { class: "edit-grid" },
      exportForm({ title: t("exp.tree"), hint: t("exp.tree_hint"), path: "/exports/referral-tree.csv", filename: "referral-tree.csv" }),
      exportForm({
        title: t("exp.purchases"),
        hint: t("exp.purchases_hint"),
        path: "/exports/purchases.csv",
        filename: "purchases.csv",
        period: true,
        referralsOnly: true,
      }),
      exportForm({ title: t("exp.stats"), hint: t("exp.stats_hint"), path: "/exports/referral-stats.csv", filename: "referral-stats.csv", period: true }),
    ),
  );
}

export async function render({ admin, navigate }) {
  const rerender = () => navigate("statistics");
  const ratings = ratingsSection();
  const [dashboard, health] = await Promise.all([dashboardSection(rerender), healthSection(admin), ratings.load()]);
  return h("div", { class: "view view-statistics" }, pageHeader(t("stat.title")), health, moneyStrip(), dashboard, ratings, exportsSection());
}
