// One withdrawal request: details, the status buttons its current status allows, history and comments.

import { api } from "/admin/app/api.js";
import { dialogSection } from "/admin/app/views/participant_dialog.js";
import { h, replace } from "/admin/app/dom.js";
import { fmt, t, tn } from "/admin/app/i18n.js";
import { PAYOUT_METHODS } from "/admin/app/views/withdrawals.js";
import { payoutText } from "/admin/app/views/participant_payouts.js";
import { announce, dataTable, dl, field, formAlert, onSubmit, pageHeader, participantLink, section, statusBadge } from "/admin/app/ui.js";

/** The server's status flow (R10): which statuses an operator may move a request to. */
export const TRANSITIONS = {
  new: ["negotiation", "rejected", "cancelled"],
  negotiation: ["paid", "rejected", "cancelled"],
};

function statusSection(detail, reload) {
  const allowed = TRANSITIONS[detail.status] || [];
  if (!allowed.length) return section(t("wd.change_status"), h("p", { class: "note" }, t("wd.closed")));
  const confirmSlot = h("div", { class: "confirm-slot" });

  function ask(target) {
    const reasonField = field({
      label: target === "rejected" ? t("wd.reason_required") : t("wd.reason_optional"),
      name: "reason",
      kind: "textarea",
      required: target === "rejected",
      hint: target === "rejected" ? t("wd.reason_hint") : null,
      wide: true,
    });
    const form = h(
      "form",
      { class: "confirm-box", "aria-labelledby": "confirm-title" },
      h("h3", { id: "confirm-title" }, t("wd.confirm_title", { status: t(`wstatus.${target}`) })),
      h("p", {}, t(`wd.confirm_${target}`, { points: tn("common.points_n", detail.points), fiat: fmt.money(detail.fiat_amount) })),
      formAlert(),
      target === "paid" ? payoutFields() : null,
      reasonField,
      h(
        "div",
        { class: "actions" },
        h(
          "button",
          { type: "submit", class: target === "paid" || target === "negotiation" ? "btn btn-primary" : "btn btn-danger", dataset: { confirm: target } },
          t("wd.confirm"),
        ),
        h("button", { type: "button", class: "btn", onclick: () => replace(confirmSlot) }, t("common.cancel")),
      ),
    );
    onSubmit(form, async (data) => {
      const reason = String(data.get("reason") || "").trim();
      const body = { status: target, reason: reason || null };
      if (target === "paid") body.payout = payoutFrom(data);
      await api.post(`/withdrawals/${encodeURIComponent(detail.id)}/status`, body);
      announce(t("wd.status_done", { status: t(`wstatus.${target}`) }));
      await reload();
    });
    replace(confirmSlot, form);
    (reasonField.control.required ? reasonField.control : form.querySelector("button[type=submit]")).focus();
  }

  return section(
    t("wd.change_status"),
    h(
      "div",
      { class: "actions status-actions" },
      allowed.map((target) =>
        h(
          "button",
          {
            type: "button",
            class: ["btn", target === "paid" || target === "negotiation" ? "btn-primary" : "btn-danger-outline"],
            dataset: { status: target },
            onclick: () => ask(target),
          },
          t(`wd.to_${target}`),
        ),
      ),
    ),
    confirmSlot,
  );
}

function historyTable(detail) {
  return dataTable({
    caption: t("wd.history"),
    columns: [
      { key: "at", label: t("wd.at"), render: (e) => fmt.dateTime(e.at) },
      { key: "event", label: t("wd.event"), render: (e) => t(`wevent.${e.event}`) },
      { key: "actor_id", label: t("wd.actor"), render: (e) => e.actor_id || t("wd.participant_self") },
      {
        key: "change",
        label: t("wd.change"),
        render: (e) => (e.to_status ? h("span", {}, e.from_status ? [statusBadge(e.from_status), " → "] : null, statusBadge(e.to_status)) : "—"),
      },
      { key: "text", label: t("wd.text"), render: (e) => e.text || "—" },
    ],
    rows: detail.history,
    empty: t("wd.no_history"),
  });
}

