// The operators' app: login, the shell (header, navigation, language, the new-requests badge) and routing.

import { ApiError, api, clearSession, getSession, onUnauthorized, saveSession } from "/admin/app/api.js";
import { h, replace } from "/admin/app/dom.js";
import { errorLine } from "/admin/app/errors.js";
import { getLang, setLang, t, tn } from "/admin/app/i18n.js";
import { alertBox, announce, loading } from "/admin/app/ui.js";
import * as journal from "/admin/app/views/journal.js";
import * as ledger from "/admin/app/views/ledger.js";
import * as login from "/admin/app/views/login.js";
import * as orders from "/admin/app/views/orders.js";
import * as participant from "/admin/app/views/participant.js";
import * as participants from "/admin/app/views/participants.js";
import * as risks from "/admin/app/views/risks.js";
import * as claims from "/admin/app/views/claims.js";
import * as settings from "/admin/app/views/settings.js";
import * as statistics from "/admin/app/views/statistics.js";
import * as withdrawal from "/admin/app/views/withdrawal.js";
import * as withdrawals from "/admin/app/views/withdrawals.js";

const BADGE_REFRESH_MS = 30_000;

const NAV = [
  ["participants", "nav.participants"],
  ["withdrawals", "nav.withdrawals"],
  ["journal", "nav.journal"],
  ["ledger", "nav.ledger"],
  ["settings", "nav.settings"],
  ["statistics", "nav.statistics"],
  ["orders", "nav.orders"],
  ["risks", "nav.risks"],
  ["claims", "nav.claims"],
];

const ROUTES = [
  [/^participants$/, participants],
  [/^participants\/([0-9]{1,20})$/, participant],
  [/^withdrawals$/, withdrawals],
  [/^withdrawals\/([^/]+)$/, withdrawal],
  [/^journal$/, journal],
  [/^journal\/([^/]+)$/, journal],
  [/^ledger$/, ledger],
  [/^settings$/, settings],
  [/^statistics$/, statistics],
  [/^orders$/, orders],
  [/^risks$/, risks],
  [/^claims$/, claims],
];

const state = {
  config: null,
  admin: null,
  badgeTimer: null,
  newCount: 0,
  renderId: 0,
  lastPath: null,
};

/* ---------- routing ---------- */

export function parseHash() {
  const raw = window.location.hash.replace(/^#\/?/, "");
  const [path, search = ""] = raw.split("?");
  return { path: decodeURIComponent(path || ""), query: new URLSearchParams(search) };
}

/** Navigates to `#/path?query` (query: an object, empty values left out). */
export function navigate(path, query) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
  }
  const search = params.toString();
  const target = `#/${path}${search ? `?${search}` : ""}`;
  if (window.location.hash === target) {
    render();
  } else {
    window.location.hash = target;
  }
}

function main() {
  return document.getElementById("main");
}

async function render() {
  const renderId = ++state.renderId;
  if (!state.admin) {
    renderLogin();
    return;
  }
  const { path, query } = parseHash();
  if (!path) {
    window.location.replace("#/participants");
    return;
  }
  const match = ROUTES.find(([pattern]) => pattern.test(path));
  updateNav(path);
  const target = main();
  if (!match) {
    replace(target, h("h1", { tabindex: "-1" }, t("error.no_page")), h("p", {}, h("a", { href: "#/participants" }, t("nav.participants"))));
    return;
  }
  const [pattern, view] = match;
  if (state.lastPath !== null) refreshBadge();
  const params = path.match(pattern).slice(1).map(decodeURIComponent);
  replace(target, loading());
  const navigated = state.lastPath !== null && state.lastPath !== path;
  state.lastPath = path;
  try {
    const content = await view.render({
      params,
      query,
      admin: state.admin,
      navigate,
      refreshBadge,
      isCurrent: () => renderId === state.renderId,
    });
    if (renderId !== state.renderId) return;
    replace(target, content);
    document.title = `${(target.querySelector("h1") || {}).textContent || ""} — ${t("app.title")}`;
    if (navigated) {
      const heading = target.querySelector("h1");
      if (heading) heading.focus({ preventScroll: false });
    }
  } catch (error) {
    if (renderId !== state.renderId) return;
    if (!(error instanceof ApiError)) console.error(error);
    if (error instanceof ApiError && error.status === 401) return;
    replace(target, h("h1", { tabindex: "-1" }, t("error.title")), alertBox(error));
  }
}

