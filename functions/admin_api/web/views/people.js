// People as every table shows them: the name (a link for participants), the @username and the id beside.

import { h } from "/admin/app/dom.js";
import { t } from "/admin/app/i18n.js";

function parts(person) {
  const name = person.name || (person.username ? `@${person.username}` : null);
  const username = person.name && person.username ? ` @${person.username}` : "";
  return { name, username };
}

// A participant: "Алёна Семёнова @alyona · ID 41", the name linking to the card.
export function participantCell(person, id) {
  const pid = (person && person.id) || id;
  if (!pid) return "—";
  const { name, username } = parts(person || {});
  const href = `#/participants/${encodeURIComponent(pid)}`;
  return h(
    "span",
    { class: "person" },
    h("a", { href }, name || pid),
    username ? h("span", { class: "muted" }, username) : null,
    name ? h("span", { class: "muted person-id" }, ` · ${t("person.id", { id: pid })}`) : null,
  );
}

// An operator (or anyone without a card): the name, the @username and the id, no link.
export function operatorCell(person, id) {
  const pid = (person && person.id) || id;
  if (!pid) return "—";
  const { name, username } = parts(person || {});
  return h(
    "span",
    { class: "person" },
    name || pid,
    username ? h("span", { class: "muted" }, username) : null,
    name ? h("span", { class: "muted person-id" }, ` · ${t("person.id", { id: pid })}`) : null,
  );
}

// What a journal record is about, named: a participant, a request with its participant, the settings, an admin.
export function objectCell(record) {
  const type = record.object_type;
  const id = record.object_id;
  if (type === "participant") return participantCell(record.object_person, id);
  if (type === "admin") return operatorCell(record.object_person, id);
  if (type === "withdrawal") {
    return h(
      "span",
      { class: "person" },
      h("a", { href: `#/withdrawals/${encodeURIComponent(id)}` }, t("object.request_of", { id })),
      record.object_person ? h("span", {}, " — ", participantCell(record.object_person, null)) : null,
    );
  }
  if (type === "settings" && id === "ozon_connection") return t("object.ozon_connection");
  if (type === "settings") return record.object_name ? t("object.settings_version", { name: record.object_name }) : t("object.settings");
  return record.object_name || id;
}

// An attribute of a journal record in words ("level_rates.1" is worded once for every level).
export function attributeLabel(attribute) {
  const key = `attr.${attribute.replace(/\.\d+/g, ".#")}`;
  const text = t(key);
  const level = attribute.match(/\.(\d+)/);
  if (text === key) return attribute;
  return level && key.endsWith(".#") ? `${text} ${level[1]}` : text;
}

// A value of a journal record in words where it is a switch or a secret's presence.
export function valueLabel(value) {
  if (value === "true" || value === "false" || value === "set") return t(`value.${value}`);
  return value;
}
