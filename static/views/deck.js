// Deck view: the deck's notes as a filterable, paginated table with bulk actions; the head
// (counts, visibility, edit form) is in deckhead.js, the table in decknotes.js. A deck the user
// does not own (subscribed, or a public deck previewed) is drawn read-only by deckreadonly.js.

import { get, post, toId } from "../api.js";
import { $, $$, busy, confirmDialog, debounce, html, mount, plural, setTitle, showError, toast } from "../ui.js";
import { parseTags } from "../cards.js";
import { EDIT_FORM, drawHead, wireEditForm } from "../deckhead.js";
import { PAGE_SIZE, currentHash, drawNotes } from "../decknotes.js";
import { renderReadOnly } from "../deckreadonly.js";
import { mountAnkiExport } from "../anki.js";
import { mountCsvExport } from "../csvimport.js";
import { mountExamPanel } from "../exam.js";

const STATUSES = ["new", "due", "learning", "review", "suspended"];

export async function render(root, ctx) {
  const deckId = ctx.params[0];
  const view = {
    root,
    ctx,
    deckId,
    filters: {
      q: ctx.query.get("q") ?? "",
      tag: ctx.query.get("tag") ?? "",
      status: ctx.query.get("status") ?? "",
      page: Number(ctx.query.get("page")) || 1,
    },
    selected: new Set(),
    notes: { items: [], total: 0, page: 1, page_size: PAGE_SIZE },
  };
  view.loadNotes = () => loadNotes(view);
  const [deck, decks, tags] = await Promise.all([get(`/api/decks/${deckId}`), get("/api/decks"), get("/api/tags")]);
  if (!deck.owned) {
    await renderReadOnly(view, deck);
    if (deck.subscribed && !ctx.signal.aborted) mountExamPanel(root, { deck }); // exams are per person
    return;
  }
  Object.assign(view, { deck, decks: decks.filter((d) => d.owned), tags });
  drawSkeleton(view);
  mountAnkiExport(root, { deck, signal: ctx.signal, selection: () => view.selected });
  mountCsvExport(root, { deck });
  mountExamPanel(root, { deck });
  countDrafts(view);
  await loadNotes(view);
}

/** Generated cards waiting for this deck: the head links to them ("Drafts (N)"). */
async function countDrafts(view) {
  try {
    view.draftCount = (await get("/api/drafts", { deck_id: view.deckId })).length;
    if (!view.ctx.signal.aborted) drawHead(view);
  } catch (error) {
    if (!view.ctx.signal.aborted) showError(error);
  }
}

function drawSkeleton(view) {
  const { root, deck, filters } = view;
  const otherDecks = view.decks.filter((d) => String(d.id) !== String(deck.id));
  setTitle(deck.name);
  mount(
    root,
    html`<nav class="crumbs" aria-label="Breadcrumb"><a href="#/decks">Decks</a> <span aria-hidden="true">/</span></nav>
      <div class="page-head" data-testid="deck-head"></div>
      ${EDIT_FORM}
      <div class="filters" role="search">
        <label class="field grow">
          <span>Search</span>
          <input type="search" name="q" value="${filters.q}" placeholder="Words on the front or back"
            autocomplete="off" data-testid="filter-q">
        </label>
        <label class="field">
          <span>Tag</span>
          <select name="tag" data-testid="filter-tag">
            <option value="">All tags</option>
            ${view.tags.map((t) => html`<option value="${t.tag}" ${t.tag === filters.tag ? "selected" : ""}>${t.tag} (${t.count})</option>`)}
          </select>
        </label>
        <label class="field">
          <span>Status</span>
          <select name="status" data-testid="filter-status">
            <option value="">Any status</option>
            ${STATUSES.map((s) => html`<option value="${s}" ${s === filters.status ? "selected" : ""}>${s}</option>`)}
          </select>
        </label>
      </div>
      <div class="bulk-bar" data-testid="bulk-bar" hidden>
        <span class="bulk-count" data-testid="bulk-count"></span>
        ${otherDecks.length
          ? html`<div class="bulk-group">
              <label class="sr-only" for="bulk-deck">Move to deck</label>
              <select id="bulk-deck" data-testid="bulk-deck">
                ${otherDecks.map((d) => html`<option value="${d.id}">${d.name}</option>`)}
              </select>
              <button type="button" class="btn btn-small" data-bulk="move" data-testid="bulk-move">Move</button>
            </div>`
          : ""}
        <div class="bulk-group">
          <label class="sr-only" for="bulk-tags">Tags</label>
          <input id="bulk-tags" placeholder="tag" autocomplete="off" data-testid="bulk-tags">
          <button type="button" class="btn btn-small" data-bulk="add_tags" data-testid="bulk-add-tag">Add tag</button>
          <button type="button" class="btn btn-small" data-bulk="remove_tags" data-testid="bulk-remove-tag">Remove tag</button>
        </div>
        <div class="bulk-group">
          <button type="button" class="btn btn-small" data-bulk="suspend" data-testid="bulk-suspend">Suspend</button>
          <button type="button" class="btn btn-small" data-bulk="unsuspend" data-testid="bulk-unsuspend">Unsuspend</button>
          <button type="button" class="btn btn-small btn-danger" data-bulk="delete" data-testid="bulk-delete">Delete…</button>
        </div>
      </div>
      <div data-testid="notes-region"></div>`,
  );
  drawHead(view);
  wireFilters(view);
  wireEditForm(view);
  for (const button of $$("[data-bulk]", root)) {
    button.addEventListener("click", () => busy(button, () => bulk(view, button.dataset.bulk)));
  }
}

