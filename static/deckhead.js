// The deck page's head for the owner: title and counts, the actions, the private/public switch
// with the subscriber count, and the edit form (rename, describe, delete).

import { del, patch } from "./api.js";
import { $, busy, confirmDialog, html, mount, plural, setTitle, showError, toast } from "./ui.js";
import { currentHash } from "./decknotes.js";

export const EDIT_FORM = html`<form class="panel deck-edit" data-testid="deck-edit-form" hidden>
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
</form>`;

export function drawHead(view) {
  const { root, deck } = view;
  const back = encodeURIComponent(currentHash(view));
  const shared = deck.visibility === "public";
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
        <div class="deck-visibility">
          <button type="button" class="visibility-switch" role="switch" aria-checked="${shared ? "true" : "false"}"
            data-testid="visibility-switch" title="Public decks can be studied or copied by every account here">
            <span class="visibility-track" aria-hidden="true"><span class="visibility-thumb"></span></span>
            <span data-testid="visibility-label">${shared ? "Public" : "Private"}</span>
          </button>
          <span class="muted" data-testid="subscriber-count">${shared
            ? `${plural(deck.subscriber_count, "subscriber")} · others can study or copy it`
            : "Only you can see it"}</span>
        </div>
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
  const toggle = $("[data-testid=visibility-switch]", root);
  toggle.addEventListener("click", () => busy(toggle, () => switchVisibility(view)));
}

async function switchVisibility(view) {
  const { deck } = view;
  const visibility = deck.visibility === "public" ? "private" : "public";
  if (visibility === "private" && deck.subscriber_count > 0) {
    const ok = await confirmDialog(
      `${plural(deck.subscriber_count, "account")} studying “${deck.name}” will lose it (they keep their review history) and get a notice.`,
      { title: "Make this deck private?", confirmLabel: "Make private", danger: true },
    );
    if (!ok) return;
  }
  try {
    view.deck = await patch(`/api/decks/${deck.id}`, { visibility });
    drawHead(view);
    $("[data-testid=visibility-switch]", view.root).focus();
    toast(visibility === "public" ? "The deck is public: others can find it under Shared decks" : "The deck is private", "success");
  } catch (error) {
    showError(error);
  }
}

export function wireEditForm(view) {
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
    const subscribers = deck.subscriber_count ? ` ${plural(deck.subscriber_count, "subscriber")} will be told.` : "";
    const ok = await confirmDialog(
      `“${deck.name}” and its ${plural(deck.note_count, "note")} (${plural(deck.card_count, "card")}, with their review history) will be deleted. This cannot be undone.${subscribers}`,
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
