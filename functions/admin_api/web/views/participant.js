// A participant's card: profile, balances and totals, network by level, the referral tree, edits,
// the ledger with filters and the audit trail of operators' changes to this participant.

import { api } from "/admin/app/api.js";
import { participantMoney } from "/admin/app/views/participant_money.js";
import { dialogSection } from "/admin/app/views/participant_dialog.js";
import { renderParticipantPayouts } from "/admin/app/views/participant_payouts.js";
import { h, replace, uid } from "/admin/app/dom.js";
import { fmt, t, tn } from "/admin/app/i18n.js";
import {
  alertBox,
  announce,
  dataTable,
  dl,
  field,
  filterBox,
  formAlert,
  idempotencyKey,
  integerOrText,
  onSubmit,
  pageHeader,
  pagedList,
  participantLink,
  section,
} from "/admin/app/ui.js";
import { objectCell, operatorCell, participantCell } from "/admin/app/views/people.js";
import { riskSection } from "/admin/app/views/participant_risks.js";

export const ENTRY_KINDS = ["accrual", "release", "reversal", "withdrawal_reserve", "withdrawal_paid", "withdrawal_return", "correction"];
const BALANCE_PARTS = ["frozen", "available", "reserved", "withdrawn"];

/* ---------- ledger table (shared with the global ledger) ---------- */

function signed(n) {
  return n > 0 ? `+${fmt.int(n)}` : `−${fmt.int(-n)}`;
}

/** Credit or debit, and under it how each part of the balance moved ("frozen +49", "available −300 · reserved +300"). */
function movement(entry) {
  const credit = entry.credit ? h("span", { class: "pos" }, `+${fmt.int(entry.credit)}`) : null;
  const total = credit || (entry.debit ? h("span", { class: "neg" }, `−${fmt.int(entry.debit)}`) : null);
  const parts = BALANCE_PARTS.filter((part) => entry[`d_${part}`]).map((part) => `${t(`l.part_${part}`)} ${signed(entry[`d_${part}`])}`);
  return h("span", { class: "movement" }, total, parts.length ? h("span", { class: "sub" }, parts.join(" · ")) : null);
}

/** What the entry comes from: the withdrawal request, or the posting with its level, amount and rate. */
function source(entry) {
  if (entry.withdrawal_id) {
    return h("a", { href: `#/withdrawals/${encodeURIComponent(entry.withdrawal_id)}` }, `${t("l.withdrawal")} ${entry.withdrawal_id}`);
  }
  if (!entry.posting_number) return "—";
  const facts = [
    entry.level === 0 ? t("l.own") : entry.level ? t("l.level_n", { n: entry.level }) : null,
    entry.amount ? fmt.money(entry.amount) : null,
    entry.rate ? t("l.rate_value", { rate: fmt.decimal(entry.rate) }) : null,
  ].filter(Boolean);
  return h("span", {}, entry.posting_number, facts.length ? h("span", { class: "sub" }, facts.join(" · ")) : null);
}

export function ledgerColumns({ withParticipant = false } = {}) {
  const columns = [
    { key: "created_at", label: t("l.date"), render: (r) => fmt.dateTime(r.created_at) },
    withParticipant ? { key: "participant_id", label: t("l.participant"), render: (r) => participantCell(r.participant, r.participant_id) } : null,
    { key: "kind", label: t("l.kind"), render: (r) => t(`kind.${r.kind}`) },
    { key: "movement", label: t("l.movement"), num: true, render: movement },
    { key: "source", label: t("l.details"), render: source },
    { key: "actor_id", label: t("l.actor"), render: (r) => operatorCell(r.actor, r.actor_id) },
    { key: "reason", label: t("l.reason"), render: (r) => r.reason || "—" },
  ];
  return columns.filter(Boolean);
}

export function kindOptions() {
  return [{ value: "", label: t("common.any") }, ...ENTRY_KINDS.map((k) => ({ value: k, label: t(`kind.${k}`) }))];
}

export function directionOptions() {
  return [
    { value: "", label: t("common.any") },
    { value: "credit", label: t("l.credit") },
    { value: "debit", label: t("l.debit") },
  ];
}

