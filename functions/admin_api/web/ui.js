// Shared pieces of the screens: fields with their errors, tables with sorting, pagers, messages.

import { h, replace, uid } from "/admin/app/dom.js";
import { REASON_FIELDS, errorLine, explain, problemText } from "/admin/app/errors.js";
import { fmt, t } from "/admin/app/i18n.js";

/* ---------- messages ---------- */

const TOASTS_AT_ONCE = 3;

/**
 * A short message in the corner (the live region #announcer: read out by screen readers). It goes by itself after
 * a few seconds, or with its close button; older ones give way when more than three pile up.
 */
export function announce(message, kind = "ok") {
  const region = document.getElementById("announcer");
  if (!region) return;
  const item = h("div", { class: ["toast", `toast-${kind}`] }, h("p", {}, message));
  item.append(h("button", { type: "button", class: "toast-close", "aria-label": t("toast.close"), onclick: () => item.remove() }, "×"));
  region.append(item);
  while (region.children.length > TOASTS_AT_ONCE) region.firstElementChild.remove();
  setTimeout(() => item.remove(), kind === "error" ? 9000 : 5000);
}

/** A failed request as a toast. */
export function announceError(error) {
  announce(errorLine(error), "error");
}

/**
 * An inline alert box (role=alert) for a failed request: the problem in the operator's language, validation
 * problems one per line under the fields' labels (`labelOf`, see labelsIn), the server's words when ours are missing.
 */
export function alertBox(error, labelOf) {
  const { text, items, server } = explain(error, labelOf);
  const serverLine = (words) => h("span", { class: "server-text", lang: "en" }, t("error.server_said", { text: words }));
  return h(
    "div",
    { class: "alert alert-error", role: "alert" },
    h("p", {}, text),
    items.length
      ? h(
          "ul",
          {},
          items.map((item) =>
            h("li", {}, item.label ? [h("strong", {}, item.label), ": "] : null, item.text, item.server ? [" ", serverLine(item.server)] : null),
          ),
        )
      : null,
    server ? h("p", {}, serverLine(server)) : null,
  );
}

export function loading() {
  return h("p", { class: "loading", role: "status" }, t("common.loading"));
}

/* ---------- form fields ---------- */

/**
 * A labelled control. kind: text | number | date | textarea | select | checkbox | password.
 * `field` is the API's name for it: validation errors with that field land under this control.
 */
export function field({
  label,
  name,
  kind = "text",
  value = "",
  field: apiField,
  hint,
  options,
  required = false,
  attrs = {},
  wide = false,
}) {
  const id = uid(name || "f");
  const hintId = hint ? `${id}-hint` : null;
  const errorId = `${id}-error`;
  const describedBy = [hintId, errorId].filter(Boolean).join(" ");
  const common = {
    id,
    name,
    required,
    "aria-describedby": describedBy,
    dataset: { field: apiField || name || "" },
    ...attrs,
  };
  let control;
  if (kind === "textarea") {
    control = h("textarea", { rows: 3, ...common }, value ?? "");
  } else if (kind === "select") {
    control = h(
      "select",
      common,
      (options || []).map((o) => h("option", { value: o.value, selected: String(o.value) === String(value ?? "") }, o.label)),
    );
  } else if (kind === "checkbox") {
    control = h("input", { type: "checkbox", checked: Boolean(value), ...common });
  } else {
    const inputType = kind === "number" ? "text" : kind;
    const extra = kind === "number" ? { inputmode: "decimal", autocomplete: "off" } : {};
    control = h("input", { type: inputType, value: value ?? "", ...extra, ...common });
  }
  const labelEl = h("label", { for: id }, label, required ? h("span", { class: "req", "aria-hidden": "true" }, " *") : null);
  const wrapper = h(
    "div",
    { class: ["field", kind === "checkbox" && "field-check", wide && "field-wide"] },
    kind === "checkbox" ? [control, labelEl] : [labelEl, control],
    hint ? h("p", { class: "hint", id: hintId }, hint) : null,
    h("p", { class: "field-error", id: errorId, hidden: true }),
  );
  wrapper.control = control;
  return wrapper;
}

/** Clears a form's previous error marks and alert. */
export function clearErrors(form) {
  for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  for (const el of form.querySelectorAll(".field-error")) {
    el.textContent = "";
    el.hidden = true;
  }
  const slot = form.querySelector(".form-alert");
  if (slot) replace(slot);
}

/** The controls in `scope` that show an API field ("body.hold_days", "query.level", "level_rates.1"…). */
function controlsFor(scope, apiField) {
  const name = apiField.replace(/^(body|query|changes)\./, "");
  const shows = (control) => control.dataset.field && (name === control.dataset.field || name.startsWith(`${control.dataset.field}.`));
  const controls = [...scope.querySelectorAll("[data-field]")].filter(shows);
  // The most specific control wins: "level_rates.1" → the second rate, not every rate.
  const exact = controls.filter((c) => c.dataset.field === name);
  return exact.length ? exact : controls.slice(0, 1);
}

