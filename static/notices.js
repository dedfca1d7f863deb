// The top bar's notices: an unread count on a button that opens the list (unread first). New notices
// arrive live over /ws ({type: "notice", notice}) and show a toast; opening an item marks it read.

import { get, post } from "./api.js";
import { $, formatDateTime, html, mount, showError, toast } from "./ui.js";
import { subscribe } from "./ws.js";

const state = { items: [], unread: 0, loaded: false, stopListening: null, open: false, host: null };

/** Draws the indicator into `host` (the top bar re-renders on every route; the state is kept). */
export function mountNotices(host) {
  state.host = host;
  state.open = false;
  if (!state.stopListening) state.stopListening = subscribe(onEvent);
  draw();
  if (!state.loaded) refresh();
}

/** Log out: stop listening and forget this account's notices. */
export function resetNotices() {
  state.stopListening?.();
  Object.assign(state, { items: [], unread: 0, loaded: false, stopListening: null, open: false, host: null });
}

async function refresh() {
  try {
    const list = await get("/api/notices");
    Object.assign(state, { items: list.items, unread: list.unread, loaded: true });
    draw();
  } catch (error) {
    if (!error.authLost) showError(error);
  }
}

function onEvent(event) {
  // After every (re)connect the server sends a jobs snapshot: notices sent meanwhile are re-read.
  if (event.type === "jobs.snapshot" && state.loaded) refresh();
  if (event.type !== "notice" || !event.notice) return;
  if (state.items.some((n) => n.id === event.notice.id)) return;
  state.items.unshift(event.notice);
  state.unread += event.notice.read_at ? 0 : 1;
  toast(event.notice.message, "info");
  draw();
}

function draw() {
  const host = state.host;
  if (!host?.isConnected) return;
  const label = state.unread ? `Notices, ${state.unread} unread` : "Notices";
  mount(
    host,
    html`<button type="button" class="btn btn-ghost btn-small notices-button" aria-haspopup="true"
        aria-expanded="${state.open ? "true" : "false"}" aria-label="${label}" data-testid="notices-button">
        <span aria-hidden="true">Notices</span>
        ${state.unread ? html`<span class="notices-count" data-testid="notices-count">${state.unread}</span>` : ""}
      </button>
      <div class="notices-panel" data-testid="notices-panel" ${state.open ? "" : "hidden"}>
        <div class="notices-head">
          <strong>Notices</strong>
          ${state.unread ? html`<button type="button" class="btn btn-small btn-ghost" data-testid="notices-read-all">Mark all read</button>` : ""}
        </div>
        ${state.items.length
          ? html`<ul class="notices-list">${state.items.map(
              (n) => html`<li class="${n.read_at ? "" : "unread"}" data-testid="notice" data-notice-id="${n.id}">
                <button type="button" class="notice-item">
                  <span class="notice-message">${n.message}</span>
                  <small class="muted">${formatDateTime(n.created_at)}</small>
                </button></li>`,
            )}</ul>`
          : html`<p class="muted" data-testid="notices-empty">Nothing new.</p>`}
      </div>`,
  );
  $("[data-testid=notices-button]", host).addEventListener("click", toggle);
  $("[data-testid=notices-read-all]", host)?.addEventListener("click", readAll);
  for (const item of host.querySelectorAll("[data-testid=notice].unread")) {
    $(".notice-item", item).addEventListener("click", () => readOne(Number(item.dataset.noticeId)));
  }
  host.onkeydown = (event) => {
    if (event.key === "Escape" && state.open) {
      state.open = false;
      draw();
      $("[data-testid=notices-button]", host).focus();
    }
  };
}

function toggle() {
  state.open = !state.open;
  draw();
  if (state.open) {
    refresh();
    const closeOutside = (event) => {
      if (!state.host?.contains(event.target)) {
        state.open = false;
        draw();
      }
      if (!state.open) document.removeEventListener("click", closeOutside);
    };
    setTimeout(() => document.addEventListener("click", closeOutside));
  }
}

async function readOne(id) {
  try {
    const read = await post(`/api/notices/${id}/read`);
    state.items = state.items.map((n) => (n.id === id ? read : n));
    state.unread = Math.max(0, state.unread - 1);
    draw();
  } catch (error) {
    showError(error);
  }
}

async function readAll() {
  try {
    await post("/api/notices/read-all");
    const now = new Date().toISOString();
    state.items = state.items.map((n) => ({ ...n, read_at: n.read_at ?? now }));
    state.unread = 0;
    draw();
  } catch (error) {
    showError(error);
  }
}
