// Stats (#/stats?deck=ID): one request to /api/stats, drawn as numbers and SVG charts — reviews per
// day over a year, true retention, the 30-day forecast, streaks, time spent, cards by state and a
// per-deck breakdown. Days are the user's study days (time zone and day start hour, in Settings).

import { get } from "../api.js";
import { forecastBars, heatmap } from "../charts.js";
import { $, formatDuration, html, mount, plural, setTitle } from "../ui.js";

const STATES = [
  ["new", "New"],
  ["learning", "Learning"],
  ["review", "Review"],
  ["relearning", "Relearning"],
  ["suspended", "Suspended"],
];

export async function render(root, ctx) {
  setTitle("Stats");
  const deckId = ctx.query.get("deck") || "";
  const [stats, decks] = await Promise.all([
    get("/api/stats", deckId ? { deck_id: deckId } : {}),
    get("/api/decks"),
  ]);
  mount(
    root,
    html`<div class="page-head">
        <div>
          <h1>Stats</h1>
          <p class="muted">Study days start at ${stats.day_start_hour}:00 (${stats.timezone}); change that in
            <a href="#/settings">Settings</a>. Every review is listed in the <a href="#/history">history</a>.</p>
        </div>
        <label class="stats-deck">Deck
          <select data-testid="stats-deck">
            <option value="">All decks</option>
            ${decks.map((d) => html`<option value="${d.id}" ${String(d.id) === deckId ? "selected" : ""}>${d.name}</option>`)}
          </select>
        </label>
      </div>
      ${tiles(stats)}
      <section class="stats-panel">
        <h2>Reviews per day</h2>
        <div class="chart-scroll">${heatmap(stats.heatmap, stats.today)}</div>
        <p class="muted small">${plural(stats.days_studied, "day")} studied · ${plural(stats.reviews, "review")} in all</p>
      </section>
      <div class="stats-columns">
        <section class="stats-panel">
          <h2>Due in the next 30 days</h2>
          <div class="chart-scroll">${forecastBars(stats.forecast)}</div>
          <p class="muted small" data-testid="forecast-total">${plural(stats.forecast.reduce((s, f) => s + f.due, 0), "card")} due in 30 days</p>
        </section>
        <section class="stats-panel">
          <h2>Cards by state</h2>
          <dl class="state-counts" data-testid="state-counts">
            ${STATES.map(([key, label]) => html`<div><dt>${label}</dt><dd data-state="${key}">${stats.states[key]}</dd></div>`)}
          </dl>
        </section>
      </div>
      ${deckTable(stats.decks)}`,
  );
  $("[data-testid=stats-deck]", root).addEventListener("change", (event) => {
    const value = event.target.value;
    ctx.navigate(value ? `#/stats?deck=${value}` : "#/stats");
  });
}

function percent(rate) {
  return rate == null ? "—" : `${(rate * 100).toFixed(1)} %`;
}

function tiles(stats) {
  const r = stats.retention;
  return html`<div class="stat-tiles" data-testid="stat-tiles">
    <div class="stat-tile"><span class="stat-value" data-testid="stat-today">${stats.reviews_today}</span><span class="stat-label">reviews today</span></div>
    <div class="stat-tile"><span class="stat-value" data-testid="stat-streak">${stats.streak.current}</span>
      <span class="stat-label">day streak (longest ${stats.streak.longest})</span></div>
    <div class="stat-tile"><span class="stat-value" data-testid="stat-retention">${percent(r.mature_rate)}</span>
      <span class="stat-label" title="Reviews of cards whose interval was at least 21 days, not answered Again">true retention
        (${r.mature_passed} of ${r.mature_total} mature)</span></div>
    <div class="stat-tile"><span class="stat-value" data-testid="stat-overall">${percent(r.rate)}</span>
      <span class="stat-label">of all reviews passed (${r.passed} of ${r.total})</span></div>
    <div class="stat-tile"><span class="stat-value" data-testid="stat-time">${formatDuration(stats.time_seconds * 1000)}</span>
      <span class="stat-label">spent reviewing</span></div>
  </div>`;
}

function deckTable(rows) {
  if (!rows.length) return "";
  return html`<section class="stats-panel">
    <h2>By deck</h2>
    <div class="table-wrap">
      <table class="stats-table" data-testid="deck-stats">
        <thead><tr><th>Deck</th><th class="num">Cards</th><th class="num">Due today</th><th class="num">Reviews</th>
          <th class="num">True retention</th><th class="num">Passed</th><th class="num">Time</th></tr></thead>
        <tbody>${rows.map(
          (d) => html`<tr data-deck-id="${d.deck_id}">
            <td><a href="#/stats?deck=${d.deck_id}">${d.name}</a></td><td class="num">${d.cards}</td>
            <td class="num">${d.due_today}</td><td class="num">${d.reviews}</td>
            <td class="num">${percent(d.retention.mature_rate)}</td><td class="num">${percent(d.retention.rate)}</td>
            <td class="num">${formatDuration(d.time_seconds * 1000)}</td></tr>`,
        )}</tbody>
      </table>
    </div>
  </section>`;
}
