// Chat (#/chat, #/chat/ID[?explain=1]): ask questions of your own lectures. Conversations on the
// side; the open one streams its answer over the shared WebSocket (chat.message/delta/done/error,
// to every tab), cites pages as chips, and can be stopped (Esc). "/" or Ctrl+K focuses the question.

import { ApiError, get, post } from "../api.js";
import { $, html, mount, setTitle, showError } from "../ui.js";
import { subscribe } from "../ws.js";
import { ConversationList } from "../chatlist.js";
import { Thread } from "../chatthread.js";
import { makeCardsFromAnswer } from "../chatcards.js";
import { composer, wireComposer } from "../chatcompose.js";
import { pendingQuestionKey, startPanel } from "../chatstart.js";

const EXPLAIN_QUESTION = "Explain this card.";
// An answer that has said nothing for this long is re-read: its end may have been missed.
const QUIET_MS = 20_000;

export async function render(root, ctx) {
  const id = ctx.params[0] ?? null;
  const view = { root, ctx, id, detail: null, thread: null, list: null, early: [], sending: false, lastEventAt: 0 };
  setTitle("Ask");
  // Listen before reading, so nothing said meanwhile is lost (streamed pieces excepted: the
  // re-read already holds the text so far, and the final answer replaces it anyway).
  const unsubscribe = subscribe((event) => onEvent(view, event));
  ctx.signal.addEventListener("abort", unsubscribe, { once: true });
  const [conversations, detail] = await Promise.all([get("/api/conversations"), id ? get(`/api/conversations/${id}`) : null]);
  view.detail = detail;
  mount(
    root,
    html`<div class="page-head">
        <div>
          <h1>Ask your lectures</h1>
          <p class="muted">Answers come from your own lecture material; every point cites the page it comes from.</p>
        </div>
        <div class="page-actions"><a class="btn" href="#/chat" data-testid="chat-new">New conversation</a></div>
      </div>
      <div class="chat">
        <aside class="chat-side" aria-label="Conversations">
          <ul class="chat-conv-list" data-testid="chat-conversations"></ul>
        </aside>
        <section class="chat-main panel" data-testid="chat-main"></section>
      </div>`,
  );
  view.list = new ConversationList($("[data-testid=chat-conversations]", root), {
    conversations,
    currentId: id,
    signal: ctx.signal,
    onDeleted: (deleted) => {
      if (String(deleted) === String(id)) ctx.navigate("#/chat");
    },
    onCurrent: (summary) => drawTitle(view, summary),
  });
  const main = $("[data-testid=chat-main]", root);
  document.addEventListener("keydown", (event) => onKey(view, event), { signal: ctx.signal });
  $("[data-testid=chat-new]", root).addEventListener("click", (event) => {
    if (detail) return;
    event.preventDefault(); // already on the new-conversation panel
    $("[data-testid=chat-input]", root)?.focus();
  });
  if (!detail) {
    await startPanel(main, { ctx });
    return;
  }
  openConversation(view, main);
  const quiet = setInterval(() => checkQuiet(view), QUIET_MS / 2);
  ctx.signal.addEventListener("abort", () => clearInterval(quiet), { once: true });
  // The first question: typed on the "New conversation" panel, or "Explain this card." from review.
  const pending = sessionStorage.getItem(pendingQuestionKey(id));
  sessionStorage.removeItem(pendingQuestionKey(id));
  const explain = ctx.query.get("explain") === "1";
  if (explain) history.replaceState(null, "", `#/chat/${id}`);
  const first = pending ?? (explain ? EXPLAIN_QUESTION : null);
  if (first && !detail.messages.length) await ask(view, first);
}

// ---- the open conversation ------------------------------------------------------------------

function openConversation(view, main) {
  const { detail, ctx } = view;
  mount(
    main,
    html`<header class="chat-head">
        <h2 class="chat-title" data-testid="chat-title"></h2>
        <span class="chat-scope-tag scope-${detail.scope}" data-testid="chat-scope-label"></span>
      </header>
      ${detail.card ? cardBanner(detail.card) : ""}
      <div class="chat-thread" data-testid="chat-thread" role="region" tabindex="0" aria-label="Questions and answers"></div>
      <p class="chat-error" role="alert" data-testid="chat-error" hidden></p>
      ${composer(`Ask about ${detail.scope === "all" ? "all your lectures" : detail.scope_label}`)}`,
  );
  drawTitle(view, detail);
  view.thread = new Thread($("[data-testid=chat-thread]", main), {
    emptyText: "Ask a question in your own words. The answer quotes your lectures and links each point to its page.",
    onMakeCards: (message, slot) => makeCardsFromAnswer(message, slot, { signal: ctx.signal }),
  });
  view.thread.reset(detail.messages);
  for (const event of view.early.splice(0)) applyEvent(view, event);
  const form = $("[data-testid=chat-composer]", main);
  wireComposer(form, (question) => ask(view, question));
  $("[data-testid=chat-stop]", main).addEventListener("click", () => stop(view));
  syncStreaming(view);
  if (view.thread.streaming()) reread(view); // opened mid-answer: catch up with pieces sent meanwhile
  form.question.focus();
}

function drawTitle(view, summary) {
  if (!$("[data-testid=chat-title]", view.root)) return;
  setTitle(`${summary.title || "Conversation"} · Ask`);
  $("[data-testid=chat-title]", view.root).textContent = summary.title || "Untitled conversation";
  $("[data-testid=chat-scope-label]", view.root).textContent = summary.scope_label;
}

