// Review screen (#/review, #/review/<deck_id>): one card at a time, keyboard first.
// Space/Enter reveals, 1–4 rate, U undoes the last review, E edits the current note,
// O opens the lecture page a generated card cites, A asks the chat about the card.

import { api, get, post } from "../api.js";
import { $, html, mount, plural, setTitle, showError, toast } from "../ui.js";
import { cardFace } from "../cards.js";
import { drawFeedback, feedbackBlock, suggestedRating, typeinFeedback } from "../typein.js";
import { examNote } from "../exam.js";

const RATINGS = [
  [1, "Again"],
  [2, "Hard"],
  [3, "Good"],
  [4, "Easy"],
];

const QUEUE_OF_STATE = { new: "new", learning: "learning", relearning: "learning", review: "review" };

export async function render(root, ctx) {
  const deckId = ctx.params[0];
  const session = {
    root,
    ctx,
    deckId,
    card: null,
    counts: { new: 0, learning: 0, review: 0 },
    phase: "loading", // loading → front → back → (rating) → front … → done
    busy: false,
    shownAt: 0,
    typed: null,
    suggested: null,
    feedback: typeinFeedback(ctx.signal), // the server's view of a typed answer
    checked: null, // what it said so far about this card's answer
    progressKey: `lectern.review.reviewed.${deckId ?? "all"}`,
  };
  setTitle("Review");
  // Coming back from the editor (E) continues the session; any other visit starts afresh.
  if (!ctx.query.has("resume")) setReviewed(session, 0);
  const deck = deckId ? await get(`/api/decks/${deckId}`) : null;
  mount(
    root,
    html`<section class="review" data-testid="review">
      <div class="review-top">
        <h1 class="review-title" data-testid="review-title">${deck ? deck.name : "All decks"}</h1>
        <p class="review-counts" data-testid="review-counts" aria-label="Cards left to study"></p>
      </div>
      <div class="review-progress" data-testid="progress"></div>
      <div class="review-stage" data-testid="review-stage"></div>
    </section>`,
  );
  if (deck) setTitle(`Review · ${deck.name}`);
  document.addEventListener("keydown", (event) => onKey(session, event), { signal: ctx.signal });
  await loadNext(session);
}

// ---- state transitions --------------------------------------------------------

async function loadNext(session) {
  session.phase = "loading";
  let data;
  try {
    data = await get("/api/review/next", { deck_id: session.deckId });
  } catch (error) {
    if (!error.authLost && !session.ctx.signal.aborted) showLoadError(session, error);
    return;
  }
  showNext(session, data);
}

/** Shows a `{card, counts}` answer: from GET /next, or the `next` that comes with a rating. */
function showNext(session, data) {
  if (session.ctx.signal.aborted) return;
  session.card = data.card;
  session.counts = data.counts ?? { new: 0, learning: 0, review: 0 };
  session.phase = data.card ? "front" : "done";
  session.typed = null;
  session.suggested = null;
  session.checked = null;
  session.feedback.stop();
  if (data.card?.kind === "typein") session.feedback.listen();
  draw(session);
  session.shownAt = performance.now();
}

function showLoadError(session, error) {
  showError(error);
  session.phase = "error";
  const stage = $("[data-testid=review-stage]", session.root);
  mount(
    stage,
    html`<div class="done panel" data-testid="review-error">
      <p role="alert">${error.message}</p>
      <button type="button" class="btn btn-primary" data-testid="review-retry">Try again</button>
    </div>`,
  );
  $("[data-testid=review-retry]", stage).addEventListener("click", () => loadNext(session));
}

function reveal(session) {
  if (session.phase !== "front" || session.busy) return;
  const { card, root } = session;
  const typein = card.kind === "typein";
  if (typein) {
    session.typed = $("[data-testid=typein-input]", root)?.value ?? "";
    session.suggested = localSuggestion(session);
  }
  session.phase = "back";
  draw(session);
  if (typein && session.typed.trim()) {
    session.feedback.check(card.id, session.typed, (feedback) => showFeedback(session, card, feedback));
  }
}

/** Before (or without) the server's check: an exact match is Good, nothing typed is Again. */
function localSuggestion(session, { fallback = false } = {}) {
  if (sameAnswer(session.typed ?? "", session.card.answer ?? "")) return 3;
  return fallback || !session.typed?.trim() ? 1 : null;
}