function commentsSection(detail, reload) {
  const comments = detail.history.filter((e) => e.event === "comment");
  const form = h(
    "form",
    { class: "edit-form", "aria-labelledby": "comment-title" },
    h("h3", { id: "comment-title" }, t("wd.add_comment")),
    formAlert(),
    field({ label: t("wd.comment"), name: "text", kind: "textarea", required: true, wide: true }),
    h("button", { type: "submit", class: "btn btn-primary" }, t("wd.comment_submit")),
  );
  onSubmit(form, async (data) => {
    await api.post(`/withdrawals/${encodeURIComponent(detail.id)}/comments`, { text: String(data.get("text") || "").trim() });
    announce(t("wd.comment_done"));
    await reload();
  });
  return section(
    t("wd.comments"),
    comments.length
      ? h(
          "ul",
          { class: "comments" },
          comments.map((c) =>
            h("li", {}, h("p", { class: "comment-meta" }, `${fmt.dateTime(c.at)} · ${c.actor_id || "—"}`), h("p", { class: "comment-text" }, c.text || "")),
          ),
        )
      : h("p", { class: "muted" }, t("wd.no_comments")),
    form,
  );
}

export async function render({ params, navigate, refreshBadge }) {
  const [id] = params;
  const detail = await api.get(`/withdrawals/${encodeURIComponent(id)}`);
  const reload = async () => {
    refreshBadge();
    navigate(`withdrawals/${encodeURIComponent(id)}`);
  };
  const info = section(
    t("wd.details"),
    dl([
      [t("w.status"), h("span", { id: "withdrawal-status", dataset: { status: detail.status } }, statusBadge(detail.status))],
      [t("w.participant"), participantLink(detail.participant_id, detail.participant_name)],
      [t("w.points"), fmt.int(detail.points)],
      [t("w.fiat"), fmt.money(detail.fiat_amount)],
      [t("wd.rate"), detail.point_rate],
      [t("w.created"), fmt.dateTime(detail.created_at)],
      [t("w.updated"), fmt.dateTime(detail.updated_at)],
      [t("wd.closed_at"), fmt.dateTime(detail.closed_at)],
      [t("w.reason"), detail.reason || "—"],
      [t("po.id"), h("code", {}, detail.id)],
      [t("po.payout"), payoutText(detail)],
      [t("po.closed_by"), detail.closed_by || "—"],
    ]),
  );
  const dialog = dialogSection(detail.participant_id);
  await dialog.load();
  return h(
    "div",
    { class: "view view-withdrawal" },
    h("p", { class: "crumbs" }, h("a", { href: "#/withdrawals" }, `← ${t("w.title")}`)),
    pageHeader(t("po.title", { label: detail.label || detail.id }), statusBadge(detail.status)),
    h("div", { class: "card-grid" }, info, statusSection(detail, reload)),
    Object.assign(section(t("wd.history"), historyTable(detail)), { id: "history" }),
    Object.assign(commentsSection(detail, reload), { id: "comments" }),
    dialog,
  );
}

/** What the operator records when marking a request paid: method, masked details, the payment's reference. */
function payoutFields() {
  return h(
    "div",
    { class: "payout-fields" },
    field({
      label: t("po.method"),
      name: "method",
      kind: "select",
      value: "card",
      options: PAYOUT_METHODS.map((m) => ({ value: m, label: t(`po.method.${m}`) })),
    }),
    field({ label: t("po.reference"), name: "reference", required: true }),
    field({ label: t("po.details"), name: "details", hint: t("po.details_hint"), attrs: { autocomplete: "off" } }),
  );
}

function payoutFrom(data) {
  const details = String(data.get("details") || "").trim();
  return { method: String(data.get("method")), reference: String(data.get("reference") || "").trim(), details: details || null };
}
