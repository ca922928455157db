// Order claims under review: the queue by status with each posting's facts; approve or reject the pending ones.

import { api } from "/admin/app/api.js";
import { operatorCell } from "/admin/app/views/people.js";
import { h, replace } from "/admin/app/dom.js";
import { fmt, t } from "/admin/app/i18n.js";
import { alertBox, announce, dataTable, dl, field, formAlert, idempotencyKey, onSubmit, pageHeader, participantLink } from "/admin/app/ui.js";

export const STATUSES = ["pending", "approved", "rejected"];
const PAGE_SIZE = 20;

/** The page size: `?limit=` of the address (1 to 100), else PAGE_SIZE. */
function pageSize(query) {
  const asked = Number(query.get("limit"));
  return Number.isInteger(asked) && asked >= 1 && asked <= 100 ? asked : PAGE_SIZE;
}

function evidence(claim) {
  const said = [claim.proven && t("cl.proven"), claim.customer_id_matched && t("cl.id_matched")].filter(Boolean);
  return said.length ? said.join("; ") : t("cl.unproven");
}

function itemsTable(claim) {
  return dataTable({
    caption: t("cl.items", { number: claim.posting_number }),
    columns: [
      { key: "name", label: t("cl.item_name"), render: (x) => x.name || "—" },
      { key: "sku", label: t("cl.sku"), render: (x) => x.sku || "—" },
      { key: "price", label: t("cl.price"), num: true, render: (x) => fmt.money(x.price) },
      { key: "quantity", label: t("cl.quantity"), num: true, render: (x) => fmt.int(x.quantity) },
    ],
    rows: claim.lines,
    empty: t("cl.no_items"),
    stack: true,
  });
}

/** What the operator said and was told: the answer (applied, or already decided before) in words. */
function resultText(claim, verdict, applied) {
  return applied ? t(`cl.${verdict}`, { number: claim.posting_number }) : t("cl.already", { number: claim.posting_number });
}

/**
 * The confirmation of one decision, in place under the claim. Its idempotency key is made once per opened form: a
 * confirmation sent again after a lost answer is the same request, and the server answers "already done".
 */
function decisionForm(claim, verdict, close, decided) {
  const key = idempotencyKey();
  const titleId = `claim-${verdict}-${claim.posting_number}`;
  const reject = verdict === "rejected";
  const reason = reject
    ? field({ label: t("cl.reject_reason"), name: "reason", kind: "textarea", required: true, hint: t("cl.reject_hint"), wide: true })
    : null;
  const form = h(
    "form",
    { class: "confirm-box", "aria-labelledby": titleId, dataset: { decision: verdict } },
    h("h3", { id: titleId }, t(reject ? "cl.reject_title" : "cl.approve_title", { number: claim.posting_number })),
    reject ? null : h("p", {}, t("cl.approve_text", { amount: fmt.money(claim.amount) })),
    formAlert(),
    reason,
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit", class: reject ? "btn btn-danger" : "btn btn-primary" }, t(reject ? "cl.confirm_reject" : "cl.confirm_approve")),
      h("button", { type: "button", class: "btn", onclick: close }, t("common.cancel")),
    ),
  );
  onSubmit(form, async (data) => {
    const path = `/claims/${encodeURIComponent(claim.posting_number)}/${reject ? "reject" : "approve"}`;
    const body = { participant_id: claim.participant_id, idempotency_key: key };
    if (reject) body.reason = String(data.get("reason") || "").trim();
    const answer = await api.post(path, body);
    await decided(resultText(claim, verdict, answer.applied));
  });
  return { form, focus: () => (reason ? reason.control : form.querySelector("button[type=submit]")).focus() };
}

function decisionActions(claim, decided) {
  const slot = h("div", { class: "confirm-slot" });
  const close = () => replace(slot);
  const ask = (verdict) => {
    const { form, focus } = decisionForm(claim, verdict, close, decided);
    replace(slot, form);
    focus();
  };
  return [
    h(
      "div",
      { class: "actions" },
      h("button", { type: "button", class: "btn btn-primary", dataset: { action: "approve" }, onclick: () => ask("approved") }, t("cl.approve")),
      h("button", { type: "button", class: "btn btn-danger-outline", dataset: { action: "reject" }, onclick: () => ask("rejected") }, t("cl.reject")),
    ),
    slot,
  ];
}

