// The dashboard's money strip: points owed, accrued and paid this month and last, requests waiting, sync health.

import { api } from "/admin/app/api.js";
import { h, replace } from "/admin/app/dom.js";
import { fmt, t, tn } from "/admin/app/i18n.js";
import { alertBox, dataTable, loading, section } from "/admin/app/ui.js";

export function pointsRub(value) {
  return t("money.points_rub", { points: fmt.int(value.points), rub: fmt.money(value.rub) });
}

function stat(key, label, value) {
  return h("div", { class: "stat", dataset: { money: key } }, h("span", { class: "stat-label" }, label), h("span", { class: "stat-value" }, value));
}

function monthsTable(strip) {
  const rows = [
    ["this_month", strip.this_month],
    ["last_month", strip.last_month],
  ].map(([key, m]) => ({ key, ...m }));
  return dataTable({
    caption: t("money.months"),
    columns: [
      { key: "month", label: t("money.month"), render: (r) => `${t(`money.${r.key}`)} (${r.month})` },
      { key: "accrued", label: t("money.accrued"), num: true, render: (r) => pointsRub(r.accrued) },
      { key: "reversed", label: t("money.reversed"), num: true, render: (r) => pointsRub(r.reversed) },
      { key: "paid", label: t("money.paid"), num: true, render: (r) => pointsRub(r.paid) },
    ],
    rows,
    stack: true,
  });
}

function syncTable(strip) {
  return dataTable({
    caption: t("money.sync"),
    columns: [
      { key: "stream", label: t("money.stream"), render: (r) => r.stream },
      { key: "state", label: t("money.state"), render: (r) => h("span", { class: ["status", `status-${r.state}`] }, t(`money.state_${r.state}`)) },
      { key: "last_success_at", label: t("money.last_success"), render: (r) => fmt.dateTime(r.last_success_at) },
      { key: "failing_since", label: t("money.failing_since"), render: (r) => fmt.dateTime(r.failing_since) },
      { key: "reason", label: t("money.reason"), render: (r) => r.reason || "—" },
    ],
    rows: strip.sync,
    stack: true,
  });
}

function content(strip) {
  const w = strip.waiting;
  return [
    h(
      "div",
      { class: "stat-grid" },
      stat("owed", t("money.owed"), pointsRub(strip.owed)),
      stat("frozen", t("money.frozen"), pointsRub(strip.frozen)),
      stat("available", t("money.available"), pointsRub(strip.available)),
      stat("waiting", t("money.waiting"), tn("money.waiting_n", w.count, { points: fmt.int(w.points), rub: fmt.money(w.rub) })),
    ),
    h("p", { class: "muted" }, `${t("money.rate", { rate: fmt.money(strip.point_rate) })} · ${t("money.as_of", { at: fmt.dateTime(strip.as_of) })}`),
    h("h3", {}, t("money.months")),
    monthsTable(strip),
    h("h3", {}, t("money.sync")),
    syncTable(strip),
  ];
}

/** The strip as a section that fills itself in when the numbers arrive. */
export function moneyStrip() {
  const body = h("div", { "aria-live": "polite", "aria-busy": "true" }, loading());
  const panel = section(t("money.title"), body);
  panel.classList.add("money-strip");
  api
    .get("/statistics/money")
    .then((strip) => replace(body, ...content(strip)))
    .catch((error) => replace(body, alertBox(error)))
    .finally(() => body.setAttribute("aria-busy", "false"));
  return panel;
}
