// Card editor (#/new/<deck_id>, #/edit/<note_id>): kind, fields, tags and deck, a cloze
// helper, and a live preview rendered by the server exactly as the review screen shows it.

import { ApiError, del, get, patch, post, toId } from "../api.js";
import { $, busy, confirmDialog, debounce, html, mount, plural, setTitle, showError, toast } from "../ui.js";
import { FIELD_LABELS, KIND_LABELS, cardFace, parseTags } from "../cards.js";
import { attachControls, wireMediaAttach } from "../mediaattach.js";

const LAST_KIND_KEY = "lectern.editor.kind";
const PREVIEW_DELAY_MS = 250;
const MOD_KEY = /Mac|iPhone|iPad/.test(navigator.platform) ? "⌘" : "Ctrl";

export async function render(root, ctx) {
  const editing = ctx.mode === "edit";
  const [note, decks] = await Promise.all([
    editing ? get(`/api/notes/${ctx.params[0]}`) : Promise.resolve(blankNote(ctx.params[0], ctx.query)),
    get("/api/decks"),
  ]);
  const deck = decks.find((d) => String(d.id) === String(note.deck_id));
  const requested = ctx.query.get("return");
  const returnTo = requested?.startsWith("#/") ? requested : `#/deck/${note.deck_id}`;
  const fromReview = returnTo.startsWith("#/review");
  setTitle(editing ? "Edit card" : "New card");

  mount(
    root,
    html`<nav class="crumbs" aria-label="Breadcrumb">
        ${fromReview ? html`<a href="${returnTo}">Review</a>` : html`<a href="#/decks">Decks</a> <span aria-hidden="true">/</span>
          <a href="#/deck/${note.deck_id}">${deck?.name ?? "Deck"}</a>`}
        <span aria-hidden="true">/</span>
      </nav>
      <h1>${editing ? "Edit card" : "New card"}</h1>
      <div class="editor-layout">
        <form class="panel editor" data-testid="editor-form" novalidate>
          <fieldset class="plain-fieldset">
            <legend>Kind</legend>
            <div class="segmented" data-testid="editor-kind">
            ${Object.entries(KIND_LABELS).map(
              ([kind, label]) => html`<label data-testid="kind-${kind}">
                <input type="radio" name="kind" value="${kind}" ${kind === note.kind ? "checked" : ""}>
                <span>${label}</span>
              </label>`,
            )}
            </div>
          </fieldset>
          <div class="field">
            <div class="field-head">
              <label for="editor-front" data-testid="front-label"></label>
              <button type="button" class="btn btn-small" data-testid="cloze-button"
                title="Wrap the selected text in the next cloze number">[…] Cloze</button>
            </div>
            <textarea id="editor-front" name="front" rows="5" data-testid="editor-front"></textarea>
          </div>
          <div class="field">
            <label for="editor-back" data-testid="back-label"></label>
            <textarea id="editor-back" name="back" rows="4" data-testid="editor-back"></textarea>
            <small class="hint" data-testid="kind-hint"></small>
          </div>
          ${attachControls()}
          <div class="form-row">
            <label class="field grow">
              <span>Tags <small class="muted">(separated by spaces)</small></span>
              <input name="tags" autocomplete="off" data-testid="editor-tags" value="${note.tags.join(" ")}">
            </label>
            <label class="field grow">
              <span>Deck</span>
              <select name="deck_id" data-testid="editor-deck">
                ${decks.filter((d) => d.owned).map((d) => html`<option value="${d.id}" ${String(d.id) === String(note.deck_id) ? "selected" : ""}>${d.name}</option>`)}
              </select>
            </label>
          </div>
          <div class="form-error" role="alert" data-testid="editor-error" hidden></div>
          <div class="form-actions">
            <button type="submit" class="btn btn-primary" data-testid="editor-save">
              Save <kbd class="kbd-on-primary">${MOD_KEY} ↵</kbd>
            </button>
            ${editing ? "" : html`<button type="button" class="btn" data-testid="editor-save-another">Save and add another</button>`}
            <a class="btn btn-ghost" href="${returnTo}" data-testid="editor-cancel">Cancel</a>
            ${editing ? html`<button type="button" class="btn btn-danger push-right" data-testid="editor-delete">Delete note…</button>` : ""}
          </div>
          <p class="hint">Markdown works; write math as <code>$x^2$</code> or <code>$$\\int f$$</code>.
            Paste or drop an image or audio file on a field to attach it.</p>
        </form>
        <section class="panel preview" aria-labelledby="preview-title" aria-live="polite">
          <h2 id="preview-title">Preview</h2>
          <div data-testid="preview"></div>
        </section>
      </div>`,
  );

  const form = $("[data-testid=editor-form]", root);
  form.front.value = note.front;
  form.back.value = note.back;
  const editor = { root, ctx, form, note, editing, returnTo, savedSnapshot: "", previewSeq: 0 };
  editor.savedSnapshot = snapshot(editor);
  applyKind(editor);
  wire(editor);
  updatePreview(editor);
  form.front.focus();
}

