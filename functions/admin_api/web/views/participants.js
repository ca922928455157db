// Participants: sortable table, filters on every column the API filters, search, cursor paging.

import { api } from "/admin/app/api.js";
import { h } from "/admin/app/dom.js";
import { fmt, t, tn } from "/admin/app/i18n.js";
import { dataTable, field, filterBox, filtersFrom, pageHeader, pagedList, participantLink } from "/admin/app/ui.js";

const SORTS = ["registered_at", "id", "name", "balance", "last_order_at", "referrals", "purchases_sum", "accrued", "withdrawn"];
const RANGE_FILTERS = [
  ["registered", "registered_from", "registered_to", "date"],
  ["last_order", "last_order_from", "last_order_to", "date"],
  ["balance", "balance_min", "balance_max", "number"],
  ["referrals", "referrals_min", "referrals_max", "number"],
  ["purchases", "purchases_min", "purchases_max", "number"],
  ["accrued", "accrued_min", "accrued_max", "number"],
  ["withdrawn", "withdrawn_min", "withdrawn_max", "number"],
];
const SEARCH_KEYS = ["id", "name", "ozon_id"];
const FILTER_KEYS = [...SEARCH_KEYS, "blocked", "sponsor_id", ...RANGE_FILTERS.flatMap(([, a, b]) => [a, b])];
const PAGE_SIZES = ["25", "50", "100"];
const MAX_PAGE_SIZE = 100;

/** Rows per page: from the address (any size the API allows, e.g. a bookmarked ?limit=10), else 50. */
function pageSize(query) {
  const asked = Number(query.get("limit"));
  return Number.isInteger(asked) && asked >= 1 && asked <= MAX_PAGE_SIZE ? String(asked) : "50";
}

function columns() {
  return [
    { key: "id", label: t("p.id"), sort: "id", render: (r) => participantLink(r.id) },
    {
      key: "name",
      label: t("p.name"),
      sort: "name",
      render: (r) =>
        h(
          "span",
          { class: "name-cell" },
          h("a", { href: `#/participants/${r.id}` }, r.name),
          r.username ? h("span", { class: "muted" }, ` @${r.username}`) : null,
          r.blocked ? h("span", { class: "status status-blocked" }, t("p.blocked")) : null,
        ),
    },
    { key: "registered_at", label: t("p.registered"), sort: "registered_at", render: (r) => fmt.date(r.registered_at) },
    {
      key: "balance",
      label: t("p.balance"),
      sort: "balance",
      num: true,
      render: (r) => {
        const parts = `${t("p.available_short")} ${fmt.int(r.available)} · ${t("p.frozen_short")} ${fmt.int(r.frozen)}`;
        return h("span", {}, fmt.int(r.balance), h("span", { class: "sub" }, parts));
      },
    },
    { key: "last_order_at", label: t("p.last_order"), sort: "last_order_at", render: (r) => fmt.date(r.last_order_at) },
    {
      key: "referrals",
      label: t("p.referrals"),
      sort: "referrals",
      num: true,
      render: (r) => h("span", {}, fmt.int(r.direct_referrals), h("span", { class: "sub" }, `${t("p.network")} ${fmt.int(r.network_size)}`)),
    },
    {
      key: "purchases_sum",
      label: t("p.purchases"),
      sort: "purchases_sum",
      num: true,
      render: (r) => h("span", {}, fmt.money(r.purchases_sum), h("span", { class: "sub" }, tn("p.orders_n", r.orders_count))),
    },
    { key: "accrued", label: t("p.accrued"), sort: "accrued", num: true, render: (r) => fmt.int(r.accrued_total) },
    { key: "withdrawn", label: t("p.withdrawn"), sort: "withdrawn", num: true, render: (r) => fmt.int(r.withdrawn) },
    { key: "sponsor_id", label: t("p.sponsor"), render: (r) => participantLink(r.sponsor_id) },
  ];
}

function searchForm(filters, apply) {
  const kind = filters.id ? "id" : filters.ozon_id ? "ozon_id" : "name";
  const options = [
    { value: "name", label: t("p.search_name") },
    { value: "id", label: t("p.search_id") },
    { value: "ozon_id", label: t("p.search_ozon") },
  ];
  const by = field({ label: t("p.search_by"), name: "by", kind: "select", value: kind, options });
  const text = field({
    label: t("p.search_text"),
    name: "q",
    kind: "text",
    value: filters.id || filters.ozon_id || filters.name || "",
    field: kind,
    attrs: { type: "search", autocomplete: "off" },
  });
  const form = h(
    "form",
    { class: "search-form", role: "search", "aria-label": t("p.search") },
    by,
    text,
    h("button", { type: "submit", class: "btn btn-primary" }, t("p.search_submit")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const value = String(data.get("q") || "").trim();
    const next = { ...filters };
    for (const key of SEARCH_KEYS) delete next[key];
    if (value) next[String(data.get("by"))] = value;
    apply(next);
  });
  return form;
}

