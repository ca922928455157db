// A participant's money on their card: balances in points and rubles, their links' counters, the last withdrawal.

import { api } from "/admin/app/api.js";
import { h, replace } from "/admin/app/dom.js";
import { fmt, t } from "/admin/app/i18n.js";
import { alertBox, dataTable, dl, loading, section, statusBadge } from "/admin/app/ui.js";
import { pointsRub } from "/admin/app/views/statistics_money.js";

function content(m) {
  const stats = [
    ["balance", t("pm.balance"), m.balance],
    ["available", t("money.available"), m.available],
    ["frozen", t("money.frozen"), m.frozen],
    ["reserved", t("money.reserved"), m.reserved],
    ["withdrawn", t("pm.withdrawn"), m.withdrawn],
  ];
  const last = m.last_withdrawal;
  return [
    h(
      "div",
      { class: "stat-grid" },
      stats.map(([key, label, value]) =>
        h("div", { class: "stat", dataset: { money: key } }, h("span", { class: "stat-label" }, label), h("span", { class: "stat-value" }, pointsRub(value))),
      ),
    ),
    dl([
      [
        t("pm.last_withdrawal"),
        last
          ? h(
              "span",
              { dataset: { money: "last_withdrawal" } },
              h("a", { href: `#/withdrawals/${encodeURIComponent(last.id)}` }, fmt.dateTime(last.created_at)),
              ` · ${pointsRub(last)} · `,
              statusBadge(last.status),
            )
          : t("pm.no_withdrawal"),
      ],
    ]),
    h("h3", {}, t("pm.links")),
    dataTable({
      caption: t("pm.links"),
      columns: [
        { key: "code", label: t("pm.code"), render: (r) => r.code },
        { key: "kind", label: t("pm.kind"), render: (r) => (r.product_name ? `${t(`pm.kind_${r.kind}`)}: ${r.product_name}` : t(`pm.kind_${r.kind}`)) },
        { key: "clicks", label: t("pm.clicks"), num: true, render: (r) => fmt.int(r.clicks) },
        { key: "registrations", label: t("pm.registrations"), num: true, render: (r) => fmt.int(r.registrations) },
        { key: "purchases", label: t("pm.purchases"), num: true, render: (r) => fmt.int(r.purchases) },
      ],
      rows: m.links,
      empty: t("pm.no_links"),
      stack: true,
    }),
    m.more_links ? h("p", { class: "muted" }, t("pm.more_links")) : null,
  ];
}

/** The section, filled in when the numbers arrive. */
export function participantMoney(card) {
  const body = h("div", { "aria-live": "polite", "aria-busy": "true" }, loading());
  const panel = section(t("pm.title"), body);
  panel.id = "money";
  api
    .get(`/participants/${encodeURIComponent(card.id)}/money`)
    .then((m) => replace(body, ...content(m)))
    .catch((error) => replace(body, alertBox(error)))
    .finally(() => body.setAttribute("aria-busy", "false"));
  return panel;
}
