// Deck view: the deck's notes as a filterable, paginated table with bulk actions,
// plus rename / describe / delete for the deck itself.

import { del, get, patch, post, toId } from "../api.js";
import { $, $$, busy, confirmDialog, debounce, html, mount, plural, relativeTime, setTitle, showError, toast } from "../ui.js";
import { KIND_LABELS, parseTags, plainText } from "../cards.js";
import { mountAnkiExport } from "../anki.js";
import { mountCsvExport } from "../csvimport.js";

const PAGE_SIZE = 50;
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
  const [deck, decks, tags] = await Promise.all([get(`/api/decks/${deckId}`), get("/api/decks"), get("/api/tags")]);
  Object.assign(view, { deck, decks, tags });
  drawSkeleton(view);
  mountAnkiExport(root, { deck, signal: ctx.signal, selection: () => view.selected });
  mountCsvExport(root, { deck });
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

function currentHash(view) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(view.filters)) {
    if (value && !(key === "page" && value === 1)) query.set(key, value);
  }
  const qs = query.toString();
  return `#/deck/${view.deckId}${qs ? `?${qs}` : ""}`;
}

function drawSkeleton(view) {
  const { root, deck, filters } = view;
  const otherDecks = view.decks.filter((d) => String(d.id) !== String(deck.id));
  setTitle(deck.name);
  mount(
    root,
    html`<nav class="crumbs" aria-label="Breadcrumb"><a href="#/decks">Decks</a> <span aria-hidden="true">/</span></nav>
      <div class="page-head" data-testid="deck-head"></div>
      <form class="panel deck-edit" data-testid="deck-edit-form" hidden>
        <h2>Edit deck</h2>
        <label class="field"><span>Name</span>
          <input name="name" required maxlength="120" data-testid="deck-edit-name"></label>
        <label class="field"><span>Description</span>
          <textarea name="description" rows="2" maxlength="2000" data-testid="deck-edit-description"></textarea></label>
        <div class="form-actions">
          <button type="submit" class="btn btn-primary" data-testid="deck-edit-save">Save</button>
          <button type="button" class="btn" data-action="cancel-edit">Cancel</button>
          <button type="button" class="btn btn-danger push-right" data-testid="deck-delete">Delete deck…</button>
        </div>
      </form>
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

function drawHead(view) {
  const { root, deck } = view;
  const back = encodeURIComponent(currentHash(view));
  mount(
    $("[data-testid=deck-head]", root),
    html`<div>
        <h1 data-testid="deck-title">${deck.name}</h1>
        ${deck.description ? html`<p class="deck-description" data-testid="deck-description">${deck.description}</p>` : ""}
        <p class="muted">
          <span data-testid="deck-due">${deck.due_count}</span> due ·
          <span data-testid="deck-new">${deck.new_count}</span> new today ·
          ${plural(deck.card_count, "card")} in ${plural(deck.note_count, "note")}
          ${deck.suspended_count ? ` · ${deck.suspended_count} suspended` : ""}
        </p>
      </div>
      <div class="page-actions">
        <a class="btn btn-primary" href="#/new/${deck.id}?return=${back}" data-testid="add-card">Add card</a>
        <a class="btn" href="#/review/${deck.id}" data-testid="deck-study">Study</a>
        ${view.draftCount ? html`<a class="btn" href="#/drafts?deck=${deck.id}" data-testid="deck-drafts">Drafts (${view.draftCount})</a>` : ""}
        <button type="button" class="btn" data-testid="deck-edit">Edit deck</button>
      </div>`,
  );
  $("[data-testid=deck-edit]", root).addEventListener("click", () => {
    const form = $("[data-testid=deck-edit-form]", root);
    form.name.value = deck.name;
    form.description.value = deck.description ?? "";
    form.hidden = false;
    form.name.focus();
  });
}

function wireEditForm(view) {
  const { root, ctx } = view;
  const form = $("[data-testid=deck-edit-form]", root);
  $("[data-action=cancel-edit]", form).addEventListener("click", () => {
    form.hidden = true;
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy($("[data-testid=deck-edit-save]", form), async () => {
      try {
        view.deck = await patch(`/api/decks/${view.deckId}`, {
          name: form.name.value.trim(),
          description: form.description.value.trim(),
        });
        form.hidden = true;
        setTitle(view.deck.name);
        drawHead(view);
        toast("Deck saved", "success");
      } catch (error) {
        showError(error);
      }
    });
  });
  $("[data-testid=deck-delete]", form).addEventListener("click", async () => {
    const { deck } = view;
    const ok = await confirmDialog(
      `“${deck.name}” and its ${plural(deck.note_count, "note")} (${plural(deck.card_count, "card")}, with their review history) will be deleted. This cannot be undone.`,
      { title: "Delete this deck?", confirmLabel: "Delete deck", danger: true },
    );
    if (!ok) return;
    try {
      await del(`/api/decks/${deck.id}`);
      toast(`Deck “${deck.name}” deleted`, "success");
      ctx.navigate("#/decks");
    } catch (error) {
      showError(error);
    }
  });
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
    drawNotes(view);
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

function drawNotes(view) {
  const { root, notes, filters } = view;
  const region = $("[data-testid=notes-region]", root);
  const pages = Math.max(1, Math.ceil(notes.total / (notes.page_size || PAGE_SIZE)));
  const back = encodeURIComponent(currentHash(view));
  const filtered = filters.q || filters.tag || filters.status;
  if (!notes.items.length) {
    mount(
      region,
      html`<div class="empty" data-testid="notes-empty">
        ${filtered
          ? html`<p>No cards match these filters.</p>`
          : html`<p><strong>This deck has no cards yet.</strong></p>
              <p><a class="btn btn-primary" href="#/new/${view.deckId}?return=${back}">Add the first card</a></p>`}
      </div>`,
    );
    drawBulkBar(view);
    return;
  }
  mount(
    region,
    html`<div class="table-wrap">
        <table class="notes-table" data-testid="notes-table">
          <thead><tr>
            <th class="col-check"><input type="checkbox" aria-label="Select all on this page" data-testid="select-all"></th>
            <th>Front</th><th>Kind</th><th>Tags</th><th>Cards</th><th class="col-edit"><span class="sr-only">Edit</span></th>
          </tr></thead>
          <tbody>${notes.items.map((note) => noteRow(note, view.selected.has(note.id), back))}</tbody>
        </table>
      </div>
      <div class="pager">
        <span class="muted" data-testid="notes-total">${plural(notes.total, "note")}${pages > 1 ? ` · page ${notes.page} of ${pages}` : ""}</span>
        ${pages > 1
          ? html`<span class="pager-buttons">
              <button type="button" class="btn btn-small" data-page="${notes.page - 1}" ${notes.page <= 1 ? "disabled" : ""}>‹ Previous</button>
              <button type="button" class="btn btn-small" data-page="${notes.page + 1}" ${notes.page >= pages ? "disabled" : ""}>Next ›</button>
            </span>`
          : ""}
      </div>`,
  );
  for (const box of $$("[data-testid=note-select]", region)) {
    box.addEventListener("change", () => {
      const id = notes.items.find((n) => String(n.id) === box.value).id;
      if (box.checked) view.selected.add(id);
      else view.selected.delete(id);
      drawBulkBar(view);
    });
  }
  $("[data-testid=select-all]", region).addEventListener("change", (event) => {
    for (const note of notes.items) {
      if (event.target.checked) view.selected.add(note.id);
      else view.selected.delete(note.id);
    }
    for (const box of $$("[data-testid=note-select]", region)) box.checked = event.target.checked;
    drawBulkBar(view);
  });
  for (const button of $$("[data-page]", region)) {
    button.addEventListener("click", () => {
      view.filters.page = Number(button.dataset.page);
      loadNotes(view);
    });
  }
  drawBulkBar(view);
}

function noteRow(note, checked, back) {
  const front = plainText(note.front);
  return html`<tr data-testid="note-row" data-note-id="${note.id}" class="${checked ? "selected" : ""}">
    <td class="col-check"><input type="checkbox" value="${note.id}" ${checked ? "checked" : ""}
      aria-label="Select “${front.slice(0, 40)}”" data-testid="note-select"></td>
    <td class="col-front"><a href="#/edit/${note.id}?return=${back}" data-testid="note-front" title="${front}">${truncate(front, 90) || "(empty)"}</a></td>
    <td class="col-kind" data-testid="note-kind">${KIND_LABELS[note.kind] ?? note.kind}</td>
    <td class="col-tags">${note.tags.map((t) => html`<span class="tag">${t}</span>`)}</td>
    <td class="col-cards" data-testid="note-states">${note.cards.map((card, i) => cardBadge(card, i))}</td>
    <td class="col-edit"><a class="btn btn-small btn-ghost" href="#/edit/${note.id}?return=${back}" data-testid="note-edit">Edit</a></td>
  </tr>`;
}

function cardBadge(card, index) {
  const state = card.suspended ? "suspended" : card.state;
  const due = !card.suspended && card.state !== "new" && card.due ? relativeTime(card.due) : "";
  const title = `Card ${index + 1}: ${state}${due ? `, due ${due}` : ""}`;
  return html`<span class="state state-${state}" title="${title}">${state}${due ? html` <small>${due}</small>` : ""}</span>`;
}

function truncate(text, length) {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}

function drawBulkBar(view) {
  const { root, selected, notes } = view;
  const bar = $("[data-testid=bulk-bar]", root);
  bar.hidden = selected.size === 0;
  $("[data-testid=bulk-count]", bar).textContent = `${plural(selected.size, "note")} selected`;
  const all = $("[data-testid=select-all]", root);
  if (all) {
    const onPage = notes.items.filter((n) => selected.has(n.id)).length;
    all.checked = onPage > 0 && onPage === notes.items.length;
    all.indeterminate = onPage > 0 && onPage < notes.items.length;
  }
  for (const row of $$("[data-testid=note-row]", root)) {
    row.classList.toggle("selected", $("[data-testid=note-select]", row).checked);
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
