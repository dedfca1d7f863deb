// SVG charts drawn in the browser from the stats endpoint's numbers (no library, no CDN): the
// year heatmap of reviews per study day and the 30-day due forecast.

import { html, plural } from "./ui.js";

const CELL = 11;
const GAP = 2;
const DAY_MS = 86_400_000;
const WEEKDAY_LABELS = ["Mon", "", "Wed", "", "Fri", "", ""];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** "2026-01-15" → a Date at UTC midnight (study days are plain dates; UTC avoids DST shifts). */
export function parseDay(text) {
  const [y, m, d] = text.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d));
}

function dayText(date) {
  return date.toISOString().slice(0, 10);
}

/** Level 0–4 of a count: 0 for none, then quartiles of the days with reviews. */
function levels(counts) {
  const sorted = [...counts].filter((c) => c > 0).sort((a, b) => a - b);
  const cut = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 1;
  const bounds = [cut(0.25), cut(0.5), cut(0.75)];
  return (count) => (count <= 0 ? 0 : 1 + bounds.filter((b) => count > b).length);
}

/**
 * The last 53 weeks as columns of 7 study days (Monday on top), ending with the week of `today`.
 * Every cell carries data-date and data-count; its <title> says the count.
 */
export function heatmap(days, today) {
  const counts = new Map(days.map((d) => [d.date, d.reviews]));
  const level = levels(days.map((d) => d.reviews));
  const end = parseDay(today);
  const weekday = (end.getUTCDay() + 6) % 7; // Monday 0
  const start = new Date(end.getTime() - (52 * 7 + weekday) * DAY_MS);
  const cells = [];
  const monthLabels = [];
  for (let i = 0; ; i++) {
    const date = new Date(start.getTime() + i * DAY_MS);
    if (date > end) break;
    const column = Math.floor(i / 7);
    const row = i % 7;
    const key = dayText(date);
    const count = counts.get(key) ?? 0;
    if (date.getUTCDate() === 1) monthLabels.push({ column, text: MONTHS[date.getUTCMonth()] });
    const label = `${key}: ${count ? plural(count, "review") : "no reviews"}`;
    cells.push(html`<rect class="heat heat-${level(count)}${key === today ? " today" : ""}" x="${28 + column * (CELL + GAP)}"
      y="${16 + row * (CELL + GAP)}" width="${CELL}" height="${CELL}" rx="2" data-date="${key}" data-count="${count}"
      data-testid="heat-cell"><title>${label}</title></rect>`);
  }
  const width = 28 + 53 * (CELL + GAP);
  const height = 16 + 7 * (CELL + GAP);
  return html`<svg class="heatmap" viewBox="0 0 ${width} ${height}" role="img" data-testid="heatmap"
      aria-label="Reviews per day over the last year">
    ${monthLabels.map((m) => html`<text class="chart-label" x="${28 + m.column * (CELL + GAP)}" y="10">${m.text}</text>`)}
    ${WEEKDAY_LABELS.map((text, row) => (text ? html`<text class="chart-label" x="0" y="${25 + row * (CELL + GAP)}">${text}</text>` : ""))}
    ${cells}
  </svg>`;
}

/** Bars of cards due on each of the next 30 study days, today first. */
export function forecastBars(forecast) {
  const max = Math.max(1, ...forecast.map((f) => f.due));
  const barWidth = 14;
  const height = 110;
  const width = forecast.length * (barWidth + 4) + 30;
  const scale = (value) => Math.round((value / max) * (height - 30));
  return html`<svg class="forecast" viewBox="0 0 ${width} ${height}" role="img" data-testid="forecast"
      aria-label="Cards due over the next 30 days">
    <text class="chart-label" x="0" y="10">${max}</text>
    ${forecast.map((f, i) => {
      const barHeight = scale(f.due);
      const x = 30 + i * (barWidth + 4);
      const label = `${i === 0 ? "Today" : f.date}: ${plural(f.due, "card")} due`;
      return html`<g data-testid="forecast-day" data-date="${f.date}" data-due="${f.due}">
        <rect class="bar${i === 0 ? " today" : ""}" x="${x}" y="${height - 16 - barHeight}" width="${barWidth}" height="${barHeight}" rx="2"><title>${label}</title></rect>
        ${i % 7 === 0 ? html`<text class="chart-label" x="${x}" y="${height - 2}">${i === 0 ? "today" : `+${i}d`}</text>` : ""}
      </g>`;
    })}
  </svg>`;
}