/* ---------- shell ---------- */

function languageSwitch() {
  const current = getLang();
  return h(
    "div",
    { class: "lang-switch", role: "group", "aria-label": t("lang.label") },
    ["ru", "en"].map((lang) =>
      h(
        "button",
        {
          type: "button",
          class: "btn btn-small",
          lang,
          "aria-pressed": String(lang === current),
          title: t(`lang.${lang}`),
          onclick: () => {
            if (lang !== getLang()) {
              setLang(lang);
              buildShell();
              render();
            }
          },
        },
        lang.toUpperCase(),
      ),
    ),
  );
}

function buildShell() {
  document.documentElement.lang = getLang();
  document.title = t("app.title");
  const app = document.getElementById("app");
  const skip = h(
    "button",
    {
      type: "button",
      class: "skip-link",
      onclick: () => main().focus(),
    },
    t("app.skip"),
  );
  const brand = h(
    "a",
    { class: "brand", href: state.admin ? "#/participants" : "#/" },
    h("img", { src: "/admin/app/favicon.svg", alt: "", width: 28, height: 28 }),
    h("span", {}, t("app.name")),
  );
  const headerParts = [brand];
  if (state.admin) {
    // On narrow screens the sections fold behind a menu button (which repeats the new-requests badge).
    const menu = h(
      "button",
      { type: "button", class: "btn btn-small nav-toggle", "aria-expanded": "false", "aria-controls": "nav-list" },
      h("span", { class: "nav-toggle-icon", "aria-hidden": "true" }, "☰"),
      t("nav.menu"),
      h("span", { class: "badge new-badge", id: "menu-badge", hidden: true }),
    );
    const list = h(
      "ul",
      { id: "nav-list" },
      NAV.map(([path, key]) =>
        h(
          "li",
          {},
          h(
            "a",
            { href: `#/${path}`, dataset: { nav: path } },
            t(key),
            path === "withdrawals" ? h("span", { class: "badge new-badge", id: "new-badge", hidden: true }) : null,
          ),
        ),
      ),
    );
    const nav = h("nav", { class: "main-nav", "aria-label": t("nav.label") }, menu, list);
    menu.addEventListener("click", () => setMenu(menu.getAttribute("aria-expanded") !== "true"));
    nav.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && menu.getAttribute("aria-expanded") === "true") {
        setMenu(false);
        menu.focus();
      }
    });
    const who = h(
      "div",
      { class: "who" },
      h("span", { class: "who-name" }, state.admin.name || state.admin.telegram_id),
      h("span", { class: "who-role" }, `${t(`role.${state.admin.role}`)} · ID ${state.admin.telegram_id}`),
    );
    const logout = h("button", { type: "button", class: "btn btn-small", onclick: logoutNow }, t("app.logout"));
    headerParts.push(nav, h("div", { class: "header-tools" }, who, languageSwitch(), logout));
  } else {
    headerParts.push(h("div", { class: "header-tools" }, languageSwitch()));
  }
  const header = h("header", { class: "site-header" }, h("div", { class: "header-inner" }, headerParts));
  const mainEl = h("main", { id: "main", tabindex: "-1" });
  const announcer = h("div", { id: "announcer", class: "announcer", role: "status", "aria-live": "polite" });
  const footer = h("footer", { class: "site-footer" }, h("p", {}, t("app.footer")));
  replace(app, skip, header, mainEl, footer, announcer);
  showBadge();
}

function setMenu(open) {
  const menu = document.querySelector(".nav-toggle");
  if (!menu) return;
  menu.setAttribute("aria-expanded", String(open));
  menu.closest(".main-nav").classList.toggle("open", open);
}