/** Names API fields by the labels of the controls in `scope` (for alertBox). */
function labelsIn(scope) {
  return (apiField) => {
    const [control] = controlsFor(scope, apiField);
    // Not control.labels: the list may fail before its screen is in the document.
    const label = control && scope.querySelector(`label[for="${CSS.escape(control.id)}"]`);
    if (!label) return null;
    const copy = label.cloneNode(true);
    for (const mark of copy.querySelectorAll(".req")) mark.remove();
    return copy.textContent.trim() || null;
  };
}

/** Shows a failed request on a form: each problem under its field, and an alert on top. */
export function showErrors(form, error) {
  clearErrors(form);
  let firstInvalid = null;
  const marks = (error.fieldErrors || []).map((problem) => [String(problem.field), problemText(problem) || problem.message]);
  const reasonField = REASON_FIELDS[(error.details || {}).reason];
  if (!marks.length && reasonField) marks.push([reasonField, explain(error).text]);
  for (const [apiField, text] of marks) {
    for (const control of controlsFor(form, apiField)) {
      control.setAttribute("aria-invalid", "true");
      const slot = document.getElementById(`${control.id}-error`);
      if (slot) {
        slot.textContent = slot.textContent ? `${slot.textContent}; ${text}` : text;
        slot.hidden = false;
      }
      firstInvalid = firstInvalid || control;
    }
  }
  const alertSlot = form.querySelector(".form-alert");
  if (alertSlot) replace(alertSlot, alertBox(error, labelsIn(form)));
  if (firstInvalid) firstInvalid.focus();
}

export function formAlert() {
  return h("div", { class: "form-alert" });
}

/** Wires a form: prevents navigation, disables the submit button while busy, reports errors. */
export function onSubmit(form, handler) {
  form.setAttribute("novalidate", "");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const buttons = [...form.querySelectorAll("button")];
    buttons.forEach((b) => (b.disabled = true));
    form.setAttribute("aria-busy", "true");
    clearErrors(form);
    try {
      await handler(new FormData(form), event.submitter);
    } catch (error) {
      if (error && error.status !== undefined) {
        showErrors(form, error);
      } else {
        throw error;
      }
    } finally {
      buttons.forEach((b) => (b.disabled = false));
      form.removeAttribute("aria-busy");
    }
  });
  return form;
}

/* ---------- filters ---------- */

/** The values of `keys` present in the address's query. */
export function filtersFrom(query, keys) {
  const filters = {};
  for (const key of keys) if (query.get(key)) filters[key] = query.get(key);
  return filters;
}

/**
 * A filter form folded under its summary (the label, or `summary`), open while any filter is on. Apply hands the
 * filled fields to `onApply(values)`; Reset empties the fields and calls `onReset()`. List screens keep their
 * filters in the address, so both usually navigate. `.form` is the form (for pagedList's error labels).
 */
export function filterBox({ label, summary, open, fields, onApply, onReset }) {
  const form = h(
    "form",
    { class: "filters", "aria-label": label },
    h("div", { class: "filter-grid" }, fields),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit", class: "btn btn-primary" }, t("common.apply")),
      h("button", { type: "reset", class: "btn" }, t("common.reset")),
    ),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    onApply(compact(new FormData(form)));
  });
  form.addEventListener("reset", (event) => {
    event.preventDefault();
    for (const control of form.elements) {
      if (control.tagName === "SELECT") control.selectedIndex = 0;
      else if (control.tagName === "INPUT") control.value = "";
    }
    onReset();
  });
  const box = h("details", { class: "filter-box", open }, h("summary", {}, summary || label), form);
  box.form = form;
  return box;
}

/* ---------- tables ---------- */

/**
 * columns: [{key, label, render(row), num, sort}] — `sort` is the API's sort name for a sortable column.
 * sorting: {sort, order, onSort(sortName)}. `stack`: on a phone each row becomes a card of "label: value" lines.
 */