function cardBanner(card) {
  const source = card.source_lecture_id != null ? `#/lecture/${card.source_lecture_id}?page=${card.source_page ?? 1}` : null;
  return html`<aside class="chat-card-banner" data-testid="chat-card-banner" aria-label="The card this conversation is about">
    <p class="chat-card-label">About this card</p>
    <p class="chat-card-front" data-testid="chat-card-front">${card.front}</p>
    <p class="chat-card-answer"><span class="muted">Answer:</span> <span data-testid="chat-card-answer">${card.answer}</span></p>
    ${source ? html`<a class="source-link" href="${source}" data-testid="chat-card-source">Source: p. ${card.source_page ?? 1}</a>` : ""}
  </aside>`;
}

function showChatError(view, message) {
  const box = $("[data-testid=chat-error]", view.root);
  if (!box) return;
  box.textContent = message ?? "";
  box.hidden = !message;
}

async function ask(view, question) {
  const form = $("[data-testid=chat-composer]", view.root);
  showChatError(view, null);
  view.sending = true;
  syncStreaming(view);
  try {
    const sent = await post(`/api/conversations/${view.id}/messages`, { question });
    if (view.ctx.signal.aborted) return;
    form.question.value = "";
    view.thread.upsert(sent.question);
    view.thread.upsert(sent.answer);
    view.thread.scrollToEnd();
    view.lastEventAt = Date.now();
    view.list.refresh();
  } catch (error) {
    if (view.ctx.signal.aborted || error.authLost) return;
    // The server's reason (empty, too long, nothing processed in this scope, still answering) in the chat itself.
    showChatError(view, error.message);
    if (!form.question.value) form.question.value = question; // asked for the user (first question, explain)
    if (!(error instanceof ApiError) || error.status === 0 || error.status >= 500) showError(error);
    if (error.status === 409) reread(view);
  } finally {
    view.sending = false;
    syncStreaming(view);
  }
}

async function stop(view) {
  const answer = view.thread?.streaming();
  if (!answer) return;
  const button = $("[data-testid=chat-stop]", view.root);
  button.disabled = true;
  try {
    view.thread.upsert(await post(`/api/conversations/${view.id}/messages/${answer.id}/cancel`));
  } catch (error) {
    if (error.status !== 409) showError(error);
    await reread(view); // 409: it finished first; either way show what the server has
  } finally {
    button.disabled = false;
    syncStreaming(view);
  }
}

/** Composer and Stop follow the thread: no question while an answer is written, no Stop after. */
function syncStreaming(view) {
  const form = $("[data-testid=chat-composer]", view.root);
  if (!form || !view.thread) return;
  const streaming = Boolean(view.thread.streaming());
  const locked = streaming || view.sending;
  const wasLocked = form.question.disabled;
  form.question.disabled = locked;
  $("[data-testid=chat-send]", form).disabled = locked;
  $("[data-testid=chat-stop]", form).hidden = !streaming;
  form.classList.toggle("busy", locked);
  // The box lost the focus when it was disabled; give it back unless the user moved on meanwhile.
  const focus = document.activeElement;
  if (wasLocked && !locked && (focus === document.body || focus === null)) form.question.focus();
}

// ---- live events --------------------------------------------------------------------------

function onEvent(view, event) {
  if (event.type === "jobs.snapshot") {
    // Sent after every (re)connect: a whole exchange may have happened while the socket was down.
    if (view.thread) reread(view);
    return;
  }
  if (!event.type?.startsWith("chat.")) return;
  if (event.type !== "chat.delta") view.list?.refresh();
  if (!view.id || String(event.conversation_id) !== String(view.id)) return;
  if (event.type === "chat.conversation") {
    // Renamed or deleted in another tab: a deleted one answers 404, which leaves for the list.
    if (event.change === "deleted" && view.thread) reread(view);
    return;
  }
  if (!view.thread) {
    if (event.type !== "chat.delta") view.early.push(event); // the conversation is still being read
    return;
  }
  applyEvent(view, event);
}

function applyEvent(view, event) {
  view.lastEventAt = Date.now();
  if (event.type === "chat.delta") {
    // A piece of an answer this tab does not know yet: another tab asked; read the thread again.
    if (!view.thread.delta(event.message_id, event.text) && !view.thread.has(event.message_id)) reread(view);
  } else if (event.message) {
    view.thread.upsert(event.message); // a message this tab sent itself is already there: kept once
  }
  syncStreaming(view);
}

function checkQuiet(view) {
  if (view.thread?.streaming() && Date.now() - view.lastEventAt > QUIET_MS) reread(view);
}

/** Re-read the conversation (after a reconnect, a long silence, a conflict); one at a time. */
async function reread(view) {
  if (view.rereading) return view.rereading;
  view.rereading = (async () => {
    try {
      const detail = await get(`/api/conversations/${view.id}`);
      if (view.ctx.signal.aborted) return;
      view.lastEventAt = Date.now();
      for (const message of detail.messages) view.thread.upsert(message);
      syncStreaming(view);
    } catch (error) {
      if (view.ctx.signal.aborted) return;
      if (error.status === 404) {
        showError(new Error("This conversation was deleted."));
        view.ctx.navigate("#/chat");
      } else showError(error);
    } finally {
      view.rereading = null;
    }
  })();
  return view.rereading;
}

// ---- keyboard -----------------------------------------------------------------------------

function onKey(view, event) {
  if (event.defaultPrevented || event.isComposing || document.querySelector("dialog[open]")) return;
  const input = $("[data-testid=chat-input]", view.root);
  if (event.key === "Escape" && view.thread?.streaming()) {
    event.preventDefault();
    stop(view);
  } else if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === "k") {
    event.preventDefault();
    input?.focus();
  } else if (event.key === "/" && !event.ctrlKey && !event.metaKey && !event.altKey && !isTyping(event.target)) {
    event.preventDefault();
    input?.focus();
  }
}

function isTyping(target) {
  return target instanceof HTMLElement && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
}
