// Fraud flags: the open ones, newest raised first, filtered by signal, participant and day; resolve with a note.

import { api } from "/admin/app/api.js";
import { h } from "/admin/app/dom.js";
import { fmt, t, tn } from "/admin/app/i18n.js";
import { announce, dataTable, field, filterBox, filtersFrom, formAlert, onSubmit, pageHeader, pagedList, participantLink } from "/admin/app/ui.js";

export const KINDS = ["shared_payout", "registration_burst", "refund_rate", "claim_burst", "shared_ozon_id", "claim_only_referrals"];
const FILTER_KEYS = ["kind", "participant_id", "from", "to"];

export function evidenceText(evidence) {
  return Object.entries(evidence || {})
    .map(([key, value]) => `${key}: ${Array.isArray(value) ? value.join(", ") : value}`)
    .join("; ");
}

/** The form that resolves one flag with the operator's note; `done` runs after it was resolved. */
export function resolveForm(flag, done) {
  const note = field({ label: t("r.note"), name: "note", kind: "textarea", required: true, field: "note" });
  const form = h(
    "form",
    { class: "resolve-form", "aria-label": `${t("r.resolve")}: ${t(`rkind.${flag.kind}`)}`, dataset: { flag: flag.flag_id } },
    formAlert(),
    note,
    h("button", { type: "submit", class: "btn btn-primary btn-small" }, t("r.resolve")),
  );
  return onSubmit(form, async (data) => {
    await api.post(`/risks/${encodeURIComponent(flag.flag_id)}/resolve`, { note: String(data.get("note") || "") });
    announce(t("r.resolved"));
    done();
  });
}

function columns(reload) {
  return [
    { key: "raised_at", label: t("r.raised"), render: (r) => fmt.dateTime(r.raised_at) },
    {
      key: "kind",
      label: t("r.kind"),
      render: (r) => [t(`rkind.${r.kind}`), r.raised_times > 1 ? h("span", { class: "muted" }, ` (${tn("r.times", r.raised_times)})`) : null],
    },
    { key: "participant_ids", label: t("r.participants"), render: (r) => h("span", { class: "ids" }, r.participant_ids.flatMap((id, i) => [i ? ", " : null, participantLink(id)])) },
    { key: "reason", label: t("r.reason"), render: (r) => r.reason },
    { key: "evidence", label: t("r.evidence"), render: (r) => h("span", { class: "evidence" }, evidenceText(r.evidence)) },
    { key: "action", label: t("r.action"), render: (r) => resolveForm(r, reload) },
  ];
}

export async function render({ query, navigate }) {
  const filters = filtersFrom(query, FILTER_KEYS);
  const filterPanel = filterBox({
    label: t("r.filters"),
    open: Object.keys(filters).length > 0,
    fields: [
      field({
        label: t("r.kind"),
        name: "kind",
        kind: "select",
        value: filters.kind || "",
        options: [{ value: "", label: t("common.any") }, ...KINDS.map((k) => ({ value: k, label: t(`rkind.${k}`) }))],
      }),
      field({ label: t("r.participant_id"), name: "participant_id", value: filters.participant_id || "", attrs: { inputmode: "numeric" } }),
      field({ label: t("common.from"), name: "from", kind: "date", value: filters.from || "" }),
      field({ label: t("common.to"), name: "to", kind: "date", value: filters.to || "" }),
    ],
    onApply: (values) => navigate("risks", values),
    onReset: () => navigate("risks", {}),
  });
  const list = pagedList({
    label: t("r.title"),
    form: filterPanel.form,
    load: (cursor) => api.get("/risks", { limit: 50, cursor, ...filters }),
    render: (items) => dataTable({ caption: t("r.title"), columns: columns(() => list.reload()), rows: items, empty: t("r.none"), stack: true }),
  });
  const view = h("div", { class: "view view-risks" }, pageHeader(t("r.title")), h("p", { class: "hint" }, t("r.hint")), filterPanel, list);
  await list.reload();
  return view;
}
