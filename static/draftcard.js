// One draft on the drafts screen: its source page (image, text with the quote marked), the card
// as review will show it, and the inline editor (kind, front, back) with a live preview.

import { patch, post } from "./api.js";
import { $, busy, debounce, html, mount, showError, toast } from "./ui.js";
import { FIELD_LABELS, KIND_LABELS, cardFace } from "./cards.js";
import { markQuote } from "./draftsource.js";

const KINDS = ["basic", "cloze"];
const PREVIEW_DELAY_MS = 250;

export function draftItem(draft) {
  const duplicate = draft.duplicate_of_note_id != null;
  const similarity = draft.duplicate_score != null ? `Similarity ${Math.round(draft.duplicate_score * 100)}%` : "";
  return html`<article class="draft" data-testid="draft" data-draft-id="${draft.id}" data-kind="${draft.kind}"
      data-duplicate="${duplicate}" aria-label="Draft from page ${draft.page}">
    <div class="draft-source" data-testid="draft-source">
      <figure class="draft-figure" hidden><a href="#/lecture/${draft.lecture_id}?page=${draft.page}" tabindex="-1">
        <img data-testid="draft-page-image" alt="Page ${draft.page} of ${draft.lecture_title}"></a></figure>
      <div class="draft-page">
        <a class="draft-page-link" href="#/lecture/${draft.lecture_id}?page=${draft.page}" data-testid="draft-page-link">
          ${draft.lecture_title} · p. ${draft.page}</a>
        <div class="draft-page-text" data-testid="draft-page-text" aria-busy="true"><p class="muted">Loading the page…</p></div>
      </div>
    </div>
    <div class="draft-card">
      <header class="draft-head">
        <input type="checkbox" value="${draft.id}" data-testid="draft-select" aria-label="Select this draft">
        <span class="tag" data-testid="draft-kind">${KIND_LABELS[draft.kind] ?? draft.kind}</span>
        ${duplicate
          ? html`<span class="dup-badge" data-testid="draft-duplicate" title="${similarity}">Possible duplicate of:
              <a href="#/edit/${draft.duplicate_of_note_id}">${draft.duplicate_front ?? "an existing card"}</a></span>`
          : ""}
      </header>
      <div class="draft-body" data-testid="draft-body">${previewBox()}</div>
      <div class="draft-actions">
        <button type="button" class="btn btn-small btn-primary" data-action="accept" data-testid="draft-accept">Accept <kbd>A</kbd></button>
        <button type="button" class="btn btn-small" data-action="edit" data-testid="draft-edit">Edit <kbd>E</kbd></button>
        <button type="button" class="btn btn-small btn-danger" data-action="reject" data-testid="draft-reject">Reject <kbd>R</kbd></button>
      </div>
    </div>
  </article>`;
}

const previewBox = () => html`<div class="draft-preview" data-testid="draft-preview" aria-live="polite"></div>`;

/** The page image, the page text with the quote marked, and the card preview. */
export async function fillDraft(item, draft, { sources, signal }) {
  preview(item, draft, signal);
  const textBox = $("[data-testid=draft-page-text]", item);
  sources
    .image(draft.lecture_id, draft.page)
    .then((url) => {
      if (!url || signal.aborted) return;
      $("img", item).src = url;
      $(".draft-figure", item).hidden = false;
    })
    .catch((error) => {
      // The text and the quote still show; the image is a help, not the citation.
      if (error.name !== "AbortError") $(".draft-figure", item).title = `The page image could not be loaded: ${error.message}`;
    });
  try {
    const page = await sources.page(draft.lecture_id, draft.page);
    if (signal.aborted) return;
    const { found, template } = markQuote(page.text, draft.quote);
    mount(
      textBox,
      found
        ? template
        : html`<p class="hint" data-testid="draft-quote-missing">The quote could not be placed in this page’s text; it reads:</p>
            <blockquote class="draft-quote"><mark data-testid="draft-quote">${draft.quote}</mark></blockquote>`,
    );
    const mark = $("mark", textBox);
    if (found && mark) textBox.scrollTop = Math.max(0, mark.offsetTop - textBox.clientHeight / 3);
  } catch (error) {
    if (signal.aborted) return;
    mount(textBox, html`<p class="row-error" role="alert">${error.message}</p>
      <blockquote class="draft-quote"><mark data-testid="draft-quote">${draft.quote}</mark></blockquote>`);
  } finally {
    textBox.removeAttribute("aria-busy");
  }
}

