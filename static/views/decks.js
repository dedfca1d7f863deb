// Decks list: due/new counts per deck (own decks, then subscribed ones), study and open buttons,
// the link to Shared decks, and the new-deck form.

import { get, post } from "../api.js";
import { $, busy, html, mount, plural, setTitle, showError, toast } from "../ui.js";
import { mountAnkiImport } from "../anki.js";
import { mountCsvImport } from "../csvimport.js";
import { mountExamBadges } from "../exam.js";

export async function render(root, ctx) {
  setTitle("Decks");
  // The daily new-card limit is shared by all decks: the total comes from the all-decks queue,
  // not from adding up each deck's (individually capped) count.
  const [decks, queue] = await Promise.all([get("/api/decks"), get("/api/review/next")]);
  draw(root, decks, ctx, queue.counts);
  mountExamBadges(root);
  mountAnkiImport(root, { signal: ctx.signal, onImported: () => render(root, ctx) });
  mountCsvImport(root, { decks: decks.filter((d) => d.owned), onImported: () => render(root, ctx) });
}

function draw(root, decks, ctx, counts) {
  const due = decks.reduce((sum, d) => sum + d.due_count, 0);
  const fresh = counts?.new ?? 0;
  mount(
    root,
    html`<div class="page-head">
        <div>
          <h1>Decks</h1>
          <p class="muted" data-testid="decks-summary">
            ${decks.length ? html`${plural(due, "card")} due · ${fresh} new today` : "Create a deck to start."}
          </p>
        </div>
        <div class="page-actions">
          <a class="btn" href="#/shared" data-testid="shared-decks">Shared decks</a>
          <a class="btn btn-primary" href="#/review" data-testid="study-all">Study all</a>
        </div>
      </div>
      ${decks.length
        ? html`<ul class="deck-list" data-testid="deck-list">${decks.map(deckRow)}</ul>`
        : html`<div class="empty" data-testid="decks-empty">
            <p><strong>No decks yet.</strong></p>
            <p class="muted">A deck holds the cards for one subject or lecture. Create your first one below.</p>
          </div>`}
      <section class="panel new-deck" aria-labelledby="new-deck-title">
        <h2 id="new-deck-title">New deck</h2>
        <form class="form-row" data-testid="new-deck-form">
          <label class="field grow">
            <span>Name</span>
            <input name="name" required maxlength="120" autocomplete="off" data-testid="new-deck-name">
          </label>
          <label class="field grow-2">
            <span>Description <small class="muted">(optional)</small></span>
            <input name="description" maxlength="2000" autocomplete="off" data-testid="new-deck-description">
          </label>
          <button type="submit" class="btn btn-primary" data-testid="new-deck-submit">Create deck</button>
        </form>
      </section>`,
  );

  const form = $("[data-testid=new-deck-form]", root);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const name = form.name.value.trim();
    if (!name) {
      toast("Give the deck a name.", "error");
      form.name.focus();
      return;
    }
    busy($("[data-testid=new-deck-submit]", form), async () => {
      try {
        const deck = await post("/api/decks", { name, description: form.description.value.trim() });
        toast(`Deck “${deck.name}” created`, "success");
        ctx.navigate(`#/deck/${deck.id}`);
      } catch (error) {
        showError(error);
      }
    });
  });
}

function deckRow(deck) {
  const nothing = deck.due_count + deck.new_count === 0;
  return html`<li class="deck-row" data-testid="deck-row" data-deck-id="${deck.id}">
    <div class="deck-main">
      <a class="deck-name" href="#/deck/${deck.id}" data-testid="deck-name">${deck.name}</a>
      ${deck.description ? html`<p class="deck-description">${deck.description}</p>` : ""}
      <p class="deck-meta muted">${plural(deck.note_count, "note")} · ${plural(deck.card_count, "card")}${deck
        .suspended_count
        ? ` · ${deck.suspended_count} suspended`
        : ""}${sharing(deck)}</p>
    </div>
    <div class="deck-counts">
      <span class="count count-due ${deck.due_count ? "" : "zero"}" title="Due now">
        <strong data-testid="deck-due">${deck.due_count}</strong><small>due</small>
      </span>
      <span class="count count-new ${deck.new_count ? "" : "zero"}" title="New cards available today">
        <strong data-testid="deck-new">${deck.new_count}</strong><small>new</small>
      </span>
    </div>
    <div class="deck-actions">
      <a class="btn ${nothing ? "" : "btn-primary"}" href="#/review/${deck.id}" data-testid="deck-study">Study</a>
      <a class="btn" href="#/deck/${deck.id}" data-testid="deck-open">Open</a>
    </div>
  </li>`;
}

function sharing(deck) {
  if (!deck.owned) return html` · <span class="shared-badge" data-testid="deck-shared-by">shared by ${deck.owner_name}</span>`;
  if (deck.visibility !== "public") return "";
  return html` · <span class="shared-badge" data-testid="deck-public">public · ${plural(deck.subscriber_count, "subscriber")}</span>`;
}