export function dataTable({ columns, rows, caption, sorting, empty, stack = false }) {
  const head = h(
    "tr",
    {},
    columns.map((col) => {
      const sortable = sorting && col.sort;
      const active = sortable && sorting.sort === col.sort;
      const ariaSort = active ? (sorting.order === "asc" ? "ascending" : "descending") : null;
      const content = sortable
        ? h(
            "button",
            {
              type: "button",
              class: "sort-button",
              onclick: () => sorting.onSort(col.sort),
              dataset: { sort: col.sort },
            },
            col.label,
            h("span", { class: "sort-mark", "aria-hidden": "true" }, active ? (sorting.order === "asc" ? " ▲" : " ▼") : " ↕"),
            h("span", { class: "visually-hidden" }, active ? ` (${t(sorting.order === "asc" ? "sort.asc" : "sort.desc")})` : ` (${t("sort.by")})`),
          )
        : col.label;
      return h("th", { scope: "col", class: col.num ? "num" : null, "aria-sort": ariaSort }, content);
    }),
  );
  const body = rows.length
    ? rows.map((row) =>
        h(
          "tr",
          {},
          columns.map((col, index) => {
            const value = col.render ? col.render(row) : row[col.key];
            const tag = index === 0 ? "th" : "td";
            const dataset = stack ? { col: col.key, label: col.label } : { col: col.key };
            return h(tag, { class: col.num ? "num" : null, scope: index === 0 ? "row" : null, dataset }, value ?? "—");
          }),
        ),
      )
    : [h("tr", {}, h("td", { colspan: columns.length, class: "empty" }, empty || t("common.empty")))];
  const table = h(
    "table",
    { class: ["data", stack && "stack"] },
    caption ? h("caption", { class: "visually-hidden" }, caption) : null,
    h("thead", {}, head),
    h("tbody", {}, body),
  );
  return h("div", { class: "table-wrap", tabindex: "0", role: "group", "aria-label": caption || t("common.table") }, table);
}

/* ---------- cursor paging ---------- */

/**
 * A list read page by page with the API's opaque cursor. `load(cursor)` returns {items, next_cursor};
 * `render(items)` builds the table. Back goes to the previous cursor kept on a stack. A failed load names the
 * fields by their labels in `form` (the list's filters).
 */
export function pagedList({ load, render, label, form }) {
  const container = h("div", { class: "paged" });
  const body = h("div", { "aria-live": "polite", "aria-busy": "false" });
  const status = h("span", { class: "page-status" });
  const prev = h("button", { type: "button", class: "btn", disabled: true }, t("page.prev"));
  const next = h("button", { type: "button", class: "btn", disabled: true }, t("page.next"));
  const nav = h("nav", { class: "pager", "aria-label": label ? `${t("page.nav")}: ${label}` : t("page.nav") }, prev, status, next);
  container.append(body, nav);
  const stack = [];
  let current = null;
  let page = 1;

  async function show(cursor) {
    body.setAttribute("aria-busy", "true");
    prev.disabled = true;
    next.disabled = true;
    try {
      const data = await load(cursor);
      current = cursor;
      replace(body, render(data.items || []));
      prev.disabled = stack.length === 0;
      next.disabled = !data.next_cursor;
      next.dataset.cursor = data.next_cursor || "";
      status.textContent = t("page.number", { n: page });
    } catch (error) {
      replace(body, alertBox(error, form ? labelsIn(form) : undefined));
    } finally {
      body.setAttribute("aria-busy", "false");
    }
  }

  next.addEventListener("click", () => {
    if (!next.dataset.cursor) return;
    stack.push(current);
    page += 1;
    show(next.dataset.cursor);
  });
  prev.addEventListener("click", () => {
    if (!stack.length) return;
    page -= 1;
    show(stack.pop());
  });
  container.reload = () => {
    stack.length = 0;
    page = 1;
    return show(null);
  };
  return container;
}

/* ---------- small things ---------- */

export function dl(pairs) {
  return h(
    "dl",
    { class: "props" },
    pairs
      .filter(Boolean)
      .map(([term, value]) => h("div", { class: "prop" }, h("dt", {}, term), h("dd", {}, value ?? "—"))),
  );
}

export function statusBadge(status) {
  return h("span", { class: ["status", `status-${status}`] }, t(`wstatus.${status}`));
}

export function participantLink(id, name) {
  if (!id) return "—";
  return h("a", { href: `#/participants/${encodeURIComponent(id)}` }, name ? `${name} (${id})` : id);
}

export function section(title, ...children) {
  const id = uid("sec");
  return h("section", { class: "panel", "aria-labelledby": id }, h("h2", { id }, title), ...children);
}

export function pageHeader(title, ...extra) {
  return h("div", { class: "page-head" }, h("h1", { tabindex: "-1" }, title), ...extra);
}

/** Form values without empty strings. */
export function compact(formData) {
  const out = {};
  for (const [key, value] of formData.entries()) {
    const text = String(value).trim();
    if (text !== "") out[key] = text;
  }
  return out;
}

/** A whole number as a number; anything else as typed, for the server to refuse with a message. */
export function integerOrText(value, empty = "") {
  const text = String(value ?? "").trim();
  if (text === "") return empty;
  return /^[+-]?\d+$/.test(text) ? Number(text) : text;
}

export function idempotencyKey() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export { fmt };