function blankNote(deckId, query) {
  const remembered = localStorage.getItem(LAST_KIND_KEY);
  const front = query?.get("front") ?? ""; // a crop of a lecture page arrives with its image reference
  return { deck_id: deckId, kind: KIND_LABELS[remembered] ? remembered : "basic", front, back: "", tags: [] };
}

function kindOf(form) {
  return form.querySelector("input[name=kind]:checked")?.value ?? "basic";
}

const KIND_HINTS = {
  basic: "One card: front → back.",
  reversed: "Two cards: front → back and back → front.",
  cloze: "One card per cloze number: {{c1::answer}} or {{c1::answer::hint}}. Extra is shown with the answer.",
  typein: "One card; you type the answer while reviewing and it is checked.",
};

function applyKind(editor) {
  const { root, form } = editor;
  const kind = kindOf(form);
  const [frontLabel, backLabel] = FIELD_LABELS[kind];
  $("[data-testid=front-label]", root).textContent = frontLabel;
  $("[data-testid=back-label]", root).textContent = backLabel;
  $("[data-testid=kind-hint]", root).textContent = KIND_HINTS[kind];
  $("[data-testid=cloze-button]", root).hidden = kind !== "cloze";
}

function wire(editor) {
  const { root, form, ctx } = editor;
  const schedulePreview = debounce(() => updatePreview(editor), PREVIEW_DELAY_MS);
  ctx.signal.addEventListener("abort", schedulePreview.cancel);

  form.addEventListener("input", (event) => {
    if (event.target.name === "front" || event.target.name === "back") schedulePreview();
  });
  form.addEventListener("change", (event) => {
    if (event.target.name === "kind") {
      applyKind(editor);
      schedulePreview.cancel();
      updatePreview(editor);
    }
  });
  $("[data-testid=cloze-button]", root).addEventListener("click", () => {
    wrapCloze(form.front);
    schedulePreview();
  });
  form.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy($("[data-testid=editor-save]", root), () => save(editor, { another: false }));
  });
  const another = $("[data-testid=editor-save-another]", root);
  another?.addEventListener("click", () => busy(another, () => save(editor, { another: true })));
  $("[data-testid=editor-cancel]", root).addEventListener("click", async (event) => {
    if (snapshot(editor) === editor.savedSnapshot) return;
    event.preventDefault();
    const discard = await confirmDialog("Your changes to this card have not been saved.", {
      title: "Discard changes?",
      confirmLabel: "Discard",
      danger: true,
    });
    if (discard) ctx.navigate(editor.returnTo);
  });
  $("[data-testid=editor-delete]", root)?.addEventListener("click", () => deleteNote(editor));
  wireMediaAttach({
    container: $(".media-attach", root),
    fields: [form.front, form.back],
    signal: ctx.signal,
    onError: (message) => showEditorError(editor, message),
  });
}