function showFeedback(session, card, feedback) {
  if (session.card !== card || session.phase !== "back" || session.ctx.signal.aborted) return;
  session.checked = feedback;
  const fallback = feedback.status === "error";
  markSuggested(session, suggestedRating(feedback) ?? localSuggestion(session, { fallback }));
  drawFeedback($("[data-testid=feedback-slot]", session.root), feedback);
}

async function rate(session, rating) {
  if (session.phase !== "back" || session.busy) return;
  session.busy = true;
  setButtonsDisabled(session, true);
  const { card } = session;
  const body = { rating, duration_ms: Math.max(0, Math.round(performance.now() - session.shownAt)) };
  if (card.kind === "typein") body.typed_answer = session.typed ?? "";
  try {
    // The answer carries the next card: one round trip per review.
    const answer = await api(`/api/review/${card.id}`, { method: "POST", body, query: { deck_id: session.deckId } });
    setReviewed(session, reviewedCount(session) + 1);
    if (answer.next) showNext(session, answer.next);
    else await loadNext(session);
  } catch (error) {
    showError(error);
    setButtonsDisabled(session, false);
  } finally {
    session.busy = false;
  }
}

async function undo(session) {
  if (session.busy || session.phase === "loading") return;
  session.busy = true;
  setButtonsDisabled(session, true);
  try {
    // Undo stays within the deck being studied; the answer is the restored card, shown again.
    const undone = await api("/api/review/undo", { method: "POST", body: {}, query: { deck_id: session.deckId } });
    toast("Undone");
    setReviewed(session, Math.max(0, reviewedCount(session) - 1));
    const counts = await get("/api/review/next", { deck_id: session.deckId }).then((d) => d.counts, () => session.counts);
    showNext(session, { card: undone.card, counts });
  } catch (error) {
    showError(error);
    setButtonsDisabled(session, false);
  } finally {
    session.busy = false;
  }
}

/** The lecture page the card cites; Back returns to this session (resume keeps its count). */
function sourceHash(card) {
  return card?.source_lecture_id != null ? `#/lecture/${card.source_lecture_id}?page=${card.source_page ?? 1}` : null;
}

function openSource(session) {
  const target = sourceHash(session.card);
  if (!target || session.busy) return;
  leaveResumable(session);
  session.ctx.navigate(target);
}

function leaveResumable(session) {
  const here = session.deckId ? `#/review/${session.deckId}` : "#/review";
  history.replaceState(null, "", `${here}?resume=1`);
}

/** "Ask about this card": a conversation about it, which asks "Explain this card." by itself. */
async function askAboutCard(session) {
  const { card } = session;
  if (!card || session.busy || session.asking) return;
  session.asking = true;
  const button = $("[data-testid=ask-card]", session.root);
  if (button) button.disabled = true;
  try {
    const conversation = await post("/api/conversations", { card_id: card.id });
    if (session.ctx.signal.aborted) return;
    leaveResumable(session);
    session.ctx.navigate(`#/chat/${conversation.id}?explain=1`);
  } catch (error) {
    showError(error);
    if (button) button.disabled = false;
  } finally {
    session.asking = false;
  }
}

function editCurrent(session) {
  if (!session.card || session.busy) return;
  const here = session.deckId ? `#/review/${session.deckId}` : "#/review";
  const back = encodeURIComponent(`${here}?resume=1`);
  session.ctx.navigate(`#/edit/${session.card.note_id}?return=${back}`);
}

// ---- keyboard -------------------------------------------------------------------

function onKey(session, event) {
  if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
  if (document.querySelector("dialog[open]")) return;
  const target = event.target;
  if (target.matches?.("input, textarea, select, [contenteditable], [contenteditable] *")) {
    // Typing an answer: only Enter (reveal) is ours; 1–4, U and E are just letters here.
    if (target.dataset.testid === "typein-input" && event.key === "Enter") {
      event.preventDefault();
      reveal(session);
    }
    return;
  }
  const onControl = Boolean(target.closest?.("a, button, summary"));
  const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
  if (key === " " || key === "Enter") {
    if (onControl) return; // a focused button or link keeps its own Space/Enter
    if (session.phase === "front") reveal(session);
    event.preventDefault();
  } else if (["1", "2", "3", "4"].includes(key)) {
    if (session.phase === "back" && !event.repeat) {
      event.preventDefault();
      rate(session, Number(key));
    }
  } else if (key === "u") {
    event.preventDefault();
    undo(session);
  } else if (key === "e" && session.card) {
    event.preventDefault();
    editCurrent(session);
  } else if (key === "o" && sourceHash(session.card)) {
    event.preventDefault();
    openSource(session);
  } else if (key === "a" && session.card) {
    event.preventDefault();
    askAboutCard(session);
  }
}

