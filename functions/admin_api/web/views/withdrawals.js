// Withdrawal requests: newest first (or oldest), filters, cursor paging.

import { api } from "/admin/app/api.js";
import { h } from "/admin/app/dom.js";
import { fmt, t } from "/admin/app/i18n.js";
import { announce, dataTable, field, filterBox, filtersFrom, formAlert, onSubmit, pageHeader, pagedList, section, statusBadge } from "/admin/app/ui.js";
import { participantCell } from "/admin/app/views/people.js";

export const STATUSES = ["new", "negotiation", "paid", "rejected", "cancelled"];
const FILTER_KEYS = ["status", "participant_id", "from", "to", "points_min", "points_max", "order"];

function columns(selected) {
  return [
    {
      key: "select",
      label: t("po.bulk"),
      render: (r) =>
        r.status === "new" || r.status === "negotiation"
          ? h("input", {
              type: "checkbox",
              class: "bulk-select",
              "aria-label": t("po.select", { label: r.label || r.id }),
              checked: selected.has(r.id),
              onchange: (e) => (e.target.checked ? selected.add(r.id) : selected.delete(r.id)),
            })
          : "",
    },
    { key: "label", label: t("po.number"), render: (r) => h("a", { href: `#/withdrawals/${encodeURIComponent(r.id)}` }, r.label || r.id) },
    {
      key: "created_at",
      label: t("w.created"),
      render: (r) => h("a", { href: `#/withdrawals/${encodeURIComponent(r.id)}` }, fmt.dateTime(r.created_at)),
    },
    { key: "id", label: t("po.id"), render: (r) => h("a", { href: `#/withdrawals/${encodeURIComponent(r.id)}` }, r.id) },
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

  const selected = new Set();
  const list = pagedList({
    label: t("w.title"),
    form: filterPanel.form,
    load: (cursor) => {
      selected.clear();
      return api.get("/withdrawals", { limit: 50, cursor, ...filters });
    },
    render: (items) => dataTable({ caption: t("w.title"), columns: columns(selected), rows: items, empty: t("w.none"), stack: true }),
  });
  const view = h(
    "div",
    { class: "view view-withdrawals" },
    pageHeader(t("w.title")),
    findForm(navigate),
    quick,
    filterPanel,
    bulkPanel(selected, () => list.reload()),
    list,
  );
  await list.reload();
  return view;
}

function findForm(navigate) {
  const form = h(
    "form",
    { class: "find-form", role: "search", "aria-label": t("po.find") },
    formAlert(),
    field({ label: t("po.find"), name: "q", required: true, attrs: { autocomplete: "off", placeholder: "W-1042" } }),
    h("button", { type: "submit", class: "btn" }, t("po.find_submit")),
  );
  onSubmit(form, async (data) => {
    const found = await api.get("/withdrawals/find", { q: String(data.get("q") || "").trim() });
    navigate(`withdrawals/${encodeURIComponent(found.id)}`);
  });
  return form;
}

function bulkPanel(selected, reload) {
  const report = h("div", { class: "bulk-report", "aria-live": "polite" });
  const form = h(
    "form",
    { class: "edit-form bulk-form", "aria-labelledby": "bulk-title" },
    h("h3", { id: "bulk-title" }, t("po.payout")),
    formAlert(),
    field({
      label: t("po.method"),
      name: "method",
      kind: "select",
      value: "card",
      options: PAYOUT_METHODS.map((m) => ({ value: m, label: t(`po.method.${m}`) })),
    }),
    field({ label: t("po.reference"), name: "reference" }),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit", class: "btn", value: "negotiation", dataset: { bulk: "negotiation" } }, t("po.bulk_negotiation")),
      h("button", { type: "submit", class: "btn btn-primary", value: "paid", dataset: { bulk: "paid" } }, t("po.bulk_paid")),
    ),
    report,
  );
  let target = "negotiation";
  form.addEventListener("click", (e) => {
    if (e.target.dataset && e.target.dataset.bulk) target = e.target.dataset.bulk;
  });
  onSubmit(form, async (data) => {
    if (!selected.size) {
      announce(t("po.bulk_none"), "error");
      return;
    }
    const body = { ids: [...selected], status: target };
    if (target === "paid") body.payout = { method: String(data.get("method")), reference: String(data.get("reference") || "").trim() };
    const answer = await api.post("/withdrawals/bulk", body);
    await reload();
    report.replaceChildren(
      h("h4", {}, t("po.bulk_report")),
      h(
        "ul",
        {},
        answer.items.map((i) =>
          h("li", { dataset: { result: i.result } }, `${i.label}: ${t(`po.result.${i.result}`)}${i.message ? ` — ${i.message}` : ""}`),
        ),
      ),
    );
  });
  return section(t("po.bulk"), form);
}

export const PAYOUT_METHODS = ["card", "sbp", "bank_transfer", "other"];
