// The thread of one conversation: questions and answers, an answer's text while it is being
// written (escaped paragraphs with citation chips), then its final form (the server's sanitized
// HTML with chips, the sources, and a note when it was stopped or interrupted).

import { $, html, mount, trusted } from "./ui.js";
import { chipify, plainParagraphs, sourcesList } from "./chatcite.js";

const DELTA_REDRAW_MS = 60; // streamed pieces arrive word by word: redraw at most this often

/** Whether `incoming` says more than `known` about the same message (events and replies race). */
function isNewer(incoming, known) {
  if (known.status !== "streaming") return incoming.status !== "streaming";
  if (incoming.status !== "streaming") return true;
  return (incoming.content ?? "").length > (known.content ?? "").length;
}

export class Thread {
  /** `onMakeCards(message, slot)` runs when "Make cards from this answer" is pressed. */
  constructor(element, { onMakeCards, emptyText }) {
    this.element = element;
    this.onMakeCards = onMakeCards;
    this.emptyText = emptyText;
    this.messages = new Map();
    this.dirty = new Set();
    this.timer = null;
  }

  /** Show exactly these messages (oldest first). */
  reset(messages) {
    this.messages.clear();
    mount(this.element, html`<p class="chat-thread-empty muted" data-testid="chat-thread-empty">${this.emptyText}</p>`);
    for (const message of messages) this.upsert(message);
  }

  has(messageId) {
    return this.messages.has(messageId);
  }

  /** The answer being written, if any. */
  streaming() {
    return [...this.messages.values()].find((m) => m.role === "assistant" && m.status === "streaming") ?? null;
  }

  /** Add or update a message, unless what is shown is already as new; says whether it changed. */
  upsert(message) {
    const known = this.messages.get(message.id);
    if (known && !isNewer(message, known)) return false;
    const stick = this.nearBottom();
    this.messages.set(message.id, { ...message, content: message.content ?? "" });
    this.draw(this.messages.get(message.id));
    if (!known) this.reveal(message.id);
    else if (stick) this.scrollToEnd();
    return true;
  }

  /** Append streamed text to an answer being written; false when it is not (known and) streaming. */
  delta(messageId, text) {
    const message = this.messages.get(messageId);
    if (!message || message.status !== "streaming") return false;
    message.content += text ?? "";
    this.dirty.add(messageId);
    this.timer ??= setTimeout(() => this.flush(), DELTA_REDRAW_MS);
    return true;
  }

  flush() {
    this.timer = null;
    const stick = this.nearBottom();
    for (const id of this.dirty) {
      const message = this.messages.get(id);
      const article = this.articleOf(id);
      if (message && article) drawBody($("[data-slot=body]", article), message);
    }
    this.dirty.clear();
    if (stick) this.scrollToEnd();
  }

  nearBottom() {
    const { scrollHeight, scrollTop, clientHeight } = this.element;
    return scrollHeight - scrollTop - clientHeight < 80;
  }

  scrollToEnd() {
    if (this.element.scrollHeight > this.element.clientHeight) this.element.scrollTop = this.element.scrollHeight;
  }

  /** A new message: in sight, whether the thread scrolls itself (desktop) or the page does (phone). */
  reveal(messageId) {
    this.scrollToEnd();
    const article = this.articleOf(messageId);
    if (article && this.element.scrollHeight <= this.element.clientHeight) article.scrollIntoView({ block: "nearest" });
  }

  articleOf(id) {
    return $(`[data-message-id="${id}"]`, this.element);
  }

  draw(message) {
    $("[data-testid=chat-thread-empty]", this.element)?.remove();
    let article = this.articleOf(message.id);
    if (!article) {
      article = message.role === "user" ? questionElement(message) : answerElement(message);
      // Ids grow with time: keep the thread in order whatever order the events came in.
      const after = [...this.element.querySelectorAll("[data-message-id]")].find((a) => Number(a.dataset.messageId) > message.id);
      this.element.insertBefore(article, after ?? null);
    }
    if (message.role === "assistant") this.drawAnswer(article, message);
  }

  drawAnswer(article, message) {
    const { status } = message;
    article.dataset.status = status;
    article.dataset.provider = message.provider ?? "";
    article.dataset.grounded = String(message.grounded !== false);
    article.classList.toggle("chat-ungrounded", status !== "streaming" && message.grounded === false);
    mount(
      $("[data-slot=label]", article),
      message.provider === "builtin"
        ? html`<span class="chat-label" data-testid="chat-extracts-label"
            title="Lectern's offline answers are passages quoted from your lectures">Extracts from your lectures</span>`
        : "",
    );
    drawBody($("[data-slot=body]", article), message);
    mount($("[data-slot=status]", article), statusLine(message));
    mount($("[data-slot=sources]", article), status === "streaming" ? "" : sourcesList(message.citations));
    const actions = $("[data-slot=actions]", article);
    if (status === "done" && message.citations?.length) {
      if (!actions.dataset.drawn) {
        actions.dataset.drawn = "true";
        mount(
          actions,
          html`<button type="button" class="btn btn-small" data-testid="chat-make-cards">Make cards from this answer</button>
            <div class="chat-cards-slot" data-testid="chat-cards-slot"></div>`,
        );
        $("[data-testid=chat-make-cards]", actions).addEventListener("click", () =>
          this.onMakeCards(this.messages.get(message.id), $("[data-testid=chat-cards-slot]", actions)),
        );
      }
    } else {
      delete actions.dataset.drawn;
      actions.replaceChildren();
    }
  }
}

function questionElement(message) {
  const article = document.createElement("article");
  article.className = "chat-msg chat-question";
  article.dataset.testid = "chat-question";
  article.dataset.messageId = String(message.id);
  mount(article, html`<h3 class="sr-only">You asked</h3><div class="chat-bubble" data-testid="chat-question-text">${message.content}</div>`);
  return article;
}

function answerElement(message) {
  const article = document.createElement("article");
  article.className = "chat-msg chat-answer";
  article.dataset.testid = "chat-answer";
  article.dataset.messageId = String(message.id);
  // One live region per answer, kept across redraws: busy while it is written, read once when done.
  mount(
    article,
    html`<h3 class="sr-only">Answer</h3>
      <div class="chat-answer-head" data-slot="label"></div>
      <div class="chat-body" data-slot="body" data-testid="chat-answer-body" aria-live="polite"></div>
      <div data-slot="status"></div>
      <div data-slot="sources"></div>
      <div class="chat-answer-actions" data-slot="actions"></div>`,
  );
  return article;
}

function drawBody(body, message) {
  const streaming = message.status === "streaming";
  body.setAttribute("aria-busy", String(streaming));
  if (!streaming && message.html != null) {
    mount(body, trusted(message.html)); // sanitized by the server; chips are added as DOM nodes
    chipify(body, message.citations);
  } else {
    mount(body, plainParagraphs(message.content));
  }
}

function statusLine(message) {
  if (message.status === "streaming") {
    return html`<p class="chat-typing" data-testid="chat-typing" role="status">
      <span class="chat-dots" aria-hidden="true"><span></span><span></span><span></span></span>
      Writing the answer…</p>`;
  }
  if (message.status === "interrupted") {
    return html`<p class="chat-warning" role="alert" data-testid="chat-interrupted">
      <strong>The answer stopped before it was finished.</strong> ${message.error || "Something went wrong while it was written."}</p>`;
  }
  if (message.status === "cancelled") return html`<p class="chat-stopped muted" data-testid="chat-stopped">Stopped.</p>`;
  return "";
}