function ledgerSection(participantId) {
  let filters = {};
  const filterPanel = filterBox({
    label: t("l.filters"),
    open: false,
    fields: [
      field({ label: t("l.kind"), name: "kind", kind: "select", options: kindOptions() }),
      field({ label: t("l.direction"), name: "direction", kind: "select", options: directionOptions() }),
      field({ label: t("common.from"), name: "from", kind: "date" }),
      field({ label: t("common.to"), name: "to", kind: "date" }),
      field({ label: t("l.level"), name: "level", kind: "number", attrs: { inputmode: "numeric" } }),
      field({ label: t("l.posting"), name: "posting_number" }),
      field({ label: t("l.withdrawal"), name: "withdrawal_id" }),
    ],
    onApply: (values) => {
      filters = values;
      list.reload();
    },
    onReset: () => {
      filters = {};
      list.reload();
    },
  });
  const list = pagedList({
    label: t("card.ledger"),
    form: filterPanel.form,
    load: (cursor) => api.get(`/participants/${participantId}/ledger`, { limit: 25, cursor, ...filters }),
    render: (items) => dataTable({ caption: t("card.ledger"), columns: ledgerColumns(), rows: items, empty: t("l.none"), stack: true }),
  });
  const node = section(t("card.ledger"), filterPanel, list);
  node.id = "ledger";
  node.load = () => list.reload();
  return node;
}

/* ---------- audit trail ---------- */

export function auditColumns({ withObject = false } = {}) {
  return [
    { key: "created_at", label: t("j.date"), render: (r) => h("a", { href: `#/journal/${encodeURIComponent(r.id)}` }, fmt.dateTime(r.created_at)) },
    { key: "actor_id", label: t("j.actor"), render: (r) => operatorCell(r.actor, r.actor_id) },
    { key: "action", label: t("j.action"), render: (r) => actionLabel(r.action) },
    withObject ? { key: "object_type", label: t("j.object_type"), render: (r) => t(`object.${r.object_type}`) } : null,
    withObject ? { key: "object_id", label: t("j.object"), render: (r) => objectCell(r) } : null,
    { key: "reason", label: t("j.reason"), render: (r) => r.reason || "—" },
  ].filter(Boolean);
}

export function actionLabel(action) {
  const key = `action.${action}`;
  const text = t(key);
  return text === key ? action : text;
}

export function objectLink(type, id) {
  if (type === "participant") return participantLink(id);
  if (type === "withdrawal") return h("a", { href: `#/withdrawals/${encodeURIComponent(id)}` }, id);
  return id;
}

function auditSection(participantId) {
  const list = pagedList({
    label: t("card.audit"),
    load: (cursor) => api.get("/journal/actions", { object_type: "participant", object_id: participantId, limit: 25, cursor }),
    render: (items) => dataTable({ caption: t("card.audit"), columns: auditColumns(), rows: items, empty: t("j.none"), stack: true }),
  });
  const node = section(t("card.audit"), list);
  node.id = "audit";
  node.load = () => list.reload();
  return node;
}

/* ---------- referral tree ---------- */

function referralList(rootId, level) {
  const listId = uid("tree");
  const ul = h("ul", { class: "tree-level", id: listId });
  const more = h("button", { type: "button", class: "btn btn-small", hidden: true }, t("tree.more"));
  const holder = h("div", { class: "tree-block" }, ul, more);
  let cursor = null;

  async function load() {
    more.disabled = true;
    try {
      const data = await api.get(`/participants/${rootId}/referrals`, { level, limit: 50, cursor });
      if (!cursor && data.items.length === 0) ul.append(h("li", { class: "muted" }, t("tree.none")));
      for (const item of data.items) ul.append(treeNode(item));
      cursor = data.next_cursor;
      more.hidden = !cursor;
    } catch (error) {
      holder.append(alertBox(error));
    } finally {
      more.disabled = false;
    }
  }
  more.addEventListener("click", load);
  holder.load = load;
  return holder;
}

