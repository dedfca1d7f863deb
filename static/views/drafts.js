// Drafts screen (#/drafts?deck=ID | ?job=ID | ?lecture=ID): cards written from lectures wait
// here beside the page they quote. J/K move, A accepts, E edits, R rejects, X selects.

import { ApiError, get, post } from "../api.js";
import { $, $$, busy, confirmDialog, html, mount, plural, setTitle, showError, toast } from "../ui.js";
import { SourcePages } from "../draftsource.js";
import { draftItem, fillDraft, openEditor } from "../draftcard.js";

export async function render(root, ctx) {
  const filter = { deck_id: ctx.query.get("deck"), lecture_id: ctx.query.get("lecture"), job_id: ctx.query.get("job") };
  const [drafts, about] = await Promise.all([get("/api/drafts", filter), describe(filter)]);
  const view = {
    root,
    ctx,
    filter,
    about,
    drafts,
    selected: new Set(),
    current: 0,
    done: { accepted: 0, rejected: 0 },
    sources: new SourcePages(ctx.signal),
  };
  setTitle("Drafts");
  drawSkeleton(view);
  drawList(view);
  document.addEventListener("keydown", (event) => onKey(view, event), { signal: ctx.signal });
}

/** What the screen shows drafts of: a deck, a lecture or one generation run. */
async function describe(filter) {
  if (filter.job_id) {
    const job = await get(`/api/jobs/${filter.job_id}`);
    const deck = job.params?.deck_id ? await get(`/api/decks/${job.params.deck_id}`).catch(() => null) : null;
    return { deck, text: `From one run of “Make cards”${deck ? ` into ${deck.name}` : ""}`, lectureId: job.params?.lecture_id };
  }
  if (filter.deck_id) {
    const deck = await get(`/api/decks/${filter.deck_id}`);
    return { deck, text: `Waiting to join ${deck.name}` };
  }
  if (filter.lecture_id) {
    const lecture = await get(`/api/lectures/${filter.lecture_id}`);
    return { deck: null, text: `Written from ${lecture.title}`, lectureId: lecture.id };
  }
  return { deck: null, text: "Every card draft waiting for you" };
}

function drawSkeleton(view) {
  const { root, about } = view;
  const deck = about.deck;
  mount(
    root,
    html`<nav class="crumbs" aria-label="Breadcrumb">
        ${deck ? html`<a href="#/deck/${deck.id}" data-testid="drafts-deck-link">${deck.name}</a>` : html`<a href="#/decks">Decks</a>`}
        <span aria-hidden="true">/</span></nav>
      <div class="page-head">
        <div>
          <h1 data-testid="drafts-title">Drafts</h1>
          <p class="muted" data-testid="drafts-context">${about.text}</p>
        </div>
        <div class="page-actions">
          ${about.lectureId ? html`<a class="btn" href="#/lecture/${about.lectureId}" data-testid="drafts-lecture-link">Open lecture</a>` : ""}
          ${deck ? html`<a class="btn" href="#/review/${deck.id}" data-testid="drafts-study">Study ${deck.name}</a>` : ""}
        </div>
      </div>
      <div class="drafts-toolbar" data-testid="drafts-toolbar">
        <label class="drafts-all"><input type="checkbox" data-testid="drafts-select-all" aria-label="Select every draft">
          <span data-testid="drafts-count"></span></label>
        <button type="button" class="btn btn-small btn-primary" data-bulk="accepted" data-testid="drafts-accept-selected">Accept selected</button>
        <button type="button" class="btn btn-small btn-danger" data-bulk="rejected" data-testid="drafts-reject-selected">Reject selected</button>
        <button type="button" class="btn btn-small" data-testid="drafts-accept-clean">Accept all non-duplicates</button>
        <span class="hint drafts-keys" aria-hidden="true"><kbd>J</kbd><kbd>K</kbd> move · <kbd>A</kbd> accept ·
          <kbd>E</kbd> edit · <kbd>R</kbd> reject · <kbd>X</kbd> select</span>
      </div>
      <div class="drafts-list" data-testid="drafts-list"></div>`,
  );
  const all = $("[data-testid=drafts-select-all]", root);
  all.addEventListener("change", () => {
    view.selected = new Set(all.checked ? view.drafts.map((d) => d.id) : []);
    for (const box of $$("[data-testid=draft-select]", root)) box.checked = all.checked;
    drawToolbar(view);
  });
  for (const button of $$("[data-bulk]", root)) {
    button.addEventListener("click", () =>
      busy(button, () => bulk(view, [...view.selected], button.dataset.bulk)).then(() => drawToolbar(view)),
    );
  }
  const clean = $("[data-testid=drafts-accept-clean]", root);
  clean.addEventListener("click", () =>
    busy(clean, () => bulk(view, view.drafts.filter((d) => d.duplicate_of_note_id == null).map((d) => d.id), "accepted")).then(
      () => drawToolbar(view),
    ),
  );
}

