// Type-in feedback in review: the server scores the typed answer (a suggested rating, the key
// terms it misses, a one-line reason) and, with a language model configured, written feedback
// streams in over the shared WebSocket as feedback.delta events, ended by feedback.done/error.

import { api } from "./api.js";
import { html, mount } from "./ui.js";
import { subscribe } from "./ws.js";

const MAX_TYPED = 2000; // the endpoint's limit
const LABELS = { 1: "Again", 2: "Hard", 3: "Good", 4: "Easy" };

/**
 * Feedback for one review session. `listen()` opens the live events early (a type-in card is
 * on screen: the socket is up by the time the answer is sent); `check()` asks about one answer
 * and calls `onChange(feedback)` whenever there is something new to draw; `stop()` forgets it.
 */
export function typeinFeedback(signal) {
  let current = null; // the answer being checked: {cardId, streamId, feedback, onChange}
  let unsubscribe = null;
  // Stream events can overtake the POST's answer that names the stream: keep them until then.
  let early = [];

  function listen() {
    if (unsubscribe || signal.aborted) return;
    unsubscribe = subscribe((event) => {
      if (!event.type?.startsWith("feedback.") || !event.stream_id || !current) return;
      if (current.streamId === undefined) early.push(event);
      else if (event.stream_id === current.streamId && streamEvent(current, event)) current.onChange(current.feedback);
    });
  }

  async function check(cardId, typed, onChange) {
    stop();
    listen();
    const asked = { cardId, streamId: undefined, feedback: { status: "checking" }, onChange };
    current = asked;
    onChange(asked.feedback);
    let result;
    try {
      result = await api(`/api/review/${cardId}/feedback`, {
        method: "POST",
        body: { typed: typed.slice(0, MAX_TYPED) },
      });
    } catch (error) {
      if (current !== asked || error.authLost) return;
      asked.feedback = { status: "error", message: error.message };
      onChange(asked.feedback);
      return;
    }
    if (current !== asked) return; // rated, or the view was left, before the answer came
    asked.streamId = result.stream_id ?? null;
    asked.feedback = {
      status: "done",
      result,
      stream: asked.streamId ? { status: "streaming", text: "" } : null,
    };
    for (const event of early) if (event.stream_id === asked.streamId) streamEvent(asked, event);
    early = [];
    onChange(asked.feedback);
  }

  /** Applies one event of the answer's stream; says whether anything changed. */
  function streamEvent(asked, event) {
    const stream = asked.feedback.stream;
    if (!stream || stream.status !== "streaming") return false; // ended: later pieces are stale
    if (event.type === "feedback.delta") stream.text += event.text ?? "";
    else if (event.type === "feedback.done") stream.status = "done";
    else if (event.type === "feedback.error") {
      stream.status = "error";
      stream.message = event.message || "The written feedback stopped.";
    } else return false;
    return true;
  }

  function stop() {
    const asked = current;
    if (asked?.streamId && asked.feedback.stream?.status === "streaming") {
      // The user moved on: the model stops writing. A 404 only means it had just finished.
      api(`/api/review/feedback/${asked.streamId}`, { method: "DELETE" }).catch((error) => {
        if (error.status !== 404) console.warn("Lectern: could not stop the written feedback:", error.message);
      });
    }
    current = null;
    early = [];
  }

  signal.addEventListener(
    "abort",
    () => {
      stop();
      unsubscribe?.();
      unsubscribe = null;
    },
    { once: true },
  );
  return { listen, check, stop };
}

/** The suggestion a finished check makes, or null (still checking, failed). */
export function suggestedRating(feedback) {
  return feedback?.status === "done" ? feedback.result.suggested_rating : null;
}

/** The panel under the typed-answer comparison. */
export function feedbackBlock(feedback) {
  if (!feedback) return "";
  return html`<div class="typein-feedback" data-testid="typein-feedback" data-status="${feedback.status}">
    ${feedback.status === "checking" ? html`<p class="feedback-checking" role="status">Checking…</p>` : ""}
    ${feedback.status === "error"
      ? html`<p class="feedback-note" data-testid="feedback-error">No suggestion: ${feedback.message}</p>`
      : ""}
    ${feedback.status === "done" ? suggestion(feedback.result) : ""}
    ${feedback.stream ? streamBox(feedback.stream) : ""}
  </div>`;
}

function suggestion(result) {
  const rating = result.suggested_rating;
  const label = result.label || LABELS[rating];
  const missing = result.missing_terms ?? [];
  return html`<p class="feedback-suggestion" data-testid="feedback-suggestion" data-rating="${rating}" role="status">
      Suggested: <strong class="feedback-label rate-${rating}-text" data-testid="feedback-label">${label}</strong>${result.reason
        ? html` <span class="feedback-reason" data-testid="feedback-reason">— ${result.reason}</span>`
        : ""}
    </p>
    ${missing.length
      ? html`<div class="feedback-missing" data-testid="feedback-missing">
          <span class="feedback-missing-label">Missing:</span>
          <ul class="term-chips" aria-label="Key terms missing from your answer">
            ${missing.map((term) => html`<li class="term-chip" data-testid="missing-term">${term}</li>`)}
          </ul>
        </div>`
      : ""}`;
}

function streamBox(stream) {
  return html`<section class="feedback-stream" data-testid="feedback-stream" data-status="${stream.status}"
      aria-busy="${stream.status === "streaming"}">
    <h3 class="feedback-stream-title">Feedback</h3>
    ${stream.text
      ? html`<p class="feedback-text" data-testid="feedback-text">${stream.text}</p>`
      : stream.status === "streaming"
        ? html`<p class="feedback-checking">Writing…</p>`
        : ""}
    ${stream.status === "error" ? html`<p class="feedback-note" data-testid="feedback-stream-error">${stream.message}</p>` : ""}
  </section>`;
}

/** Redraw the panel in place (the rest of the card, and the focus, stay as they are). */
export function drawFeedback(container, feedback) {
  if (container) mount(container, feedbackBlock(feedback));
}