function treeNode(item) {
  const childrenId = uid("children");
  const children = h("div", { id: childrenId, class: "tree-children", hidden: true });
  const hasChildren = item.direct_referrals > 0;
  const info = h(
    "span",
    { class: "tree-info" },
    participantLink(item.id, item.name),
    h(
      "span",
      { class: "muted" },
      ` · ${fmt.date(item.registered_at)} · ${tn("tree.referrals_n", item.direct_referrals)} · ${t("tree.balance", { n: fmt.int(item.balance) })}`,
    ),
    item.blocked ? h("span", { class: "status status-blocked" }, t("p.blocked")) : null,
  );
  let loaded = false;
  const toggle = hasChildren
    ? h(
        "button",
        {
          type: "button",
          class: "tree-toggle",
          "aria-expanded": "false",
          "aria-controls": childrenId,
          "aria-label": t("tree.expand", { name: item.name }),
        },
        h("span", { "aria-hidden": "true" }, "▸"),
      )
    : h("span", { class: "tree-leaf", "aria-hidden": "true" }, "•");
  if (hasChildren) {
    toggle.addEventListener("click", async () => {
      const open = toggle.getAttribute("aria-expanded") === "true";
      toggle.setAttribute("aria-expanded", String(!open));
      toggle.firstChild.textContent = open ? "▸" : "▾";
      children.hidden = open;
      if (!open && !loaded) {
        loaded = true;
        const sub = referralList(item.id, 1);
        children.append(sub);
        await sub.load();
      }
    });
  }
  return h("li", { class: "tree-node", dataset: { id: item.id } }, h("div", { class: "tree-row" }, toggle, info), children);
}

function treeSection(card) {
  const maxLevel = Math.max(1, ...card.levels.filter((l) => l.level > 0 && l.referrals > 0).map((l) => l.level));
  const levelSelect = field({
    label: t("tree.level"),
    name: "level",
    kind: "select",
    value: "1",
    options: Array.from({ length: Math.min(10, Math.max(maxLevel, 1)) }, (_, i) => ({ value: String(i + 1), label: t("tree.level_n", { n: i + 1 }) })),
  });
  const holder = h("div", {});
  async function show(level) {
    const list = referralList(card.id, level);
    replace(holder, list);
    await list.load();
  }
  levelSelect.control.addEventListener("change", () => show(Number(levelSelect.control.value)));
  const node = section(t("card.tree"), h("p", { class: "hint" }, t("tree.hint")), levelSelect, holder);
  node.id = "tree";
  node.load = () => show(1);
  return node;
}

/* ---------- edits ---------- */

function correctionForm(card, reload) {
  // One idempotency key per submission, kept while the same values are sent again (a retry after a lost answer),
  // so the server applies the correction once; a fresh key as soon as the values change.
  let pending = null;
  const form = h(
    "form",
    { class: "edit-form", "aria-labelledby": "correction-title" },
    h("h3", { id: "correction-title" }, t("edit.correction")),
    h("p", { class: "hint" }, t("edit.correction_hint")),
    formAlert(),
    h(
      "div",
      { class: "form-grid" },
      field({
        label: t("edit.available_change"),
        name: "available_change",
        kind: "number",
        value: "0",
        hint: t("edit.available_hint", { n: fmt.int(card.available) }),
      }),
      field({
        label: t("edit.total_change"),
        name: "total_change",
        kind: "number",
        value: "0",
        hint: t("edit.total_hint", { n: fmt.int(card.available + card.frozen) }),
      }),
    ),
    field({ label: t("edit.reason"), name: "reason", kind: "textarea", required: true, wide: true }),
    field({ label: t("edit.correction_notify"), name: "notify", kind: "checkbox", hint: t("edit.correction_notify_hint") }),
    field({ label: t("edit.correction_notify_reason"), name: "notify_reason", kind: "checkbox" }),
    h("button", { type: "submit", class: "btn btn-primary" }, t("edit.correction_submit")),
  );
  onSubmit(form, async (data) => {
    const correction = {
      available_change: integerOrText(data.get("available_change"), 0),
      total_change: integerOrText(data.get("total_change"), 0),
      reason: String(data.get("reason") || "").trim(),
      participant_notice: data.get("notify") ? (data.get("notify_reason") ? "change_and_reason" : "change") : "none",
    };
    const signature = JSON.stringify(correction);
    if (!pending || pending.signature !== signature) pending = { signature, key: idempotencyKey() };
    const result = await api.post(`/participants/${card.id}/balance-corrections`, { ...correction, idempotency_key: pending.key });
    pending = null;
    if (result.applied === false) announce(t("edit.correction_repeat"), "warn");
    else announce(t("edit.correction_done"));
    await reload();
  });
  return form;
}