function wireFilters(view) {
  const { root } = view;
  const apply = () => {
    view.filters.page = 1;
    view.selected.clear();
    loadNotes(view);
  };
  const search = $("[data-testid=filter-q]", root);
  const debounced = debounce(() => {
    view.filters.q = search.value.trim();
    apply();
  }, 300);
  search.addEventListener("input", debounced);
  search.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      debounced.cancel();
      view.filters.q = search.value.trim();
      apply();
    }
  });
  for (const name of ["tag", "status"]) {
    $(`[data-testid=filter-${name}]`, root).addEventListener("change", (event) => {
      view.filters[name] = event.target.value;
      apply();
    });
  }
}

async function loadNotes(view) {
  // Only the latest request may draw: typing fast sends several searches.
  const seq = (view.loadSeq = (view.loadSeq ?? 0) + 1);
  const { filters } = view;
  if (view.ctx.signal.aborted) return;
  // Filters live in the URL, so Back and the editor's return link restore them.
  history.replaceState(null, "", currentHash(view));
  const addCard = $("[data-testid=add-card]", view.root);
  if (addCard) addCard.href = `#/new/${view.deckId}?return=${encodeURIComponent(currentHash(view))}`;
  try {
    const result = await get("/api/notes", {
      deck_id: view.deckId,
      q: filters.q,
      tag: filters.tag,
      status: filters.status,
      page: filters.page,
      page_size: PAGE_SIZE,
    });
    if (seq !== view.loadSeq || view.ctx.signal.aborted) return;
    if (!result.items.length && filters.page > 1 && result.total > 0) {
      // The page emptied (bulk delete or move): show the last page that still has notes.
      filters.page = Math.ceil(result.total / PAGE_SIZE);
      await loadNotes(view);
      return;
    }
    view.notes = result;
    drawNotes(view, { readOnly: view.readOnly });
  } catch (error) {
    if (seq === view.loadSeq) showError(error);
  }
}

async function reloadDeck(view) {
  try {
    view.deck = await get(`/api/decks/${view.deckId}`);
    drawHead(view);
  } catch (error) {
    showError(error);
  }
}

const BULK_DONE = {
  move: "moved",
  add_tags: "tagged",
  remove_tags: "untagged",
  suspend: "suspended",
  unsuspend: "unsuspended",
  delete: "deleted",
};

async function bulk(view, action) {
  const { root, selected } = view;
  const body = { note_ids: [...selected], action };
  if (action === "move") {
    body.deck_id = toId($("[data-testid=bulk-deck]", root).value);
  }
  if (action === "add_tags" || action === "remove_tags") {
    body.tags = parseTags($("[data-testid=bulk-tags]", root).value);
    if (!body.tags.length) {
      toast("Type the tag to add or remove first.", "error");
      $("[data-testid=bulk-tags]", root).focus();
      return;
    }
  }
  if (action === "delete") {
    const ok = await confirmDialog(`${plural(selected.size, "note")} and all their cards and review history will be deleted.`, {
      title: "Delete the selected notes?",
      confirmLabel: "Delete",
      danger: true,
    });
    if (!ok) return;
  }
  try {
    const result = await post("/api/notes/bulk", body);
    toast(`${plural(result.affected, "note")} ${BULK_DONE[action]}`, "success");
    selected.clear();
    if (action.endsWith("tags")) await refreshTags(view);
    await Promise.all([loadNotes(view), reloadDeck(view)]);
  } catch (error) {
    showError(error);
  }
}

async function refreshTags(view) {
  try {
    view.tags = await get("/api/tags");
  } catch (error) {
    showError(error);
    return;
  }
  const select = $("[data-testid=filter-tag]", view.root);
  mount(
    select,
    html`<option value="">All tags</option>
      ${view.tags.map((t) => html`<option value="${t.tag}" ${t.tag === view.filters.tag ? "selected" : ""}>${t.tag} (${t.count})</option>`)}`,
  );
}
