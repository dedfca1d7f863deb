// The question box of the chat: a textarea where Enter sends and Shift+Enter starts a new line.

import { $, html } from "./ui.js";

/** The question box: Enter sends, Shift+Enter starts a new line. */
export function composer(placeholder, submitLabel = "Send") {
  return html`<form class="chat-composer" data-testid="chat-composer" novalidate>
    <label class="sr-only" for="chat-question">Your question</label>
    <textarea id="chat-question" name="question" rows="2" placeholder="${placeholder}" data-testid="chat-input"
      aria-describedby="chat-keys"></textarea>
    <div class="chat-composer-actions">
      <button type="submit" class="btn btn-primary" data-testid="chat-send">${submitLabel}</button>
      <button type="button" class="btn" data-testid="chat-stop" aria-label="Stop the answer" hidden>Stop <kbd>Esc</kbd></button>
    </div>
    <p class="hint chat-keys" id="chat-keys"><kbd>Enter</kbd> sends · <kbd>Shift</kbd>+<kbd>Enter</kbd> new line ·
      <kbd>/</kbd> back to this box</p>
  </form>`;
}

export function wireComposer(form, onSend) {
  form.question.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!$("[data-testid=chat-send]", form).disabled) onSend(form.question.value);
  });
}