function sponsorForm(card, reload) {
  const form = h(
    "form",
    { class: "edit-form", "aria-labelledby": "sponsor-title" },
    h("h3", { id: "sponsor-title" }, t("edit.sponsor")),
    h("p", { class: "hint" }, t("edit.sponsor_hint")),
    formAlert(),
    field({ label: t("edit.sponsor_id"), name: "sponsor_id", value: card.sponsor_id || "", attrs: { inputmode: "numeric" } }),
    field({ label: t("edit.reason"), name: "reason", kind: "textarea", required: true, wide: true }),
    h("button", { type: "submit", class: "btn btn-primary" }, t("edit.sponsor_submit")),
  );
  onSubmit(form, async (data) => {
    const sponsor = String(data.get("sponsor_id") || "").trim();
    const result = await api.put(`/participants/${card.id}/sponsor`, {
      sponsor_id: sponsor || null,
      reason: String(data.get("reason") || "").trim(),
    });
    announce(tn("edit.sponsor_done", result.rechained));
    await reload();
  });
  return form;
}

function blockForm(card, reload) {
  const form = h(
    "form",
    { class: "edit-form", "aria-labelledby": "block-title" },
    h("h3", { id: "block-title" }, card.blocked ? t("edit.unblock") : t("edit.block")),
    h("p", { class: "hint" }, card.blocked ? t("edit.unblock_hint") : t("edit.block_hint")),
    formAlert(),
    field({ label: t("edit.reason"), name: "reason", kind: "textarea", required: true, wide: true }),
    h(
      "button",
      { type: "submit", class: card.blocked ? "btn btn-primary" : "btn btn-danger" },
      card.blocked ? t("edit.unblock_submit") : t("edit.block_submit"),
    ),
  );
  onSubmit(form, async (data) => {
    await api.put(`/participants/${card.id}/blocked`, { blocked: !card.blocked, reason: String(data.get("reason") || "").trim() });
    announce(card.blocked ? t("edit.unblocked") : t("edit.blocked"));
    await reload();
  });
  return form;
}

/* ---------- the card ---------- */

function levelsTable(card) {
  return dataTable({
    caption: t("card.levels"),
    columns: [
      { key: "level", label: t("card.level"), render: (r) => (r.level === 0 ? t("card.own") : String(r.level)) },
      { key: "referrals", label: t("card.level_referrals"), num: true, render: (r) => (r.level === 0 ? "—" : fmt.int(r.referrals)) },
      { key: "orders", label: t("card.level_orders"), num: true, render: (r) => fmt.int(r.orders) },
      { key: "amount", label: t("card.level_amount"), num: true, render: (r) => fmt.money(r.amount) },
      { key: "earned", label: t("card.level_earned"), num: true, render: (r) => fmt.int(r.earned) },
      { key: "last_order_at", label: t("card.level_last"), render: (r) => fmt.date(r.last_order_at) },
    ],
    rows: card.levels,
    empty: t("card.no_levels"),
  });
}

function eventText(event, kind) {
  if (!event) return t("common.none");
  const what = kind === "order" ? fmt.money(event.amount) : tn("common.points_n", event.points);
  return `${fmt.date(event.at)} · ${what}`;
}