/** The card exactly as review will show it (rendered by the server). */
async function preview(item, fields, signal) {
  const box = $("[data-testid=draft-preview]", item);
  if (!box) return;
  const seq = (box.seq = (box.seq ?? 0) + 1);
  box.setAttribute("aria-busy", "true");
  try {
    const result = await post("/api/notes/preview", { kind: fields.kind, front: fields.front, back: fields.back });
    if (seq !== box.seq || signal.aborted) return;
    mount(
      box,
      result.cards.length
        ? html`${result.cards.map(
            (card) => html`<div class="draft-preview-card" data-testid="draft-preview-card">
              ${result.cards.length > 1 ? html`<span class="side-label">${card.label}</span>` : ""}
              <div class="preview-side"><span class="side-label">Front</span>${cardFace(card.front_html, { testid: "draft-preview-front", side: "front" })}</div>
              <div class="preview-side"><span class="side-label">Back</span>${cardFace(card.back_html, { testid: "draft-preview-back", side: "back" })}</div>
            </div>`,
          )}`
        : html`<p class="muted">This draft makes no card as it stands.</p>`,
    );
  } catch (error) {
    if (seq !== box.seq || signal.aborted) return;
    mount(box, html`<p class="row-error" role="alert" data-testid="draft-preview-error">${error.message}</p>`);
  } finally {
    if (seq === box.seq) box.removeAttribute("aria-busy");
  }
}

// ---- the inline editor ----------------------------------------------------------------------

/**
 * Edit the draft in place. "Save and accept" hands the fields to `accept(fields)`; "Save draft"
 * stores them (PATCH) and closes the editor; Esc cancels, Ctrl+Enter saves and accepts.
 */
export function openEditor(item, draft, { signal, accept }) {
  const open = $("[data-testid=draft-editor]", item);
  if (open) {
    open.front.focus();
    return;
  }
  item.classList.add("editing");
  const body = $("[data-testid=draft-body]", item);
  mount(
    body,
    html`<form class="draft-editor" data-testid="draft-editor">
        <div class="segmented" role="radiogroup" aria-label="Kind">
          ${KINDS.map(
            (kind) => html`<label data-testid="draft-kind-${kind}"><input type="radio" name="kind" value="${kind}"
              ${kind === draft.kind ? "checked" : ""}><span>${KIND_LABELS[kind]}</span></label>`,
          )}
        </div>
        <label class="field"><span data-testid="draft-front-label"></span>
          <textarea name="front" rows="3" required data-testid="draft-front-input"></textarea></label>
        <label class="field"><span data-testid="draft-back-label"></span>
          <textarea name="back" rows="2" data-testid="draft-back-input"></textarea></label>
        <p class="form-error" role="alert" data-testid="draft-edit-error" hidden></p>
        <div class="form-actions">
          <button type="submit" class="btn btn-small btn-primary" data-testid="draft-save-accept">Save and accept</button>
          <button type="button" class="btn btn-small" data-testid="draft-save">Save draft</button>
          <button type="button" class="btn btn-small btn-ghost" data-testid="draft-edit-cancel">Cancel</button>
        </div>
        <p class="hint"><kbd>Ctrl</kbd>+<kbd>Enter</kbd> saves and accepts · <kbd>Esc</kbd> cancels</p>
      </form>
      ${previewBox()}`,
  );
  const form = $("[data-testid=draft-editor]", body);
  form.front.value = draft.front;
  form.back.value = draft.back;
  const fields = () => ({ kind: form.kind.value, front: form.front.value, back: form.back.value });
  const labels = () => {
    const [front, back] = FIELD_LABELS[form.kind.value];
    $("[data-testid=draft-front-label]", form).textContent = front;
    $("[data-testid=draft-back-label]", form).textContent = back;
  };
  const refresh = debounce(() => preview(item, fields(), signal), PREVIEW_DELAY_MS);
  signal.addEventListener("abort", () => refresh.cancel(), { once: true });
  labels();
  preview(item, fields(), signal);
  form.addEventListener("input", () => {
    labels();
    refresh();
  });
  const fail = (message) => {
    const box = $("[data-testid=draft-edit-error]", form);
    box.textContent = message ?? "";
    box.hidden = !message;
  };
  const complete = () => {
    const problem = form.front.value.trim() ? null : `${FIELD_LABELS[form.kind.value][0]} cannot be empty.`;
    fail(problem);
    if (problem) form.front.focus();
    return !problem;
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!complete()) return;
    refresh.cancel();
    accept(fields());
  });
  $("[data-testid=draft-save]", form).addEventListener("click", (event) => {
    if (!complete()) return;
    busy(event.currentTarget, async () => {
      try {
        Object.assign(draft, await patch(`/api/drafts/${draft.id}`, fields()));
        toast("Draft saved", "success");
        closeEditor(item, draft, signal);
      } catch (error) {
        fail(error.message);
        showError(error);
      }
    });
  });
  $("[data-testid=draft-edit-cancel]", form).addEventListener("click", () => closeEditor(item, draft, signal));
  form.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      closeEditor(item, draft, signal);
    } else if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  form.front.focus();
}

function closeEditor(item, draft, signal) {
  item.classList.remove("editing");
  mount($("[data-testid=draft-body]", item), previewBox());
  preview(item, draft, signal);
  $("[data-testid=draft-edit]", item).focus();
}
