// A deck the user does not own, drawn read-only: a subscribed deck (study it, unsubscribe, copy) or a
// public deck being previewed (subscribe, copy). Only the owner edits its notes.

import { $, busy, html, mount, plural, setTitle } from "./ui.js";
import { copyToMyDecks, subscribeTo, unsubscribeFrom } from "./sharing.js";

export async function renderReadOnly(view, deck) {
  view.deck = deck;
  view.readOnly = true;
  setTitle(deck.name);
  mount(
    view.root,
    html`<nav class="crumbs" aria-label="Breadcrumb"><a href="#/decks">Decks</a> <span aria-hidden="true">/</span>
        <a href="#/shared">Shared decks</a> <span aria-hidden="true">/</span></nav>
      <div class="page-head" data-testid="deck-head"></div>
      <p class="readonly-note" data-testid="deck-readonly">
        ${deck.subscribed
          ? "You study this deck on your own schedule. Only its owner edits the cards; their changes reach you at once."
          : "A preview of a shared deck. Subscribe to study it on your own schedule, or copy it to edit your own version."}
      </p>
      <div data-testid="notes-region"></div>`,
  );
  drawHead(view);
  await view.loadNotes();
}

function drawHead(view) {
  const { deck, ctx, root } = view;
  mount(
    $("[data-testid=deck-head]", root),
    html`<div>
        <h1 data-testid="deck-title">${deck.name}</h1>
        ${deck.description ? html`<p class="deck-description" data-testid="deck-description">${deck.description}</p>` : ""}
        <p class="muted">
          Shared by <strong data-testid="deck-owner">${deck.owner_name}</strong> ·
          ${deck.subscribed
            ? html`<span data-testid="deck-due">${deck.due_count}</span> due ·
                <span data-testid="deck-new">${deck.new_count}</span> new today · `
            : ""}
          ${plural(deck.card_count, "card")} in ${plural(deck.note_count, "note")}
        </p>
      </div>
      <div class="page-actions">
        ${deck.subscribed
          ? html`<a class="btn btn-primary" href="#/review/${deck.id}" data-testid="deck-study">Study</a>
              <button type="button" class="btn" data-testid="deck-unsubscribe">Unsubscribe</button>`
          : html`<button type="button" class="btn btn-primary" data-testid="deck-subscribe">Subscribe</button>`}
        <button type="button" class="btn" data-testid="deck-copy">Copy to my decks</button>
      </div>`,
  );
  const act = (testid, action) => {
    const button = $(`[data-testid=${testid}]`, root);
    button?.addEventListener("click", () => busy(button, action));
  };
  act("deck-subscribe", async () => {
    if (await subscribeTo(deck)) ctx.navigate(`#/deck/${deck.id}`);
  });
  act("deck-unsubscribe", async () => {
    if (await unsubscribeFrom(deck)) ctx.navigate("#/decks");
  });
  act("deck-copy", async () => {
    const copy = await copyToMyDecks(deck);
    if (copy) ctx.navigate(`#/deck/${copy.id}`);
  });
}
