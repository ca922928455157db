// The participant's dialog with the operators (participant card, withdrawal screen): the messages both ways,
// attachments as links into Telegram, and a box to answer through the bot.

import { api } from "/admin/app/api.js";
import { h, replace } from "/admin/app/dom.js";
import { fmt, t } from "/admin/app/i18n.js";
import { announce, field, formAlert, idempotencyKey, onSubmit, pagedList, section } from "/admin/app/ui.js";

function author(line) {
  const who = [line.author_name, line.author_username ? `@${line.author_username}` : null, `id ${line.author_id}`].filter(Boolean).join(", ");
  const role = line.direction === "in" ? t("dialog.in") : t("dialog.out");
  const via = line.channel === "web" ? t("dialog.via_web") : t("dialog.via_telegram");
  return `${role} · ${who} · ${via}`;
}

function attachment(a) {
  const label = t("dialog.attachment", { kind: a.kind });
  return h(
    "li",
    { class: "dialog-attachment" },
    label,
    a.url ? [" — ", h("a", { href: a.url, target: "_blank", rel: "noopener noreferrer" }, t("dialog.attachment_link"))] : null,
  );
}

function lines(items) {
  if (!items.length) return h("p", { class: "muted" }, t("dialog.none"));
  return h(
    "ol",
    { class: "dialog-lines" },
    [...items].reverse().map((line) =>
      h(
        "li",
        { class: ["dialog-line", `dialog-${line.direction}`], dataset: { channel: line.channel } },
        h("p", { class: "comment-meta" }, h("time", { datetime: line.at }, fmt.dateTime(line.at)), ` · ${author(line)}`),
        line.text ? h("p", { class: "comment-text" }, line.text) : null,
        line.attachments.length ? h("ul", { class: "dialog-attachments" }, line.attachments.map(attachment)) : null,
      ),
    ),
  );
}

/** The dialog section; call `.load()` once it is in the page. */
export function dialogSection(participantId) {
  const path = `/participants/${encodeURIComponent(participantId)}/dialog`;
  const topic = h("p", { class: "note" });
  const list = pagedList({
    label: t("dialog.title"),
    load: async (cursor) => {
      const page = await api.get(path, { limit: 20, cursor });
      replace(topic, page.topic_url ? h("a", { href: page.topic_url, target: "_blank", rel: "noopener noreferrer" }, t("dialog.topic")) : null);
      return page;
    },
    render: lines,
  });
  const form = h(
    "form",
    { class: "edit-form dialog-reply", "aria-labelledby": "dialog-reply-title" },
    h("h3", { id: "dialog-reply-title" }, t("dialog.reply")),
    formAlert(),
    field({ label: t("dialog.text"), name: "text", kind: "textarea", required: true, wide: true, hint: t("dialog.reply_hint") }),
    h("button", { type: "submit", class: "btn btn-primary" }, t("dialog.send")),
  );
  let key = idempotencyKey();
  onSubmit(form, async (data) => {
    await api.post(path, { text: String(data.get("text") || "").trim(), request_key: key });
    key = idempotencyKey();
    form.reset();
    announce(t("dialog.sent"));
    await list.reload();
  });
  const panel = section(t("dialog.title"), topic, list, form);
  panel.id = "dialog";
  panel.load = () => list.reload();
  return panel;
}
