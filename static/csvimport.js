// CSV/TSV in the UI: "Export CSV" on a deck (a direct download) and "Import CSV" on the decks page
// (pick a file → preview table → map columns to front/back/tags/kind, header toggle → import).

import { ApiError, fetchBlob, renewSession, tokens, uploadFile } from "./api.js";
import { saveBlob } from "./downloads.js";
import { $, busy, html, mount, plural, showError, toast } from "./ui.js";

const KINDS = [
  ["basic", "Basic"],
  ["reversed", "Basic + reversed"],
  ["cloze", "Cloze"],
  ["typein", "Type-in"],
];
const GUESSES = {
  front: ["front", "question", "term", "word", "prompt", "text"],
  back: ["back", "answer", "definition", "meaning", "response", "extra"],
  tags: ["tags", "tag"],
  kind: ["kind", "type"],
};

// ---- export (deck view) ------------------------------------------------------------------------

/** Appends the "CSV" panel to the deck view. */
export function mountCsvExport(root, { deck }) {
  const panel = document.createElement("section");
  panel.className = "panel csv-panel";
  panel.dataset.testid = "csv-export-panel";
  root.append(panel);
  mount(
    panel,
    html`<h2>CSV</h2>
      <p class="muted">Download this deck as a spreadsheet: front, back, kind, tags and source, one note per row (UTF-8).</p>
      <div class="form-row">
        <label class="field"><span>Separator</span>
          <select name="delimiter" data-testid="csv-export-delimiter">
            <option value="comma">Comma (.csv)</option>
            <option value="tab">Tab (.tsv)</option>
          </select></label>
        <button type="button" class="btn" data-testid="csv-export">Export CSV</button>
      </div>`,
  );
  const button = $("[data-testid=csv-export]", panel);
  button.addEventListener("click", () =>
    busy(button, async () => {
      const delimiter = $("[data-testid=csv-export-delimiter]", panel).value;
      try {
        const blob = await fetchBlob(`/api/decks/${deck.id}/export.csv?delimiter=${delimiter}`);
        const safe = deck.name.replace(/[^\p{L}\p{N}_-]+/gu, "-").replace(/^-+|-+$/g, "") || "deck";
        saveBlob(blob, `${safe}.${delimiter === "tab" ? "tsv" : "csv"}`);
      } catch (error) {
        showError(error);
      }
    }),
  );
}

// ---- import (decks list) -----------------------------------------------------------------------

/** POSTs a file with form fields (multipart), renewing the session once on 401. */
async function postForm(path, file, fields) {
  const send = () => {
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    form.append("file", file, file.name);
    const headers = tokens.access ? { Authorization: `Bearer ${tokens.access}` } : {};
    return fetch(path, { method: "POST", headers, body: form });
  };
  let res;
  try {
    res = await send();
    if (res.status === 401) {
      await renewSession();
      res = await send();
    }
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw new ApiError(0, "Cannot reach the Lectern server");
  }
  const body = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, body?.detail ?? `The server answered ${res.status}`, body);
  return body;
}

/** Appends the "Import CSV" panel to the decks list; `onImported()` redraws the list. */
export function mountCsvImport(root, { decks, onImported }) {
  const panel = document.createElement("section");
  panel.className = "panel csv-panel";
  panel.dataset.testid = "csv-import-panel";
  root.append(panel);
  mount(
    panel,
    html`<h2>Import CSV</h2>
      <p class="muted">A CSV or TSV file saved as UTF-8 (in Excel: “CSV UTF-8”), one card per row. You will see
        the first rows and choose which column is the front, the back and the tags before anything is imported.</p>
      ${decks.length
        ? html`<div class="form-row">
            <label class="btn" for="csv-file" data-testid="csv-choose">Choose a CSV file…</label>
            <input type="file" id="csv-file" class="sr-only" accept=".csv,.tsv,.txt,text/csv" data-testid="csv-file">
          </div>`
        : html`<p class="hint">Create a deck first: the rows are imported into a deck.</p>`}
      <div class="csv-preview" data-testid="csv-preview"></div>`,
  );
  const input = $("[data-testid=csv-file]", panel);
  if (!input) return;
  input.addEventListener("change", async () => {
    const file = input.files[0];
    input.value = "";
    if (!file) return;
    const area = $("[data-testid=csv-preview]", panel);
    mount(area, html`<p class="loading">Reading ${file.name}…</p>`);
    try {
      const preview = await uploadFile("/api/import/csv/preview", file);
      drawPreview(area, { file, preview, decks, onImported });
    } catch (error) {
      mount(area, html`<p class="error-text" role="alert" data-testid="csv-error">${error.message}</p>`);
    }
  });
}

function guess(names, field, fallback) {
  const lower = names.map((n) => n.trim().toLowerCase());
  const at = lower.findIndex((n) => GUESSES[field].includes(n));
  return at >= 0 ? at : fallback;
}