// ---- drawing --------------------------------------------------------------------

function draw(session) {
  const { root } = session;
  drawCounts(session);
  const stage = $("[data-testid=review-stage]", root);
  mount(stage, session.phase === "done" ? doneScreen(session) : cardScreen(session));
  if (root.contains(document.activeElement)) document.activeElement.blur();
  wireStage(session, stage);
  if (session.phase === "front" && session.card.kind === "typein") $("[data-testid=typein-input]", stage).focus();
}

function drawCounts(session) {
  const { counts, card, root } = session;
  const current = card ? QUEUE_OF_STATE[card.state] : null;
  const item = (queue, label) =>
    html`<span class="qcount q-${queue} ${queue === current ? "current" : ""}" title="${label}">
      <strong data-testid="count-${queue}">${(counts[queue] ?? 0) >= 1000 ? "1000+" : counts[queue] ?? 0}</strong> <span class="qlabel">${label}</span></span>`;
  mount(
    $("[data-testid=review-counts]", root),
    html`${item("new", "new")}<span class="sep" aria-hidden="true">·</span>${item("learning", "learning")}<span class="sep" aria-hidden="true">·</span>${item("review", "review")}`,
  );
  const reviewed = reviewedCount(session);
  const left = (counts.new ?? 0) + (counts.learning ?? 0) + (counts.review ?? 0);
  const total = reviewed + left;
  mount(
    $("[data-testid=progress]", root),
    html`<progress max="${Math.max(total, 1)}" value="${total ? reviewed : 0}" aria-label="Session progress"></progress>
      <span class="progress-text" data-testid="progress-text">${reviewed} reviewed · ${left} left</span>`,
  );
}

function cardScreen(session) {
  const { card, phase, typed, suggested } = session;
  const revealed = phase === "back";
  // A cloze back repeats the whole text with the answer filled in, so it replaces the front.
  const showFront = !(revealed && card.kind === "cloze");
  return html`<article class="review-card" data-testid="review-card" data-card-id="${card.id}" data-state="${card.state}">
      <header class="card-meta">
        <span class="card-deck">${card.deck_name}</span>
        <span class="state state-${card.state}">${card.state}</span>
        ${examNote(card)}
        ${(card.tags ?? []).map((t) => html`<span class="tag">${t}</span>`)}
        ${sourceHash(card)
          ? html`<a class="source-link" href="${sourceHash(card)}" data-testid="source-link"
              title="Open the lecture page this card comes from (O)">Source: p. ${card.source_page ?? 1} <kbd>O</kbd></a>`
          : ""}
      </header>
      ${showFront ? cardFace(card.front_html, { testid: "card-front", side: "front" }) : ""}
      ${card.kind === "typein" ? typeinBlock(card, revealed, typed, session.checked) : ""}
      ${revealed
        ? html`${showFront ? html`<hr class="answer-rule">` : ""}${cardFace(card.back_html, { testid: "card-back", side: "back" })}`
        : ""}
    </article>
    <div class="review-actions">
      ${revealed
        ? html`<div class="rating-grid" role="group" aria-label="How well did you remember?">
            ${RATINGS.map(([n, name]) => rateButton(card, n, name, suggested === n))}
          </div>`
        : html`<button type="button" class="btn btn-primary btn-large reveal" data-testid="reveal">
            Show answer <kbd>Space</kbd></button>`}
      <div class="review-tools">
        <button type="button" class="btn btn-ghost btn-small" data-testid="undo">Undo <kbd>U</kbd></button>
        <button type="button" class="btn btn-ghost btn-small" data-testid="edit-current">Edit <kbd>E</kbd></button>
        <button type="button" class="btn btn-ghost btn-small" data-testid="ask-card"
          title="Open a chat that explains this card from your lectures (A)">Ask about this card <kbd>A</kbd></button>
      </div>
    </div>`;
}

function rateButton(card, n, name, suggested) {
  const interval = card.intervals?.[String(n)]?.label ?? "";
  return html`<button type="button" class="rate rate-${n} ${suggested ? "suggested" : ""}" data-testid="rate-${n}"
      data-rating="${n}" aria-label="${rateLabel(card, n, suggested)}">
    <kbd>${n}</kbd>
    <span class="rate-badge" aria-hidden="true">suggested</span>
    <span class="rate-name">${name}</span>
    <span class="rate-interval" data-testid="interval-${n}">${interval}</span>
  </button>`;
}

