// Boot and hash router: finds the signed-in user, draws the top navigation and
// hands each route (#/decks, #/deck/3, #/review, …) to its view module.

import { api, get, setAuthLostHandler, tokens } from "./api.js";
import { $, html, mount, showError, toast } from "./ui.js";
import * as loginView from "./views/login.js";
import * as decksView from "./views/decks.js";
import * as deckView from "./views/deck.js";
import * as editorView from "./views/editor.js";
import * as reviewView from "./views/review.js";
import * as historyView from "./views/history.js";
import * as statsView from "./views/stats.js";
import * as settingsView from "./views/settings.js";
import * as libraryView from "./views/library.js";
import * as lectureView from "./views/lecture.js";
import * as searchView from "./views/search.js";
import * as draftsView from "./views/drafts.js";
import * as chatView from "./views/chat.js";
import * as documentsView from "./views/documents.js";
import * as sharedView from "./views/shared.js";
import { mountNotices, resetNotices } from "./notices.js";
import { closeSocket } from "./ws.js";

const ROUTES = [
  { pattern: /^\/login$/, view: loginView, nav: null, public: true },
  { pattern: /^\/library$/, view: libraryView, nav: "library" },
  { pattern: /^\/lecture\/([^/]+)$/, view: lectureView, nav: "library" },
  { pattern: /^\/search$/, view: searchView, nav: "search" },
  { pattern: /^\/chat(?:\/([^/]+))?$/, view: chatView, nav: "chat" },
  { pattern: /^\/documents$/, view: documentsView, nav: "documents" },
  { pattern: /^\/decks$/, view: decksView, nav: "decks" },
  { pattern: /^\/shared$/, view: sharedView, nav: "decks" },
  { pattern: /^\/deck\/([^/]+)$/, view: deckView, nav: "decks" },
  { pattern: /^\/drafts$/, view: draftsView, nav: "decks" },
  { pattern: /^\/edit\/([^/]+)$/, view: editorView, nav: "decks", mode: "edit" },
  { pattern: /^\/new\/([^/]+)$/, view: editorView, nav: "decks", mode: "new" },
  { pattern: /^\/review(?:\/([^/]+))?$/, view: reviewView, nav: "review" },
  { pattern: /^\/history$/, view: historyView, nav: "stats" },
  { pattern: /^\/stats$/, view: statsView, nav: "stats" },
  { pattern: /^\/settings$/, view: settingsView, nav: "settings" },
];

const NAV_ITEMS = [
  ["library", "#/library", "Library"],
  ["decks", "#/decks", "Decks"],
  ["review", "#/review", "Review"],
  ["stats", "#/stats", "Stats"],
  ["search", "#/search", "Search"],
  ["chat", "#/chat", "Ask"],
  ["documents", "#/documents", "Documents"],
  ["settings", "#/settings", "Settings"],
];

const state = { user: null, controller: null };

function setUser(user) {
  state.user = user;
  renderNav();
}

