// The participant card's open risk flags, each with its reason, evidence and a form to resolve it.

import { api } from "/admin/app/api.js";
import { h, replace } from "/admin/app/dom.js";
import { fmt, t } from "/admin/app/i18n.js";
import { section } from "/admin/app/ui.js";
import { evidenceText, resolveForm } from "/admin/app/views/risks.js";

/** The section, filled when its flags are read (a failed read leaves it saying so, the card stands). */
export function riskSection(participantId) {
  const holder = h("div", { class: "risk-flags" });
  const node = section(t("r.card"), holder);
  node.id = "risks";
  node.load = async () => {
    let flags = [];
    try {
      flags = (await api.get("/risks", { participant_id: participantId, limit: 50 })).items;
    } catch {
      replace(holder, h("p", { class: "muted" }, t("common.empty")));
      return;
    }
    if (!flags.length) {
      replace(holder, h("p", { class: "muted" }, t("r.card_none")));
      return;
    }
    replace(
      holder,
      h(
        "ul",
        { class: "flag-list" },
        flags.map((flag) =>
          h(
            "li",
            { class: "flag", dataset: { kind: flag.kind } },
            h("p", {}, h("strong", {}, t(`rkind.${flag.kind}`)), " · ", fmt.dateTime(flag.raised_at)),
            h("p", {}, flag.reason),
            h("p", { class: "evidence muted" }, evidenceText(flag.evidence)),
            resolveForm(flag, () => node.load()),
          ),
        ),
      ),
    );
  };
  return node;
}