function rateLabel(card, n, suggested) {
  const interval = card.intervals?.[String(n)]?.label ?? "";
  return `${RATINGS[n - 1][1]}${interval ? `, next in ${interval}` : ""}${suggested ? " (suggested)" : ""}`;
}

/** Moves the "suggested" mark in place: the buttons keep their focus and disabled state. */
function markSuggested(session, rating) {
  session.suggested = rating;
  for (const button of session.root.querySelectorAll(".rating-grid [data-rating]")) {
    const n = Number(button.dataset.rating);
    button.classList.toggle("suggested", n === rating);
    button.setAttribute("aria-label", rateLabel(session.card, n, n === rating));
  }
}

function typeinBlock(card, revealed, typed, checked) {
  if (!revealed) {
    return html`<div class="typein">
      <label class="sr-only" for="typein-input">Your answer</label>
      <input id="typein-input" class="typein-input" data-testid="typein-input" autocomplete="off"
        autocapitalize="off" spellcheck="false" placeholder="Type the answer, then press Enter">
    </div>`;
  }
  const correct = sameAnswer(typed ?? "", card.answer ?? "");
  return html`<div class="typein-result ${correct ? "correct" : "incorrect"}" data-testid="typein-result"
      data-correct="${correct}" role="status">
    ${correct
      ? html`<strong>✓ Correct</strong> <span class="typed">${typed}</span>`
      : html`<strong>✗ ${typed?.trim() ? "Not quite" : "No answer typed"}</strong>
          ${typed?.trim() ? html`<span class="typed"><s>${typed}</s></span>` : ""}
          <span class="expected">Expected: <b data-testid="typein-expected">${card.answer ?? ""}</b></span>`}
  </div>
  <div class="typein-feedback-slot" data-testid="feedback-slot">${feedbackBlock(checked)}</div>`;
}

function doneScreen(session) {
  const { counts } = session;
  const reviewed = reviewedCount(session);
  const later = counts.learning ?? 0;
  return html`<div class="done panel" data-testid="all-done">
    <div class="done-mark" aria-hidden="true">✓</div>
    <h2>All done for now</h2>
    <p data-testid="done-summary">You reviewed ${plural(reviewed, "card")} in this session.</p>
    <p class="muted">${counts.new ?? 0} new · ${later} learning · ${counts.review ?? 0} review left${later ? " (learning cards come back in a few minutes)" : ""}.</p>
    <p class="done-actions">
      <a class="btn btn-primary" href="#/decks" data-testid="back-to-decks">Back to decks</a>
      <button type="button" class="btn" data-testid="check-again">Check again</button>
      <button type="button" class="btn btn-ghost" data-testid="undo">Undo last <kbd>U</kbd></button>
    </p>
  </div>`;
}

function wireStage(session, stage) {
  $("[data-testid=reveal]", stage)?.addEventListener("click", () => reveal(session));
  for (const button of stage.querySelectorAll("[data-rating]")) {
    button.addEventListener("click", () => rate(session, Number(button.dataset.rating)));
  }
  $("[data-testid=undo]", stage)?.addEventListener("click", () => undo(session));
  $("[data-testid=edit-current]", stage)?.addEventListener("click", () => editCurrent(session));
  $("[data-testid=ask-card]", stage)?.addEventListener("click", () => askAboutCard(session));
  $("[data-testid=source-link]", stage)?.addEventListener("click", () => leaveResumable(session));
  $("[data-testid=check-again]", stage)?.addEventListener("click", () => loadNext(session));
}

function setButtonsDisabled(session, disabled) {
  for (const button of session.root.querySelectorAll(".review-stage button")) button.disabled = disabled;
}

// ---- helpers --------------------------------------------------------------------

/** Type-in check: trimmed, case-insensitive, runs of whitespace collapsed. */
function sameAnswer(typed, expected) {
  const norm = (s) => s.trim().toLowerCase().replace(/\s+/g, " ");
  return norm(typed) === norm(expected);
}

// The session count survives a trip to the editor (E) and back, within the tab.
function reviewedCount(session) {
  return Number(sessionStorage.getItem(session.progressKey)) || 0;
}

function setReviewed(session, count) {
  sessionStorage.setItem(session.progressKey, String(count));
}