function filterPanel(filters, apply) {
  const blocked = field({
    label: t("p.f_blocked"),
    name: "blocked",
    kind: "select",
    value: filters.blocked || "",
    options: [
      { value: "", label: t("common.any") },
      { value: "true", label: t("p.only_blocked") },
      { value: "false", label: t("p.only_active") },
    ],
  });
  const sponsor = field({ label: t("p.f_sponsor"), name: "sponsor_id", value: filters.sponsor_id || "", attrs: { inputmode: "numeric" } });
  const ranges = RANGE_FILTERS.map(([key, low, high, kind]) => {
    const legend = t(`p.f_${key}`);
    // "From" alone is ambiguous out of context: the legend is part of each field's name.
    const label = (text) => [text, h("span", { class: "visually-hidden" }, ` — ${legend}`)];
    const type = kind === "date" ? "date" : "number";
    return h(
      "fieldset",
      { class: "range" },
      h("legend", {}, legend),
      field({ label: label(kind === "date" ? t("common.from") : t("common.min")), name: low, kind: type, value: filters[low] || "" }),
      field({ label: label(kind === "date" ? t("common.to") : t("common.max")), name: high, kind: type, value: filters[high] || "" }),
    );
  });
  const active = Object.keys(filters).filter((k) => !SEARCH_KEYS.includes(k)).length;
  // The search stays as it is when the filters change.
  const search = {};
  for (const key of SEARCH_KEYS) if (filters[key]) search[key] = filters[key];
  return filterBox({
    label: t("p.filters"),
    summary: [t("p.filters"), active ? h("span", { class: "badge badge-quiet" }, String(active)) : null],
    open: active > 0,
    fields: [blocked, sponsor, ranges],
    onApply: (values) => apply({ ...search, ...values }),
    onReset: () => apply(search),
  });
}

export async function render({ query, navigate }) {
  const sort = SORTS.includes(query.get("sort")) ? query.get("sort") : "registered_at";
  const order = query.get("order") === "asc" ? "asc" : "desc";
  const limit = pageSize(query);
  const filters = filtersFrom(query, FILTER_KEYS);

  const go = (changes) => navigate("participants", { sort, order, limit, ...changes });
  const onSort = (name) => {
    const nextOrder = name === sort ? (order === "asc" ? "desc" : "asc") : name === "name" || name === "id" ? "asc" : "desc";
    go({ ...filters, sort: name, order: nextOrder });
  };

  const filtersPanel = filterPanel(filters, go);
  const list = pagedList({
    label: t("p.title"),
    form: filtersPanel.form,
    load: (cursor) => api.get("/participants", { sort, order, limit, cursor, ...filters }),
    render: (items) =>
      dataTable({
        caption: t("p.table_caption"),
        columns: columns(),
        rows: items,
        sorting: { sort, order, onSort },
        empty: t("p.none"),
      }),
  });
  const sizeSelect = field({
    label: t("page.size"),
    name: "limit",
    kind: "select",
    value: limit,
    options: [...new Set([...PAGE_SIZES, limit])].sort((a, b) => a - b).map((v) => ({ value: v, label: v })),
  });
  sizeSelect.control.addEventListener("change", () => go({ ...filters, limit: sizeSelect.control.value }));

  const sortSelect = field({
    label: t("p.sort_by"),
    name: "sort",
    kind: "select",
    value: `${sort}:${order}`,
    options: SORTS.flatMap((name) => [
      { value: `${name}:desc`, label: `${t(`sort.${name}`)} ↓` },
      { value: `${name}:asc`, label: `${t(`sort.${name}`)} ↑` },
    ]),
  });
  sortSelect.control.addEventListener("change", () => {
    const [name, direction] = sortSelect.control.value.split(":");
    go({ ...filters, sort: name, order: direction });
  });

  const container = h(
    "div",
    { class: "view view-participants" },
    pageHeader(t("p.title")),
    searchForm(filters, go),
    filtersPanel,
    h("div", { class: "list-tools" }, sortSelect, sizeSelect),
    list,
  );
  await list.reload();
  return container;
}