function drawToolbar(view) {
  const { root, drafts, selected, done } = view;
  const bar = $("[data-testid=drafts-toolbar]", root);
  bar.hidden = drafts.length === 0;
  const parts = [plural(drafts.length, "draft") + " waiting"];
  if (done.accepted) parts.push(`${done.accepted} accepted`);
  if (done.rejected) parts.push(`${done.rejected} rejected`);
  if (selected.size) parts.push(`${selected.size} selected`);
  $("[data-testid=drafts-count]", bar).textContent = parts.join(" · ");
  const all = $("[data-testid=drafts-select-all]", bar);
  all.checked = drafts.length > 0 && selected.size === drafts.length;
  all.indeterminate = selected.size > 0 && selected.size < drafts.length;
  for (const button of $$("[data-bulk]", bar)) button.disabled = selected.size === 0;
  $("[data-testid=drafts-accept-clean]", bar).disabled = !drafts.some((d) => d.duplicate_of_note_id == null);
}

// ---- the list ----------------------------------------------------------------------------

function drawList(view) {
  const { root, drafts } = view;
  const list = $("[data-testid=drafts-list]", root);
  drawToolbar(view);
  if (!drafts.length) {
    mount(list, emptyState(view));
    return;
  }
  mount(list, html`${drafts.map((draft) => draftItem(draft))}`);
  // Page images, texts and previews load as drafts come near the screen (a run can make 200).
  const observer = new IntersectionObserver(
    (entries) => {
      for (const entry of entries) {
        if (!entry.isIntersecting) continue;
        observer.unobserve(entry.target);
        const draft = draftOf(view, entry.target);
        if (draft) fillDraft(entry.target, draft, { sources: view.sources, signal: view.ctx.signal });
      }
    },
    { rootMargin: "600px 0px" },
  );
  view.ctx.signal.addEventListener("abort", () => observer.disconnect(), { once: true });
  for (const item of $$("[data-testid=draft]", list)) {
    observer.observe(item);
    wireDraft(view, item);
  }
  setCurrent(view, Math.min(view.current, drafts.length - 1), { scroll: false });
}

function emptyState(view) {
  const { done, about } = view;
  const deck = about.deck;
  if (done.accepted || done.rejected) {
    return html`<div class="empty" data-testid="drafts-done">
      <p><strong>All drafts are done.</strong> ${done.accepted} accepted, ${done.rejected} rejected.</p>
      <p>${deck ? html`<a class="btn btn-primary" href="#/review/${deck.id}" data-testid="drafts-done-study">Study ${deck.name}</a>` : ""}
        <a class="btn" href="#/library">Back to the library</a></p>
    </div>`;
  }
  return html`<div class="empty" data-testid="drafts-empty">
    <p><strong>No drafts waiting here.</strong></p>
    <p>Drafts are cards Lectern writes from your lectures. Open a lecture from the library and press
      <b>Make cards</b>: each draft then appears here beside the page it quotes, for you to accept, edit or reject.</p>
    <p><a class="btn btn-primary" href="#/library" data-testid="drafts-go-library">Go to the library</a></p>
  </div>`;
}

function draftOf(view, item) {
  return view.drafts.find((d) => String(d.id) === item.dataset.draftId);
}

function wireDraft(view, item) {
  item.addEventListener("click", (event) => {
    const index = view.drafts.indexOf(draftOf(view, item));
    if (index >= 0 && index !== view.current) setCurrent(view, index, { scroll: false });
    const action = event.target.closest("[data-action]")?.dataset.action;
    if (action) act(view, draftOf(view, item), action);
  });
  $("[data-testid=draft-select]", item).addEventListener("change", (event) => {
    const draft = draftOf(view, item);
    if (event.target.checked) view.selected.add(draft.id);
    else view.selected.delete(draft.id);
    drawToolbar(view);
  });
}

function itemOf(view, draft) {
  return $(`[data-testid=draft][data-draft-id="${draft.id}"]`, view.root);
}

