// The global ledger: every movement of points, newest first, with filters.

import { api } from "/admin/app/api.js";
import { h } from "/admin/app/dom.js";
import { t } from "/admin/app/i18n.js";
import { dataTable, field, filterBox, filtersFrom, pageHeader, pagedList } from "/admin/app/ui.js";
import { directionOptions, kindOptions, ledgerColumns } from "/admin/app/views/participant.js";

const FILTER_KEYS = ["participant_id", "kind", "actor_id", "direction", "from", "to"];

export async function render({ query, navigate }) {
  const filters = filtersFrom(query, FILTER_KEYS);
  const filterPanel = filterBox({
    label: t("l.filters"),
    open: Object.keys(filters).length > 0,
    fields: [
      field({ label: t("l.participant_id"), name: "participant_id", value: filters.participant_id || "", attrs: { inputmode: "numeric" } }),
      field({ label: t("l.kind"), name: "kind", kind: "select", value: filters.kind || "", options: kindOptions() }),
      field({ label: t("l.actor_id"), name: "actor_id", value: filters.actor_id || "", attrs: { inputmode: "numeric" } }),
      field({ label: t("l.direction"), name: "direction", kind: "select", value: filters.direction || "", options: directionOptions() }),
      field({ label: t("common.from"), name: "from", kind: "date", value: filters.from || "" }),
      field({ label: t("common.to"), name: "to", kind: "date", value: filters.to || "" }),
    ],
    onApply: (values) => navigate("ledger", values),
    onReset: () => navigate("ledger", {}),
  });
  const list = pagedList({
    label: t("l.title"),
    form: filterPanel.form,
    load: (cursor) => api.get("/journal/ledger", { limit: 50, cursor, ...filters }),
    render: (items) => dataTable({ caption: t("l.title"), columns: ledgerColumns({ withParticipant: true }), rows: items, empty: t("l.none"), stack: true }),
  });
  const view = h(
    "div",
    { class: "view view-ledger" },
    pageHeader(t("l.title"), h("a", { class: "btn btn-small", href: "#/journal" }, t("nav.journal"))),
    filterPanel,
    list,
  );
  await list.reload();
  return view;
}
