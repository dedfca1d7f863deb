// Shared decks: other accounts' public decks, searchable by name, with Subscribe (study the owner's
// cards on your own schedule), Copy (an independent deck of your own) and Preview (read its notes).

import { get } from "../api.js";
import { $, $$, busy, debounce, html, mount, plural, setTitle, showError } from "../ui.js";
import { plainText } from "../cards.js";
import { copyToMyDecks, subscribeTo } from "../sharing.js";

const PREVIEW_NOTES = 5;

export async function render(root, ctx) {
  setTitle("Shared decks");
  const view = { root, ctx, q: ctx.query.get("q") ?? "" };
  mount(
    root,
    html`<nav class="crumbs" aria-label="Breadcrumb"><a href="#/decks">Decks</a> <span aria-hidden="true">/</span></nav>
      <div class="page-head">
        <div>
          <h1>Shared decks</h1>
          <p class="muted">Public decks of other accounts here. Subscribe to study one on your own schedule
            (its owner's edits reach you), or copy it to make your own version.</p>
        </div>
      </div>
      <div class="filters" role="search">
        <label class="field grow"><span>Search by name</span>
          <input type="search" name="q" value="${view.q}" autocomplete="off" data-testid="shared-search"></label>
      </div>
      <div data-testid="shared-region"><p class="loading" aria-busy="true">Loading…</p></div>`,
  );
  const search = $("[data-testid=shared-search]", root);
  const reload = debounce(() => {
    view.q = search.value.trim();
    history.replaceState(null, "", view.q ? `#/shared?${new URLSearchParams({ q: view.q })}` : "#/shared");
    load(view);
  }, 250);
  search.addEventListener("input", reload);
  await load(view);
}

async function load(view) {
  const seq = (view.seq = (view.seq ?? 0) + 1);
  try {
    const decks = await get("/api/decks/public", { q: view.q });
    if (seq === view.seq && !view.ctx.signal.aborted) draw(view, decks);
  } catch (error) {
    if (seq === view.seq) showError(error);
  }
}

function draw(view, decks) {
  const region = $("[data-testid=shared-region]", view.root);
  if (!decks.length) {
    mount(
      region,
      html`<div class="empty" data-testid="shared-empty">
        <p><strong>${view.q ? "No shared deck has that name." : "No shared decks yet."}</strong></p>
        <p class="muted">A deck appears here when its owner switches it to public on its page.</p>
      </div>`,
    );
    return;
  }
  mount(region, html`<ul class="deck-list" data-testid="shared-list">${decks.map(row)}</ul>`);
  for (const item of $$("[data-testid=shared-row]", region)) {
    const deck = decks.find((d) => String(d.id) === item.dataset.deckId);
    const subscribe = $("[data-testid=shared-subscribe]", item);
    subscribe?.addEventListener("click", () =>
      busy(subscribe, async () => {
        if (await subscribeTo(deck)) view.ctx.navigate(`#/deck/${deck.id}`);
      }),
    );
    const copy = $("[data-testid=shared-copy]", item);
    copy.addEventListener("click", () =>
      busy(copy, async () => {
        const made = await copyToMyDecks(deck);
        if (made) view.ctx.navigate(`#/deck/${made.id}`);
      }),
    );
    const preview = $("[data-testid=shared-preview]", item);
    preview.addEventListener("click", () => busy(preview, () => togglePreview(item, deck, preview)));
  }
}

function row(deck) {
  return html`<li class="deck-row shared-row" data-testid="shared-row" data-deck-id="${deck.id}">
    <div class="deck-main">
      <span class="deck-name" data-testid="shared-name">${deck.name}</span>
      ${deck.description ? html`<p class="deck-description">${deck.description}</p>` : ""}
      <p class="deck-meta muted">by <span data-testid="shared-owner">${deck.owner_name}</span> ·
        ${plural(deck.note_count, "note")} · ${plural(deck.card_count, "card")} ·
        ${plural(deck.subscriber_count, "subscriber")}</p>
      <div class="shared-preview" data-testid="shared-preview-region" hidden></div>
    </div>
    <div class="deck-actions">
      ${deck.subscribed
        ? html`<a class="btn" href="#/deck/${deck.id}" data-testid="shared-open">Subscribed · Open</a>`
        : html`<button type="button" class="btn btn-primary" data-testid="shared-subscribe">Subscribe</button>`}
      <button type="button" class="btn" data-testid="shared-copy">Copy</button>
      <button type="button" class="btn btn-ghost" aria-expanded="false" data-testid="shared-preview">Preview</button>
    </div>
  </li>`;
}

async function togglePreview(item, deck, button) {
  const region = $("[data-testid=shared-preview-region]", item);
  if (!region.hidden) {
    region.hidden = true;
    button.setAttribute("aria-expanded", "false");
    return;
  }
  try {
    const notes = await get("/api/notes", { deck_id: deck.id, page_size: PREVIEW_NOTES });
    mount(
      region,
      notes.items.length
        ? html`<ul class="shared-preview-list">
            ${notes.items.map((n) => html`<li><strong>${plainText(n.front).slice(0, 120)}</strong>
              ${n.back ? html` — <span class="muted">${plainText(n.back).slice(0, 120)}</span>` : ""}</li>`)}
          </ul>
          ${notes.total > notes.items.length
            ? html`<a href="#/deck/${deck.id}" data-testid="shared-preview-all">All ${plural(notes.total, "note")} →</a>`
            : ""}`
        : html`<p class="muted">This deck has no cards yet.</p>`,
    );
    region.hidden = false;
    button.setAttribute("aria-expanded", "true");
  } catch (error) {
    showError(error);
  }
}