export async function render({ params, navigate }) {
  const [id] = params;
  const card = await api.get(`/participants/${id}`);
  const reload = () => navigate(`participants/${id}`);

  const totals = section(
    t("card.totals"),
    h(
      "div",
      { class: "stat-grid" },
      [
        ["card.balance", fmt.int(card.balance), "balance"],
        ["card.available", fmt.int(card.available), "available"],
        ["card.frozen", fmt.int(card.frozen), "frozen"],
        ["card.reserved", fmt.int(card.reserved), "reserved"],
        ["card.withdrawn", fmt.int(card.withdrawn), "withdrawn"],
        ["card.accrued", fmt.int(card.accrued_total), "accrued"],
      ].map(([label, value, key]) =>
        h("div", { class: "stat", dataset: { stat: key } }, h("span", { class: "stat-label" }, t(label)), h("span", { class: "stat-value" }, value)),
      ),
    ),
    dl([
      [t("card.purchases"), `${fmt.money(card.purchases_sum)} · ${tn("p.orders_n", card.orders_count)}`],
      [t("card.last_order"), eventText(card.last_order, "order")],
      [t("card.first_order"), fmt.date(card.first_order_at)],
      [t("card.last_withdrawal"), eventText(card.last_withdrawal, "withdrawal")],
      [t("card.direct"), fmt.int(card.direct_referrals)],
      [t("card.network"), fmt.int(card.network_size)],
      [t("card.network_orders"), `${tn("p.orders_n", card.network_orders)} · ${fmt.money(card.network_amount)}`],
    ]),
  );

  const profile = section(
    t("card.profile"),
    dl([
      [t("p.id"), card.id],
      [t("card.username"), card.username ? `@${card.username}` : "—"],
      [t("card.first_name"), card.first_name || "—"],
      [t("card.last_name"), card.last_name || "—"],
      [t("card.ozon_id"), card.ozon_id || "—"],
      [t("card.registered"), fmt.dateTime(card.registered_at)],
      [t("p.sponsor"), participantLink(card.sponsor_id)],
      [
        t("card.ancestors"),
        card.ancestors.length
          ? h(
              "ol",
              { class: "chain" },
              card.ancestors.map((a) => h("li", {}, participantLink(a))),
            )
          : "—",
      ],
      [t("card.joined_via"), card.joined_via || "—"],
      [t("card.personal_code"), card.personal_code || "—"],
      [t("card.status"), card.blocked ? h("span", { class: "status status-blocked" }, t("p.blocked")) : t("card.active")],
    ]),
  );

  const levels = section(t("card.levels"), levelsTable(card));
  const tree = treeSection(card);
  const edits = section(
    t("card.edit"),
    h("div", { class: "edit-grid" }, correctionForm(card, reload), sponsorForm(card, reload), blockForm(card, reload)),
  );
  edits.id = "edit";
  const ledger = ledgerSection(card.id);
  const audit = auditSection(card.id);
  const risks = riskSection(card.id);
  const dialog = dialogSection(card.id);

  const jump = h(
    "nav",
    { class: "jump", "aria-label": t("card.sections") },
    h(
      "ul",
      {},
      [
        ["tree", "card.tree"],
        ["edit", "card.edit"],
        ["ledger", "card.ledger"],
        ["audit", "card.audit"],
      ].map(([target, key]) =>
        h(
          "li",
          {},
          h(
            "button",
            {
              type: "button",
              class: "btn btn-small btn-link",
              onclick: () => {
                const el = document.getElementById(target);
                el.scrollIntoView({ behavior: "smooth", block: "start" });
                const heading = el.querySelector("h2");
                heading.setAttribute("tabindex", "-1");
                heading.focus({ preventScroll: true });
              },
            },
            t(key),
          ),
        ),
      ),
    ),
  );

  const view = h(
    "div",
    { class: "view view-card" },
    h("p", { class: "crumbs" }, h("a", { href: "#/participants" }, `← ${t("p.title")}`)),
    pageHeader(
      card.name,
      h("span", { class: "muted" }, `ID ${card.id}`),
      card.blocked ? h("span", { class: "status status-blocked" }, t("p.blocked")) : null,
    ),
    jump,
    h("div", { class: "card-grid" }, totals, profile),
    participantMoney(card),
    risks,
    levels,
    tree,
    edits,
    ledger,
    audit,
    dialog,
  );
  const payouts = renderParticipantPayouts(card.id);
  view.append(payouts);
  await Promise.all([tree.load(), ledger.load(), audit.load(), risks.load(), dialog.load(), payouts.load()]);
  return view;
}
