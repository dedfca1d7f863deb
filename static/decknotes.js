// The deck page's notes table: rows with card states, selection for bulk actions, the pager.
// Read-only decks (subscribed or previewed) get the same table without checkboxes or edit links.

import { $, $$, html, mount, plural, relativeTime } from "./ui.js";
import { KIND_LABELS, plainText } from "./cards.js";

export const PAGE_SIZE = 50;

/** The deck page's address with its filters, so Back and the editor's return link restore them. */
export function currentHash(view) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(view.filters)) {
    if (value && !(key === "page" && value === 1)) query.set(key, value);
  }
  const qs = query.toString();
  return `#/deck/${view.deckId}${qs ? `?${qs}` : ""}`;
}

/** Draws view.notes into the notes region; `view.loadNotes()` is called when the page changes. */
export function drawNotes(view, { readOnly = false } = {}) {
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
          : readOnly
            ? html`<p><strong>This deck has no cards yet.</strong></p>`
            : html`<p><strong>This deck has no cards yet.</strong></p>
              <p><a class="btn btn-primary" href="#/new/${view.deckId}?return=${back}">Add the first card</a></p>`}
      </div>`,
    );
    if (!readOnly) drawBulkBar(view);
    return;
  }
  mount(
    region,
    html`<div class="table-wrap">
        <table class="notes-table" data-testid="notes-table">
          <thead><tr>
            ${readOnly ? "" : html`<th class="col-check"><input type="checkbox" aria-label="Select all on this page" data-testid="select-all"></th>`}
            <th>Front</th><th>Kind</th><th>Tags</th><th>Cards</th>${readOnly ? "" : html`<th class="col-edit"><span class="sr-only">Edit</span></th>`}
          </tr></thead>
          <tbody>${notes.items.map((note) => noteRow(note, view.selected.has(note.id), back, readOnly))}</tbody>
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
  for (const button of $$("[data-page]", region)) {
    button.addEventListener("click", () => {
      view.filters.page = Number(button.dataset.page);
      view.loadNotes();
    });
  }
  if (readOnly) return;
  wireSelection(view, region);
  drawBulkBar(view);
}

function wireSelection(view, region) {
  const { notes } = view;
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
}

function noteRow(note, checked, back, readOnly) {
  const front = plainText(note.front);
  const label = truncate(front, 90) || "(empty)";
  return html`<tr data-testid="note-row" data-note-id="${note.id}" class="${checked ? "selected" : ""}">
    ${readOnly
      ? ""
      : html`<td class="col-check"><input type="checkbox" value="${note.id}" ${checked ? "checked" : ""}
      aria-label="Select “${front.slice(0, 40)}”" data-testid="note-select"></td>`}
    <td class="col-front">${readOnly
      ? html`<span data-testid="note-front" title="${front}">${label}</span>`
      : html`<a href="#/edit/${note.id}?return=${back}" data-testid="note-front" title="${front}">${label}</a>`}</td>
    <td class="col-kind" data-testid="note-kind">${KIND_LABELS[note.kind] ?? note.kind}</td>
    <td class="col-tags">${note.tags.map((t) => html`<span class="tag">${t}</span>`)}</td>
    <td class="col-cards" data-testid="note-states">${note.cards.map((card, i) => cardBadge(card, i))}</td>
    ${readOnly ? "" : html`<td class="col-edit"><a class="btn btn-small btn-ghost" href="#/edit/${note.id}?return=${back}" data-testid="note-edit">Edit</a></td>`}
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

export function drawBulkBar(view) {
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
