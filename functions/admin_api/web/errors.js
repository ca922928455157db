// A failed request in the operator's language: a domain error by its stable `reason`, each validation problem by
// pydantic's `type` (+ `ctx`) under the label the form shows for the field. What has no wording here is shown as a
// generic message with the server's own (English) words on a second line.

import { fmt, hasPhrase, t } from "/admin/app/i18n.js";

/** pydantic's English messages → its error type and context, for answers that carry only the message. */
const MESSAGE_TYPES = [
  [/^Field required$/, "missing"],
  [/^Input should be less than or equal to (.+)$/, "less_than_equal", "le"],
  [/^Input should be greater than or equal to (.+)$/, "greater_than_equal", "ge"],
  [/^Input should be less than (.+)$/, "less_than", "lt"],
  [/^Input should be greater than (.+)$/, "greater_than", "gt"],
  [/^Input should be a valid integer/, "int_parsing"],
  [/^Input should be a valid (decimal|number)/, "decimal_parsing"],
  [/^Input should be a valid date/, "date_parsing"],
  [/^Input should be a valid boolean/, "bool_parsing"],
  [/^String should have at least (\d+) characters?$/, "string_too_short", "min_length"],
  [/^String should have at most (\d+) characters?$/, "string_too_long", "max_length"],
  [/^String should match pattern '(.+)'$/, "string_pattern_mismatch", "pattern"],
  [/^Decimal input should have no more than (\d+) decimal places?$/, "decimal_max_places", "decimal_places"],
  [/^Decimal input should have no more than (\d+) digits? in total$/, "decimal_max_digits", "max_digits"],
  [/^Extra inputs are not permitted$/, "extra_forbidden"],
  // the settings' own checks (pydantic "value_error"s)
  [/max_withdrawal must not be below min_withdrawal/, "max_below_min"],
  [/text must not be blank/, "blank"],
];

/** Types worded alike. */
const SAME_AS = {
  int_type: "int_parsing",
  int_from_float: "int_parsing",
  decimal_type: "decimal_parsing",
  float_parsing: "decimal_parsing",
  float_type: "decimal_parsing",
  date_type: "date_parsing",
  date_from_datetime_parsing: "date_parsing",
  datetime_parsing: "date_parsing",
  datetime_from_date_parsing: "date_parsing",
  literal_error: "choice",
  enum: "choice",
};

/** Domain errors about one field: the field is marked too (e.g. the rejection's missing reason). */
export const REASON_FIELDS = {
  rejection_reason_required: "reason",
  reason_required: "reason",
  comment_length: "text",
  sponsor_not_found: "sponsor_id",
  referral_cycle: "sponsor_id",
  self_referral: "sponsor_id",
  telegram_id_format: "telegram_id",
  admin_exists: "telegram_id",
  ozon_client_id_format: "client_id",
  ozon_api_key_format: "api_key",
  ozon_api_key_characters: "api_key",
  ozon_api_key_required: "api_key",
};

const DIGITS_PATTERN = /^\^\[0-9\]\{1,(\d+)\}\$$/;

/** Codes that name only a category: the exact case is in `reason`, or nowhere. */
const STATUS_TEXT = { 0: "error.network", 400: "error.bad_request", 401: "error.unauthorized", 403: "error.forbidden" };
Object.assign(STATUS_TEXT, { 404: "error.not_found", 409: "error.conflict", 422: "error.rejected" });

function fromMessage(message) {
  for (const [pattern, type, name] of MESSAGE_TYPES) {
    const found = pattern.exec(String(message || ""));
    if (found) return { type, ctx: name ? { [name]: found[1] } : {} };
  }
  return null;
}

function shown(value) {
  return typeof value === "number" || /^-?\d+(\.\d+)?$/.test(String(value)) ? fmt.decimal(value, 4) : String(value);
}

/** One validation problem ({field, message, type?, ctx?}) in words, or null if it has none here. */
export function problemText(problem) {
  const known = problem.type && problem.type !== "value_error" ? { type: problem.type, ctx: problem.ctx || {} } : null;
  const found = known || fromMessage(problem.message);
  if (!found) return null;
  let type = SAME_AS[found.type] || found.type;
  let vars = found.ctx;
  if (type === "string_too_short" && Number(vars.min_length) <= 1) type = "missing";
  const digits = type === "string_pattern_mismatch" && DIGITS_PATTERN.exec(String(vars.pattern));
  if (digits) {
    type = "digits";
    vars = { max: digits[1] };
  }
  const key = `invalid.${type}`;
  if (!hasPhrase(key)) return null;
  return t(key, Object.fromEntries(Object.entries(vars).map(([name, value]) => [name, shown(value)])));
}

function rangeLabel(name) {
  for (const key of [`range.${name}`, `p.f_${name}`]) if (hasPhrase(key)) return t(key);
  return name;
}

function reasonText(reason, details) {
  if (!reason || !hasPhrase(`reason.${reason}`)) return null;
  let text = t(`reason.${reason}`);
  if (reason === "negative_balance" && details.available !== undefined && details.frozen !== undefined) {
    text += ` ${t("reason.balance_now", { available: fmt.int(details.available), frozen: fmt.int(details.frozen) })}`;
  }
  return text;
}

/**
 * What went wrong: {text, items: [{label, text, server}], server}. `labelOf(field)` gives the label a form shows
 * for an API field (null when no control shows it); `server` is the server's words when ours are missing.
 */
export function explain(error, labelOf = () => null) {
  if (!error) return { text: "", items: [], server: null };
  const details = error.details || {};
  const items = (error.fieldErrors || []).map((problem) => {
    const text = problemText(problem);
    return { label: labelOf(String(problem.field)), text: text || t("error.generic_field"), server: text ? null : problem.message };
  });
  const ranges = Array.isArray(details.ranges) ? details.ranges : [];
  const text = ranges.length ? t("error.ranges", { fields: ranges.map(rangeLabel).join(", ") }) : reasonText(details.reason || error.code, details);
  if (text) return { text, items, server: null };
  if (items.length) return { text: t("error.invalid"), items, server: null };
  const generic = STATUS_TEXT[error.status] || (error.status >= 500 ? "error.server" : "error.unknown");
  return { text: t(generic), items, server: error.status === 0 ? null : error.serverMessage || null };
}

/** The same in one line (for a short message in a toast). */
export function errorLine(error, labelOf) {
  const { text, items, server } = explain(error, labelOf);
  const parts = [text, ...items.map((item) => (item.label ? `${item.label}: ${item.text}` : item.text))];
  if (server) parts.push(t("error.server_said", { text: server }));
  return parts.join(" ");
}