function table(preview, hasHeader) {
  // The preview splits the first row off when it detected a header; the toggle may undo that.
  const detected = preview.has_header;
  let names = preview.columns;
  let rows = preview.rows;
  if (detected && !hasHeader) {
    rows = [names, ...rows].slice(0, 10);
    names = names.map((_, i) => `Column ${i + 1}`);
  } else if (!detected && hasHeader && rows.length) {
    names = names.map((n, i) => rows[0][i] || n);
    rows = rows.slice(1);
  }
  const count = preview.row_count + (detected && !hasHeader ? 1 : 0) - (!detected && hasHeader ? 1 : 0);
  return { names, rows, count };
}

function columnSelect(field, names, selected, { optional }) {
  return html`<select name="${field}" data-testid="csv-map-${field}">
    ${optional ? html`<option value="" ${selected < 0 ? "selected" : ""}>— none —</option>` : ""}
    ${names.map((n, i) => html`<option value="${i}" ${i === selected ? "selected" : ""}>${n}</option>`)}
  </select>`;
}

function drawPreview(area, state) {
  const { file, preview, decks, onImported } = state;
  const hasHeader = state.hasHeader ?? preview.has_header;
  const { names, rows, count } = table(preview, hasHeader);
  const front = guess(names, "front", 0);
  const back = guess(names, "back", names.length > 1 ? (front === 0 ? 1 : 0) : -1);
  const separator = { ",": "comma", "\t": "tab", ";": "semicolon" }[preview.delimiter];
  mount(
    area,
    html`<form class="csv-mapping" data-testid="csv-mapping">
      <p><strong>${file.name}</strong> · ${plural(count, "row")} · ${separator}-separated
        ${preview.encoding === "utf-8-sig" ? " · UTF-8 with BOM" : ""}</p>
      ${preview.ragged_rows
        ? html`<p class="error-text" role="alert" data-testid="csv-ragged">${plural(preview.ragged_rows, "row")} do not have
            ${names.length} cells (lines ${preview.ragged_lines.join(", ")}); fix them before importing.</p>`
        : ""}
      <label class="check"><input type="checkbox" name="has_header" data-testid="csv-has-header" ${hasHeader ? "checked" : ""}>
        The first row holds column names</label>
      <div class="form-row csv-fields">
        <label class="field"><span>Deck</span>
          <select name="deck_id" data-testid="csv-deck">${decks.filter((d) => d.owned).map((d) => html`<option value="${d.id}">${d.name}</option>`)}</select></label>
        <label class="field"><span>Front</span>${columnSelect("front", names, front, { optional: false })}</label>
        <label class="field"><span>Back</span>${columnSelect("back", names, back, { optional: true })}</label>
        <label class="field"><span>Tags</span>${columnSelect("tags", names, guess(names, "tags", -1), { optional: true })}</label>
        <label class="field"><span>Kind column</span>${columnSelect("kind_column", names, guess(names, "kind", -1), { optional: true })}</label>
        <label class="field"><span>Kind</span>
          <select name="kind" data-testid="csv-map-kind">${KINDS.map(([v, label]) => html`<option value="${v}">${label}</option>`)}</select></label>
      </div>
      <div class="table-scroll">
        <table class="csv-table" data-testid="csv-table">
          <thead><tr>${names.map((n) => html`<th>${n}</th>`)}</tr></thead>
          <tbody>${rows.map((row) => html`<tr>${names.map((_, i) => html`<td>${row[i] ?? ""}</td>`)}</tr>`)}</tbody>
        </table>
      </div>
      <p class="hint">Showing the first ${Math.min(rows.length, 10)} rows. Tags are separated by spaces or commas;
        the kind column holds basic, reversed, cloze or typein (empty: the Kind above).</p>
      <div class="form-actions">
        <button type="submit" class="btn btn-primary" data-testid="csv-import" ${preview.ragged_rows ? "disabled" : ""}>
          Import ${plural(count, "row")}</button>
        <button type="button" class="btn" data-testid="csv-cancel">Cancel</button>
      </div>
    </form>`,
  );
  const form = $("[data-testid=csv-mapping]", area);
  form.has_header.addEventListener("change", () => drawPreview(area, { ...state, hasHeader: form.has_header.checked }));
  $("[data-testid=csv-cancel]", form).addEventListener("click", () => mount(area, ""));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const column = (name) => (form[name].value === "" ? null : Number(form[name].value));
    const mapping = { front: column("front"), back: column("back"), tags: column("tags"), kind: form.kind.value };
    if (column("kind_column") !== null) mapping.kind_column = column("kind_column");
    busy($("[data-testid=csv-import]", form), async () => {
      try {
        const result = await postForm("/api/import/csv", file, {
          deck_id: form.deck_id.value,
          mapping: JSON.stringify(mapping),
          has_header: String(form.has_header.checked),
        });
        const deck = decks.find((d) => d.id === result.deck_id);
        toast(`Imported ${plural(result.created, "note")} (${plural(result.cards, "card")}) into ${deck?.name ?? "the deck"}`, "success");
        onImported?.();
      } catch (error) {
        showError(error);
      }
    });
  });
}
