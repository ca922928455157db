// The participant card's withdrawals: each request by number, with its status and how it was paid.

import { api } from "/admin/app/api.js";
import { h } from "/admin/app/dom.js";
import { fmt, t } from "/admin/app/i18n.js";
import { dataTable, section, statusBadge } from "/admin/app/ui.js";

export function payoutText(r) {
  if (!r.payout_method) return "—";
  return [t(`po.method.${r.payout_method}`), r.payout_details, r.payout_reference].filter(Boolean).join(" · ");
}

export function renderParticipantPayouts(participantId) {
  const body = h("div", {}, h("p", { class: "muted" }, "…"));
  const box = Object.assign(section(t("po.history"), body), { id: "payouts" });
  box.load = async () => {
    const page = await api.get("/withdrawals", { participant_id: participantId, limit: 50 });
    body.replaceChildren(
      dataTable({
        caption: t("po.history"),
        columns: [
          { key: "label", label: t("po.number"), render: (r) => h("a", { href: `#/withdrawals/${encodeURIComponent(r.id)}` }, r.label || r.id) },
          { key: "created_at", label: t("w.created"), render: (r) => fmt.dateTime(r.created_at) },
          { key: "points", label: t("w.points"), num: true, render: (r) => fmt.int(r.points) },
          { key: "fiat_amount", label: t("w.fiat"), num: true, render: (r) => fmt.money(r.fiat_amount) },
          { key: "status", label: t("w.status"), render: (r) => statusBadge(r.status) },
          { key: "payout", label: t("po.payout"), render: payoutText },
        ],
        rows: page.items,
        empty: t("po.none"),
        stack: true,
      }),
    );
  };
  return box;
}