function setCurrent(view, index, { scroll = true } = {}) {
  if (!view.drafts.length) return;
  view.current = Math.max(0, Math.min(index, view.drafts.length - 1));
  for (const item of $$("[data-testid=draft].current", view.root)) {
    item.classList.remove("current");
    item.removeAttribute("aria-current");
  }
  const item = itemOf(view, view.drafts[view.current]);
  item.classList.add("current");
  item.setAttribute("aria-current", "true");
  if (scroll) item.scrollIntoView({ block: "nearest" });
}

// ---- actions -------------------------------------------------------------------------------

function edit(view, draft) {
  const item = itemOf(view, draft);
  if (!item || item.dataset.busy) return;
  openEditor(item, draft, { signal: view.ctx.signal, accept: (fields) => decide(view, draft, "accepted", fields) });
}

function act(view, draft, action) {
  if (!draft) return;
  if (action === "edit") edit(view, draft);
  else decide(view, draft, action === "accept" ? "accepted" : "rejected");
}

/** Accept (with edits, if given) or reject one draft; it then leaves the list. */
async function decide(view, draft, status, edits = null) {
  const item = itemOf(view, draft);
  if (!item || item.dataset.busy) return;
  item.dataset.busy = "true";
  const buttons = $$("button", item);
  for (const button of buttons) button.disabled = true;
  try {
    if (status === "accepted") {
      await post(`/api/drafts/${draft.id}/accept`, edits ?? {});
      toast("Card added to the deck", "success");
    } else {
      await post(`/api/drafts/${draft.id}/reject`);
      toast("Draft rejected");
    }
    view.done[status] += 1;
    remove(view, [draft.id]);
  } catch (error) {
    showError(error);
    delete item.dataset.busy;
    for (const button of buttons) button.disabled = false;
    if (error instanceof ApiError && (error.status === 409 || error.status === 404)) await reload(view);
  }
}

async function bulk(view, ids, status) {
  if (!ids.length) return;
  if (status === "rejected") {
    const ok = await confirmDialog(`${plural(ids.length, "draft")} will be thrown away.`, {
      title: "Reject the selected drafts?",
      confirmLabel: "Reject",
      danger: true,
    });
    if (!ok) return;
  }
  try {
    const { affected } = await post("/api/drafts/bulk", { draft_ids: ids, action: status });
    toast(status === "accepted" ? `${plural(affected, "card")} added to the deck` : `${plural(affected, "draft")} rejected`, "success");
    view.done[status] += affected;
    remove(view, ids);
  } catch (error) {
    showError(error);
    if (error instanceof ApiError && (error.status === 409 || error.status === 404)) await reload(view);
  }
}

function remove(view, ids) {
  const gone = new Set(ids);
  const currentId = view.drafts[view.current]?.id;
  const before = view.drafts.findIndex((d) => d.id === currentId);
  for (const id of gone) {
    view.selected.delete(id);
    itemOf(view, { id })?.remove();
  }
  view.drafts = view.drafts.filter((d) => !gone.has(d.id));
  if (!view.drafts.length) {
    drawList(view);
    return;
  }
  // The cursor stays where it was: on the draft that moved up into the removed one's place.
  const still = view.drafts.findIndex((d) => d.id === currentId);
  setCurrent(view, still >= 0 ? still : before, { scroll: false });
  drawToolbar(view);
}

/** Re-read the list from the server (another tab may have acted on the same drafts). */
async function reload(view) {
  try {
    view.drafts = await get("/api/drafts", view.filter);
    const ids = new Set(view.drafts.map((d) => d.id));
    view.selected = new Set([...view.selected].filter((id) => ids.has(id)));
    drawList(view);
  } catch (error) {
    showError(error);
  }
}

// ---- keyboard --------------------------------------------------------------------------------

function onKey(view, event) {
  if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
  if (document.querySelector("dialog[open]")) return;
  const target = event.target;
  if (target.matches?.("input:not([type=checkbox]), textarea, select, [contenteditable], [contenteditable] *")) return;
  const draft = view.drafts[view.current];
  if (!draft) return;
  const item = itemOf(view, draft);
  const key = event.key.toLowerCase();
  const editing = item?.classList.contains("editing");
  if (key === "j" || key === "k") setCurrent(view, view.current + (key === "j" ? 1 : -1));
  else if (key === "a" && !editing) decide(view, draft, "accepted");
  else if (key === "r" && !editing) decide(view, draft, "rejected");
  else if (key === "e") edit(view, draft);
  else if (key === "x" && item) $("[data-testid=draft-select]", item).click();
  else return;
  event.preventDefault();
}