function claimCard(claim, decided) {
  const headingId = `claim-${claim.posting_number}`;
  const pending = claim.status === "pending";
  return h(
    "article",
    { class: "panel claim", "aria-labelledby": headingId, dataset: { posting: claim.posting_number, status: claim.status } },
    h("h2", { id: headingId }, t("cl.posting", { number: claim.posting_number })),
    dl([
      [t("cl.order_number"), claim.order_number || "—"],
      [t("cl.participant"), participantLink(claim.participant_id, claim.participant_name)],
      [t("cl.amount"), fmt.money(claim.amount)],
      [t("cl.scheme"), claim.scheme],
      [t("cl.order_status"), claim.order_status || "—"],
      [t("cl.ordered_at"), fmt.dateTime(claim.order_created_at)],
      [t("cl.claimed_at"), fmt.dateTime(claim.created_at)],
      [t("cl.evidence"), evidence(claim)],
      pending ? null : [t("cl.decided_by"), claim.decided_by ? operatorCell(claim.decider, claim.decided_by) : "—"],
      pending ? null : [t("cl.decided_at"), fmt.dateTime(claim.decided_at)],
      pending ? null : [t("cl.reason"), claim.reason || "—"],
    ]),
    itemsTable(claim),
    pending ? decisionActions(claim, decided) : null,
  );
}

function statusTabs(current, navigate) {
  return h(
    "div",
    { class: "quick-filters", role: "group", "aria-label": t("cl.tabs") },
    STATUSES.map((status) =>
      h(
        "button",
        {
          type: "button",
          class: "btn btn-small",
          "aria-pressed": String(status === current),
          dataset: { status },
          onclick: () => navigate("claims", status === "pending" ? {} : { status }),
        },
        t(`clst.${status}`),
      ),
    ),
  );
}

/** The claims of one status, a page at a time: "Load more" appends the next page while the server has one. */
function claimList(status, limit, decided) {
  const cards = h("div", { class: "claims-list", "aria-live": "polite", "aria-busy": "false" });
  const more = h("button", { type: "button", class: "btn", hidden: true }, t("cl.more"));
  const failure = h("div");
  let cursor = null;

  async function load(append) {
    cards.setAttribute("aria-busy", "true");
    more.disabled = true;
    replace(failure);
    try {
      const page = await api.get("/claims", { status, limit, cursor: append ? cursor : undefined });
      const shown = page.items.map((claim) => claimCard(claim, decided));
      if (append) cards.append(...shown);
      else replace(cards, shown.length ? shown : h("p", { class: "muted empty" }, t(status === "pending" ? "cl.none_pending" : "cl.none")));
      cursor = page.next_cursor;
      more.hidden = !cursor;
    } catch (error) {
      replace(failure, alertBox(error));
    } finally {
      more.disabled = false;
      cards.setAttribute("aria-busy", "false");
    }
  }

  more.addEventListener("click", () => load(true));
  const list = h("div", { class: "paged" }, cards, failure, h("div", { class: "actions" }, more));
  list.reload = () => load(false);
  return list;
}

export async function render({ query, navigate }) {
  const status = STATUSES.includes(query.get("status")) ? query.get("status") : "pending";
  const result = h("div", { class: "claims-result" });
  const decided = async (text) => {
    announce(text);
    replace(result, h("p", { class: "alert", role: "status" }, text));
    await list.reload();
  };
  const list = claimList(status, pageSize(query), decided);
  const view = h(
    "div",
    { class: "view view-claims" },
    pageHeader(t("cl.title")),
    h("p", { class: "hint" }, t("cl.hint")),
    statusTabs(status, navigate),
    result,
    list,
  );
  await list.reload();
  return view;
}