function parseHash() {
  const raw = location.hash.replace(/^#/, "") || "/decks";
  const [path, queryString = ""] = raw.split("?");
  return { path, query: new URLSearchParams(queryString) };
}

export function navigate(hash, { replace = false } = {}) {
  if (replace) {
    history.replaceState(null, "", hash);
    route();
  } else if (location.hash === hash) {
    route();
  } else {
    location.hash = hash;
  }
}

function renderNav(active = null) {
  const header = $("#topbar");
  if (!state.user) {
    header.hidden = true;
    header.replaceChildren();
    return;
  }
  header.hidden = false;
  const activeKey = active ?? header.dataset.active;
  header.dataset.active = activeKey ?? "";
  const name = state.user.display_name || state.user.email;
  mount(
    header,
    html`<div class="topbar-inner">
      <a class="brand" href="#/decks" aria-label="Lectern home">
        <span class="brand-mark" aria-hidden="true">L</span><span class="brand-name">Lectern</span>
      </a>
      <nav class="mainnav" aria-label="Main">
        ${NAV_ITEMS.map(
          ([key, href, label]) =>
            html`<a href="${href}" data-testid="nav-${key}" ${key === activeKey ? html`aria-current="page"` : ""}>${label}</a>`,
        )}
      </nav>
      <form class="topbar-search" role="search" data-testid="topbar-search">
        <input type="search" name="q" placeholder="Search lectures" aria-label="Search lectures" autocomplete="off"
          data-testid="topbar-search-input">
      </form>
      <div class="topbar-user">
        <div class="topbar-notices" data-testid="topbar-notices"></div>
        <span class="user-name" data-testid="user-name" title="${state.user.email}">${name}</span>
        <button type="button" class="btn btn-ghost btn-small" data-testid="logout">Log out</button>
      </div>
    </div>`,
  );
  $("[data-testid=logout]", header).addEventListener("click", logout);
  mountNotices($("[data-testid=topbar-notices]", header));
  // On a phone the nav scrolls sideways: keep the current item in sight.
  const current = $(".mainnav [aria-current=page]", header);
  const nav = $(".mainnav", header);
  if (current && nav.scrollWidth > nav.clientWidth) nav.scrollLeft = current.offsetLeft - nav.offsetLeft - 8;
  const search = $("[data-testid=topbar-search]", header);
  search.addEventListener("submit", (event) => {
    event.preventDefault();
    const q = search.q.value.trim();
    if (!q) return;
    search.q.value = "";
    search.q.blur();
    navigate(`#/search?${new URLSearchParams({ q })}`);
  });
}

async function logout() {
  const refreshToken = tokens.refresh;
  try {
    // No bearer needed: the refresh token itself is what gets revoked.
    if (refreshToken) await api("/api/auth/logout", { method: "POST", body: { refresh_token: refreshToken }, auth: false });
  } catch (error) {
    showError(error);
  }
  closeSocket();
  resetNotices();
  tokens.clear();
  setUser(null);
  navigate("#/login");
}

function errorPanel(error, retry) {
  const panel = document.createElement("div");
  panel.className = "panel error-panel";
  mount(
    panel,
    html`<h1>Something went wrong</h1>
      <p role="alert" data-testid="view-error">${error.message}</p>
      <p><button type="button" class="btn btn-primary">Try again</button>
      <a class="btn" href="#/decks">Back to decks</a></p>`,
  );
  panel.querySelector("button").addEventListener("click", retry);
  return panel;
}

async function route() {
  state.controller?.abort();
  const controller = new AbortController();
  state.controller = controller;

  const { path, query } = parseHash();
  const match = ROUTES.map((r) => ({ route: r, m: r.pattern.exec(path) })).find((x) => x.m);
  if (!match) {
    navigate("#/decks", { replace: true });
    return;
  }
  const { route: entry, m } = match;
  if (!entry.public && !state.user) {
    const next = encodeURIComponent(location.hash || "#/decks");
    navigate(`#/login?next=${next}`, { replace: true });
    return;
  }
  if (entry.view === loginView && state.user) {
    navigate("#/decks", { replace: true });
    return;
  }

  renderNav(entry.nav);
  const main = $("#main");
  const container = document.createElement("div");
  container.className = "view";
  container.innerHTML = '<p class="loading" aria-busy="true">Loading…</p>';
  main.replaceChildren(container);
  window.scrollTo(0, 0);

  const ctx = {
    params: m.slice(1).map((p) => (p === undefined ? undefined : decodeURIComponent(p))),
    query,
    mode: entry.mode,
    signal: controller.signal,
    user: state.user,
    setUser,
    navigate,
  };
  try {
    await entry.view.render(container, ctx);
  } catch (error) {
    if (controller.signal.aborted) return;
    if (error.authLost) return; // the auth-lost handler took over
    showError(error);
    container.replaceChildren(errorPanel(error, () => route()));
  }
}

setAuthLostHandler((error) => {
  closeSocket();
  resetNotices();
  const wasSignedIn = Boolean(state.user);
  setUser(null);
  if (parseHash().path !== "/login") {
    if (wasSignedIn) toast(error.message, "error");
    const next = encodeURIComponent(location.hash || "#/decks");
    navigate(`#/login?next=${next}`, { replace: true });
  }
});

async function boot() {
  // The skip link cannot use href="#main": the hash belongs to the router.
  $(".skip-link").addEventListener("click", (event) => {
    event.preventDefault();
    $("#main").focus();
  });
  if (tokens.access || tokens.refresh) {
    try {
      state.user = await get("/api/users/me");
    } catch (error) {
      if (!error.authLost) {
        showError(error);
        const main = $("#main");
        main.replaceChildren(errorPanel(error, () => location.reload()));
        return;
      }
    }
  }
  window.addEventListener("hashchange", route);
  route();
}

boot();
