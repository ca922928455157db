// The global ledger: every movement of points, newest first, with filters.

import { api } from "/admin/app/api.js";
import { h } from "/admin/app/dom.js";
import { t } from "/admin/app/i18n.js";
import { compact, dataTable, field, pageHeader, pagedList } from "/admin/app/ui.js";
import { directionOptions, kindOptions, ledgerColumns } from "/admin/app/views/participant.js";

const FILTER_KEYS = ["participant_id", "kind", "actor_id", "direction", "from", "to"];

export async function render({ query, navigate }) {
  const filters = {};
  for (const key of FILTER_KEYS) if (query.get(key)) filters[key] = query.get(key);

  const form = h(
    "form",
    { class: "filters", "aria-label": t("l.filters") },
    h(
      "div",
      { class: "filter-grid" },
      field({ label: t("l.participant_id"), name: "participant_id", value: filters.participant_id || "", attrs: { inputmode: "numeric" } }),
      field({ label: t("l.kind"), name: "kind", kind: "select", value: filters.kind || "", options: kindOptions() }),
      field({ label: t("l.actor_id"), name: "actor_id", value: filters.actor_id || "", attrs: { inputmode: "numeric" } }),
      field({ label: t("l.direction"), name: "direction", kind: "select", value: filters.direction || "", options: directionOptions() }),
      field({ label: t("common.from"), name: "from", kind: "date", value: filters.from || "" }),
      field({ label: t("common.to"), name: "to", kind: "date", value: filters.to || "" }),
    ),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit", class: "btn btn-primary" }, t("common.apply")),
      h("button", { type: "reset", class: "btn" }, t("common.reset")),
    ),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    navigate("ledger", compact(new FormData(form)));
  });
  form.addEventListener("reset", (event) => {
    event.preventDefault();
    navigate("ledger", {});
  });
  const list = pagedList({
    label: t("l.title"),
    load: (cursor) => api.get("/journal/ledger", { limit: 50, cursor, ...filters }),
    render: (items) => dataTable({ caption: t("l.title"), columns: ledgerColumns({ withParticipant: true }), rows: items, empty: t("l.none") }),
  });
  const view = h(
    "div",
    { class: "view view-ledger" },
    pageHeader(t("l.title"), h("a", { class: "btn btn-small", href: "#/journal" }, t("nav.journal"))),
    h("details", { class: "filter-box", open: Object.keys(filters).length > 0 }, h("summary", {}, t("l.filters")), form),
    list,
  );
  await list.reload();
  return view;
}
