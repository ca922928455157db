// The journal of operators' actions: filters, list, and one action with each attribute's old and new value.

import { api } from "/admin/app/api.js";
import { h } from "/admin/app/dom.js";
import { fmt, t } from "/admin/app/i18n.js";
import { dataTable, dl, field, filterBox, filtersFrom, pageHeader, pagedList, section } from "/admin/app/ui.js";
import { actionLabel, auditColumns, objectLink } from "/admin/app/views/participant.js";
import { attributeLabel, objectCell, operatorCell, valueLabel } from "/admin/app/views/people.js";

export const ACTIONS = [
  "participant.balance_correction",
  "participant.reparent",
  "participant.block",
  "participant.unblock",
  "withdrawal.negotiation",
  "withdrawal.paid",
  "withdrawal.rejected",
  "withdrawal.cancelled",
  "withdrawal.comment",
  "settings.update",
  "settings.ozon_connection",
  "admin.add",
  "admin.remove",
  "admin.block",
  "admin.unblock",
  "admin.role",
];
const OBJECT_TYPES = ["participant", "withdrawal", "settings", "admin"];
const FILTER_KEYS = ["actor_id", "action", "object_type", "object_id", "from", "to"];

async function detailView(id) {
  const action = await api.get(`/journal/actions/${encodeURIComponent(id)}`);
  return h(
    "div",
    { class: "view view-action" },
    h("p", { class: "crumbs" }, h("a", { href: "#/journal" }, `← ${t("j.title")}`)),
    pageHeader(actionLabel(action.action)),
    section(
      t("j.details"),
      dl([
        [t("j.date"), fmt.dateTime(action.created_at)],
        [t("j.actor"), operatorCell(action.actor, action.actor_id)],
        [t("j.action"), h("span", {}, actionLabel(action.action), " ", h("code", {}, action.action))],
        [t("j.object_type"), t(`object.${action.object_type}`)],
        [t("j.object"), objectCell(action)],
        [t("j.object_id"), objectLink(action.object_type, action.object_id)],
        [t("j.reason"), action.reason || "—"],
      ]),
    ),
    Object.assign(section(
      t("j.changes"),
      dataTable({
        caption: t("j.changes"),
        columns: [
          { key: "attribute", label: t("j.attribute"), render: (c) => h("span", { title: c.attribute }, attributeLabel(c.attribute)) },
          { key: "old", label: t("j.old"), render: (c) => (c.old === null ? h("span", { class: "muted" }, "—") : h("span", { class: "value-old" }, valueLabel(c.old))) },
          { key: "new", label: t("j.new"), render: (c) => (c.new === null ? h("span", { class: "muted" }, "—") : h("span", { class: "value-new" }, valueLabel(c.new))) },
        ],
        rows: action.changes,
        empty: t("j.no_changes"),
      }),
    ), { id: "changes" }),
  );
}

export async function render({ params, query, navigate }) {
  if (params.length) return detailView(params[0]);
  const filters = filtersFrom(query, FILTER_KEYS);
  const filterPanel = filterBox({
    label: t("j.filters"),
    open: Object.keys(filters).length > 0,
    fields: [
      field({ label: t("j.actor_id"), name: "actor_id", value: filters.actor_id || "", attrs: { inputmode: "numeric" } }),
      field({
        label: t("j.action"),
        name: "action",
        kind: "select",
        value: filters.action || "",
        options: [{ value: "", label: t("common.any") }, ...ACTIONS.map((a) => ({ value: a, label: actionLabel(a) }))],
      }),
      field({
        label: t("j.object_type"),
        name: "object_type",
        kind: "select",
        value: filters.object_type || "",
        options: [{ value: "", label: t("common.any") }, ...OBJECT_TYPES.map((o) => ({ value: o, label: t(`object.${o}`) }))],
      }),
      field({ label: t("j.object_id"), name: "object_id", value: filters.object_id || "" }),
      field({ label: t("common.from"), name: "from", kind: "date", value: filters.from || "" }),
      field({ label: t("common.to"), name: "to", kind: "date", value: filters.to || "" }),
    ],
    onApply: (values) => navigate("journal", values),
    onReset: () => navigate("journal", {}),
  });
  const list = pagedList({
    label: t("j.title"),
    form: filterPanel.form,
    load: (cursor) => api.get("/journal/actions", { limit: 50, cursor, ...filters }),
    render: (items) => dataTable({ caption: t("j.title"), columns: auditColumns({ withObject: true }), rows: items, empty: t("j.none"), stack: true }),
  });
  const view = h(
    "div",
    { class: "view view-journal" },
    pageHeader(t("j.title"), h("a", { class: "btn btn-small", href: "#/ledger" }, t("nav.ledger"))),
    filterPanel,
    list,
  );
  await list.reload();
  return view;
}