/** Wrap the selection as {{cN::…}} with the next unused number (or insert an empty one). */
function wrapCloze(textarea) {
  const { selectionStart: start, selectionEnd: end, value } = textarea;
  const used = [...value.matchAll(/\{\{c(\d+)::/g)].map((m) => Number(m[1]));
  const number = Math.max(0, ...used) + 1;
  const opening = `{{c${number}::`;
  const selected = value.slice(start, end);
  textarea.focus();
  textarea.setRangeText(`${opening}${selected}}}`, start, end, "end");
  if (!selected) textarea.setSelectionRange(start + opening.length, start + opening.length);
}

function snapshot(editor) {
  const { form } = editor;
  return JSON.stringify([kindOf(form), form.front.value, form.back.value, form.tags.value, form.deck_id.value]);
}

function showEditorError(editor, message) {
  const box = $("[data-testid=editor-error]", editor.root);
  box.textContent = message ?? "";
  box.hidden = !message;
}

async function updatePreview(editor) {
  const { root, form } = editor;
  const target = $("[data-testid=preview]", root);
  const seq = ++editor.previewSeq;
  const body = { kind: kindOf(form), front: form.front.value, back: form.back.value };
  if (!body.front.trim()) {
    showEditorError(editor, null);
    mount(target, html`<p class="muted" data-testid="preview-empty">The cards appear here as you type.</p>`);
    return;
  }
  target.setAttribute("aria-busy", "true");
  try {
    const result = await post("/api/notes/preview", body);
    if (seq !== editor.previewSeq) return;
    showEditorError(editor, null);
    mount(target, previewCards(result.cards));
  } catch (error) {
    if (seq !== editor.previewSeq) return;
    if (error instanceof ApiError && error.status === 422) {
      showEditorError(editor, error.message);
      mount(target, html`<p class="muted">Fix the problem above to see the preview.</p>`);
    } else {
      showError(error);
    }
  } finally {
    if (seq === editor.previewSeq) target.removeAttribute("aria-busy");
  }
}

function previewCards(cards) {
  if (!cards.length) return html`<p class="muted">This note makes no cards yet.</p>`;
  return html`<p class="muted preview-count">${plural(cards.length, "card")}</p>
    ${cards.map(
      (card) => html`<article class="preview-card" data-testid="preview-card">
        <h3 class="preview-label">${card.label}</h3>
        <div class="preview-side"><span class="side-label">Front</span>${cardFace(card.front_html, { testid: "preview-front", side: "front" })}</div>
        <div class="preview-side"><span class="side-label">Back</span>${cardFace(card.back_html, { testid: "preview-back", side: "back" })}</div>
      </article>`,
    )}`;
}

async function save(editor, { another }) {
  const { form, note, editing, ctx } = editor;
  const kind = kindOf(form);
  const body = {
    deck_id: toId(form.deck_id.value),
    kind,
    front: form.front.value,
    back: form.back.value,
    tags: parseTags(form.tags.value),
  };
  if (!body.front.trim()) {
    showEditorError(editor, `${FIELD_LABELS[kind][0]} cannot be empty.`);
    form.front.focus();
    return;
  }
  let saved;
  try {
    saved = editing ? await patch(`/api/notes/${note.id}`, body) : await post("/api/notes", body);
  } catch (error) {
    if (error instanceof ApiError && error.status === 422) showEditorError(editor, error.message);
    else showError(error);
    return;
  }
  showEditorError(editor, null);
  localStorage.setItem(LAST_KIND_KEY, kind);
  const cards = saved.cards?.length ?? 0;
  toast(editing ? "Card saved" : `Added ${plural(cards, "card")}`, "success");
  if (another) {
    form.front.value = "";
    form.back.value = "";
    editor.savedSnapshot = snapshot(editor);
    updatePreview(editor);
    form.front.focus();
    return;
  }
  editor.savedSnapshot = snapshot(editor);
  ctx.navigate(editor.returnTo);
}

async function deleteNote(editor) {
  const { note, ctx } = editor;
  const cards = note.cards?.length ?? 0;
  const ok = await confirmDialog(`This note and its ${plural(cards, "card")} (with their review history) will be deleted.`, {
    title: "Delete this note?",
    confirmLabel: "Delete",
    danger: true,
  });
  if (!ok) return;
  try {
    await del(`/api/notes/${note.id}`);
    toast("Note deleted", "success");
    ctx.navigate(editor.returnTo);
  } catch (error) {
    showError(error);
  }
}
