// Review history: the latest entries of the review log.

import { get } from "../api.js";
import { formatDateTime, formatDuration, html, mount, plural, setTitle } from "../ui.js";

const LIMIT = 100;
const RATING_NAMES = { 1: "Again", 2: "Hard", 3: "Good", 4: "Easy" };

export async function render(root) {
  setTitle("History");
  const [log, decks] = await Promise.all([get("/api/review/log", { limit: LIMIT }), get("/api/decks")]);
  const deckNames = new Map(decks.map((d) => [String(d.id), d.name]));
  const totalMs = log.reduce((sum, entry) => sum + (entry.duration_ms ?? 0), 0);
  mount(
    root,
    html`<div class="page-head">
        <div>
          <h1>History</h1>
          <p class="muted" data-testid="history-summary">
            ${log.length
              ? html`${log.length === LIMIT ? `The latest ${LIMIT} reviews` : plural(log.length, "review")} · ${formatDuration(totalMs)} in total`
              : "Your reviews will be listed here."}
          </p>
        </div>
      </div>
      ${log.length
        ? html`<div class="table-wrap">
            <table class="history-table" data-testid="history-table">
              <thead><tr><th>Time</th><th>Deck</th><th>Rating</th><th class="num">Duration</th><th>State before</th></tr></thead>
              <tbody>${log.map((entry) => row(entry, deckNames))}</tbody>
            </table>
          </div>`
        : html`<div class="empty" data-testid="history-empty">
            <p><strong>No reviews yet.</strong></p>
            <p><a class="btn btn-primary" href="#/review">Start reviewing</a></p>
          </div>`}`,
  );
}

function row(entry, deckNames) {
  const name = RATING_NAMES[entry.rating] ?? String(entry.rating);
  return html`<tr data-testid="log-row" data-card-id="${entry.card_id}">
    <td><time datetime="${entry.reviewed_at}">${formatDateTime(entry.reviewed_at)}</time></td>
    <td>${deckNames.get(String(entry.deck_id)) ?? html`<span class="muted">deleted deck</span>`}</td>
    <td><span class="rating-pill rating-${entry.rating}" data-testid="log-rating">${name}</span></td>
    <td class="num">${formatDuration(entry.duration_ms)}</td>
    <td><span class="state state-${entry.state_before}">${entry.state_before}</span></td>
  </tr>`;
}