function updateNav(path) {
  setMenu(false);
  const section = path.split("/")[0];
  for (const link of document.querySelectorAll("[data-nav]")) {
    if (link.dataset.nav === section) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

/* ---------- the badge: open NEW withdrawal requests ---------- */

function showBadge() {
  for (const badge of document.querySelectorAll(".new-badge")) {
    const count = state.newCount;
    if (!count) {
      badge.hidden = true;
      badge.textContent = "";
      delete badge.dataset.count;
      continue;
    }
    const text = String(count);
    badge.hidden = false;
    badge.textContent = text;
    badge.title = tn("badge.new", count);
    badge.dataset.count = text;
    // Read as part of the link's (or menu button's) name: "Withdrawals, 3 new requests".
    badge.append(h("span", { class: "visually-hidden" }, `, ${tn("badge.new", count)}`));
  }
}

export async function refreshBadge() {
  if (!state.admin) return;
  let counts;
  try {
    counts = await api.get("/withdrawals/counts");
  } catch {
    return;
  }
  state.newCount = counts.new || 0;
  showBadge();
}

function startBadge() {
  stopBadge();
  refreshBadge();
  state.badgeTimer = setInterval(() => {
    if (document.visibilityState === "visible") refreshBadge();
  }, BADGE_REFRESH_MS);
}

function stopBadge() {
  if (state.badgeTimer) clearInterval(state.badgeTimer);
  state.badgeTimer = null;
  state.newCount = 0;
}

/* ---------- login and logout ---------- */

/** The login options; kept once read, asked again after a failure. */
async function loadConfig() {
  if (!state.config) state.config = await api.public("GET", "/auth/config");
  return state.config;
}

function renderLogin() {
  const target = main();
  replace(target, loading());
  loadConfig().then(
    (config) => {
      if (!state.admin) replace(target, login.render({ config, onSession: startSession }));
    },
    (error) => {
      if (!state.admin) replace(target, login.unavailable({ error, retry: renderLogin }));
    },
  );
}

async function startSession(session) {
  saveSession(session);
  state.admin = session.admin;
  buildShell();
  startBadge();
  announce(t("login.welcome", { name: session.admin.name || session.admin.telegram_id }));
  const { path } = parseHash();
  if (!path || path === "login") window.location.hash = "#/participants";
  else render();
}

function logoutNow() {
  if (state.admin) api.post("/auth/logout").catch(() => {}); // ends the token on the server too
  clearSession();
  state.admin = null;
  stopBadge();
  buildShell();
  window.location.hash = "#/";
  renderLogin();
}

onUnauthorized(() => {
  if (!state.admin) return;
  state.admin = null;
  stopBadge();
  buildShell();
  renderLogin();
  announce(t("login.expired"), "error");
});

/* ---------- the Telegram widget's redirect form (data-auth-url / #tgAuthResult) ---------- */

function pendingTelegramLogin() {
  const hash = window.location.hash;
  if (hash.startsWith("#tgAuthResult=")) {
    try {
      const encoded = hash.slice("#tgAuthResult=".length).replace(/-/g, "+").replace(/_/g, "/");
      const padded = encoded + "===".slice((encoded.length + 3) % 4);
      return JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(padded), (c) => c.charCodeAt(0))));
    } catch {
      return null;
    }
  }
  const search = new URLSearchParams(window.location.search);
  if (search.get("hash") && search.get("id") && search.get("auth_date")) {
    const user = {};
    for (const [key, value] of search.entries()) user[key] = ["id", "auth_date"].includes(key) ? Number(value) : value;
    return user;
  }
  return null;
}

/* ---------- start ---------- */

async function start() {
  buildShell();
  window.addEventListener("hashchange", () => render());
  const widgetUser = pendingTelegramLogin();
  if (widgetUser) {
    window.history.replaceState(null, "", `${window.location.pathname}#/participants`);
    try {
      const session = await api.public("POST", "/auth/telegram", widgetUser);
      await startSession(session);
      return;
    } catch (error) {
      announce(errorLine(error), "error");
    }
  }
  const session = getSession();
  if (session) {
    try {
      state.admin = await api.get("/auth/me");
      saveSession({ ...session, admin: state.admin });
      buildShell();
      startBadge();
    } catch {
      state.admin = null;
      clearSession();
    }
  }
  render();
}

start();
