// Orders (Ozon postings): attribution, status, returns and the accruals they made; top products and product links.

import { api } from "/admin/app/api.js";
import { h, replace } from "/admin/app/dom.js";
import { fmt, t } from "/admin/app/i18n.js";
import { alertBox, dataTable, field, filterBox, filtersFrom, loading, pageHeader, pagedList, participantLink, section } from "/admin/app/ui.js";

const ATTRIBUTIONS = ["customer_id", "claim", "none"];
const FILTER_KEYS = ["participant_id", "status", "attribution", "from", "to"];

function accruals(r) {
  if (!r.accruals.length) return "—";
  return h(
    "ul",
    { class: "plain" },
    r.accruals.map((a) => h("li", {}, participantLink(a.beneficiary_id), ` · ${a.level === 0 ? t("ord.own") : t("ord.level", { level: a.level })} · ${fmt.int(a.points)}`)),
  );
}

function columns() {
  return [
    { key: "created_at", label: t("ord.created"), render: (r) => fmt.dateTime(r.created_at) },
    { key: "posting_number", label: t("ord.posting"), render: (r) => r.posting_number },
    { key: "participant_id", label: t("ord.participant"), render: (r) => participantLink(r.participant_id) },
    { key: "attribution", label: t("ord.attribution"), render: (r) => t(`ord.attr_${r.attribution}`) },
    { key: "status", label: t("ord.status"), render: (r) => h("span", { class: "status" }, r.status) },
    { key: "amount", label: t("ord.amount"), num: true, render: (r) => fmt.money(r.amount) },
    { key: "returned_amount", label: t("ord.returned"), num: true, render: (r) => (r.returns ? `${fmt.money(r.returned_amount)} (${r.returns})` : "—") },
    { key: "points", label: t("ord.points"), num: true, render: (r) => fmt.int(r.points) },
    { key: "accruals", label: t("ord.accruals"), render: accruals },
  ];
}

function sellersTable(caption, rows, keyLabel, withOwner) {
  return dataTable({
    caption,
    columns: [
      { key: "name", label: keyLabel, render: (r) => `${r.name} (${r.key})` },
      withOwner ? { key: "owner_id", label: t("ord.owner"), render: (r) => participantLink(r.owner_id) } : null,
      { key: "orders", label: t("ord.orders"), num: true, render: (r) => fmt.int(r.orders) },
      withOwner ? null : { key: "quantity", label: t("ord.quantity"), num: true, render: (r) => fmt.int(r.quantity) },
      { key: "amount", label: t("ord.sales"), num: true, render: (r) => fmt.money(r.amount) },
    ].filter(Boolean),
    rows,
    stack: true,
  });
}

function topSection(filters) {
  const body = h("div", { "aria-live": "polite", "aria-busy": "true" }, loading());
  const panel = section(t("ord.top"), body);
  panel.classList.add("top-sellers");
  panel.load = async () => {
    try {
      const top = await api.get("/orders/top", { from: filters.from, to: filters.to, limit: 10 });
      replace(
        body,
        top.complete ? null : h("p", { class: "alert alert-warning", role: "status" }, t("ord.partial", { n: fmt.int(top.orders_read) })),
        h("div", { class: "card-grid" }, h("div", {}, h("h3", {}, t("ord.top_products")), sellersTable(t("ord.top_products"), top.products, t("ord.product"), false)), h("div", {}, h("h3", {}, t("ord.top_links")), sellersTable(t("ord.top_links"), top.links, t("ord.link"), true))),
      );
    } catch (error) {
      replace(body, alertBox(error));
    } finally {
      body.setAttribute("aria-busy", "false");
    }
  };
  return panel;
}

export async function render({ query, navigate }) {
  const filters = filtersFrom(query, FILTER_KEYS);
  const filterPanel = filterBox({
    label: t("ord.filters"),
    open: Object.keys(filters).length > 0,
    fields: [
      field({ label: t("ord.participant_id"), name: "participant_id", value: filters.participant_id || "", attrs: { inputmode: "numeric" } }),
      field({ label: t("ord.status"), name: "status", value: filters.status || "" }),
      field({
        label: t("ord.attribution"),
        name: "attribution",
        kind: "select",
        value: filters.attribution || "",
        options: [{ value: "", label: t("common.any") }, ...ATTRIBUTIONS.map((a) => ({ value: a, label: t(`ord.attr_${a}`) }))],
      }),
      field({ label: t("common.from"), name: "from", kind: "date", value: filters.from || "" }),
      field({ label: t("common.to"), name: "to", kind: "date", value: filters.to || "" }),
    ],
    onApply: (values) => navigate("orders", values),
    onReset: () => navigate("orders", {}),
  });
  const list = pagedList({
    label: t("ord.title"),
    form: filterPanel.form,
    load: (cursor) => api.get("/orders", { limit: 50, cursor, ...filters }),
    render: (items) => dataTable({ caption: t("ord.title"), columns: columns(), rows: items, empty: t("ord.none"), stack: true }),
  });
  const top = topSection(filters);
  const view = h("div", { class: "view view-orders" }, pageHeader(t("ord.title")), filterPanel, list, top);
  await Promise.all([list.reload(), top.load()]);
  return view;
}
