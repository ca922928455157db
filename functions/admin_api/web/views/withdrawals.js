// Withdrawal requests: newest first (or oldest), filters, cursor paging.

import { api } from "/admin/app/api.js";
import { h } from "/admin/app/dom.js";
import { fmt, t } from "/admin/app/i18n.js";
import { dataTable, field, filterBox, filtersFrom, pageHeader, pagedList, statusBadge } from "/admin/app/ui.js";
import { participantCell } from "/admin/app/views/people.js";

export const STATUSES = ["new", "negotiation", "paid", "rejected", "cancelled"];
const FILTER_KEYS = ["status", "participant_id", "from", "to", "points_min", "points_max", "order"];

function columns() {
  return [
    {
      key: "created_at",
      label: t("w.created"),
      render: (r) => h("a", { href: `#/withdrawals/${encodeURIComponent(r.id)}` }, fmt.dateTime(r.created_at)),
    },
    { key: "id", label: t("w.id"), render: (r) => h("a", { href: `#/withdrawals/${encodeURIComponent(r.id)}` }, r.id) },
    { key: "participant_id", label: t("w.participant"), render: (r) => participantCell(r.participant, r.participant_id) },
    { key: "points", label: t("w.points"), num: true, render: (r) => fmt.int(r.points) },
    { key: "fiat_amount", label: t("w.fiat"), num: true, render: (r) => fmt.money(r.fiat_amount) },
    { key: "status", label: t("w.status"), render: (r) => statusBadge(r.status) },
    { key: "updated_at", label: t("w.updated"), render: (r) => fmt.dateTime(r.updated_at) },
    { key: "reason", label: t("w.reason"), render: (r) => r.reason || "—" },
  ];
}

export async function render({ query, navigate }) {
  const filters = filtersFrom(query, FILTER_KEYS);
  const filterPanel = filterBox({
    label: t("w.filters"),
    open: Object.keys(filters).some((k) => k !== "status"),
    fields: [
      field({
        label: t("w.status"),
        name: "status",
        kind: "select",
        value: filters.status || "",
        options: [{ value: "", label: t("common.any") }, ...STATUSES.map((s) => ({ value: s, label: t(`wstatus.${s}`) }))],
      }),
      field({ label: t("w.participant_id"), name: "participant_id", value: filters.participant_id || "", attrs: { inputmode: "numeric" } }),
      field({ label: t("common.from"), name: "from", kind: "date", value: filters.from || "" }),
      field({ label: t("common.to"), name: "to", kind: "date", value: filters.to || "" }),
      field({ label: t("w.points_min"), name: "points_min", kind: "number", value: filters.points_min || "", attrs: { inputmode: "numeric" } }),
      field({ label: t("w.points_max"), name: "points_max", kind: "number", value: filters.points_max || "", attrs: { inputmode: "numeric" } }),
      field({
        label: t("w.order"),
        name: "order",
        kind: "select",
        value: filters.order || "desc",
        options: [
          { value: "desc", label: t("w.newest") },
          { value: "asc", label: t("w.oldest") },
        ],
      }),
    ],
    onApply: (values) => {
      if (values.order === "desc") delete values.order;
      navigate("withdrawals", values);
    },
    onReset: () => navigate("withdrawals", {}),
  });

  let counts = {};
  try {
    counts = await api.get("/withdrawals/counts");
  } catch {
    counts = {};
  }
  const quick = h(
    "div",
    { class: "quick-filters", role: "group", "aria-label": t("w.quick") },
    [["", "common.all"], ...STATUSES.map((s) => [s, `wstatus.${s}`])].map(([status, key]) =>
      h(
        "button",
        {
          type: "button",
          class: "btn btn-small",
          "aria-pressed": String((filters.status || "") === status),
          onclick: () => navigate("withdrawals", { ...filters, status }),
          dataset: { status: status || "all" },
        },
        t(key),
        typeof counts[status] === "number" ? h("span", { class: "count" }, String(counts[status])) : null,
      ),
    ),
  );

  const list = pagedList({
    label: t("w.title"),
    form: filterPanel.form,
    load: (cursor) => api.get("/withdrawals", { limit: 50, cursor, ...filters }),
    render: (items) => dataTable({ caption: t("w.title"), columns: columns(), rows: items, empty: t("w.none"), stack: true }),
  });
  const view = h("div", { class: "view view-withdrawals" }, pageHeader(t("w.title")), quick, filterPanel, list);
  await list.reload();
  return view;
}
