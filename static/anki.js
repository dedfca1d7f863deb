// Anki packages in the UI: "Export to Anki" on a deck (a job, then a download) and "Import Anki
// deck" on the decks page (upload, a job with progress, then the new decks).

import { get, post, uploadFile } from "./api.js";
import { downloadFile } from "./downloads.js";
import { followJob } from "./jobs.js";
import { isFinished, jobBar } from "./lectures.js";
import { $, busy, html, mount, plural, showError, toast } from "./ui.js";

// ---- export (deck view) ------------------------------------------------------------------------

/**
 * Appends the "Export to Anki" panel to the deck view. `selection()` gives the ids of the notes
 * ticked in the table: when there are any, only those are exported.
 */
export function mountAnkiExport(root, { deck, signal, selection }) {
  const panel = document.createElement("section");
  panel.className = "panel anki-panel";
  panel.dataset.testid = "anki-export-panel";
  root.append(panel);
  mount(
    panel,
    html`<h2>Anki</h2>
      <p class="muted">Download this deck as an Anki package (.apkg): cloze, reversed and type-in cards keep
        their kind, and cards made from a lecture carry their source page. Tick cards in the table to export only those.</p>
      <div class="form-row">
        <label class="check"><input type="checkbox" name="images" checked data-testid="anki-export-images">
          Include the lecture page images</label>
        <button type="button" class="btn" data-testid="anki-export">Export to Anki</button>
      </div>
      <div class="anki-job" data-testid="anki-export-job"></div>`,
  );
  const button = $("[data-testid=anki-export]", panel);
  const status = $("[data-testid=anki-export-job]", panel);
  button.addEventListener("click", () =>
    busy(button, async () => {
      const ids = [...(selection?.() ?? [])];
      const body = { include_source_images: $("[data-testid=anki-export-images]", panel).checked };
      if (ids.length) body.note_ids = ids;
      try {
        const job = await post(`/api/decks/${deck.id}/export/apkg`, body);
        button.disabled = true;
        followJob(job, signal, (current) => drawExportJob(status, button, deck, current));
      } catch (error) {
        showError(error);
      }
    }),
  );
}

function drawExportJob(status, button, deck, job) {
  if (!isFinished(job)) {
    mount(status, jobBar(job));
    return;
  }
  button.disabled = false;
  if (job.status !== "succeeded") {
    mount(status, html`<p class="error-text" data-testid="anki-export-error">${job.error ?? "The export was cancelled"}</p>`);
    return;
  }
  const r = job.result;
  mount(
    status,
    html`<p data-testid="anki-export-done">
      ${plural(r.notes, "note")} (${plural(r.cards, "card")}${r.media ? `, ${plural(r.media, "page image")}` : ""}) ready.
      <button type="button" class="btn btn-small btn-primary" data-testid="anki-download">Download ${deck.name}.apkg</button>
    </p>`,
  );
  $("[data-testid=anki-download]", status).addEventListener("click", (event) =>
    busy(event.currentTarget, () => download(r.file_id)),
  );
  toast("Anki package ready", "success");
}

async function download(fileId) {
  try {
    const files = await get("/api/files", { kind: "apkg" });
    const file = files.find((f) => f.id === fileId);
    if (!file) throw new Error("This package has been deleted; export the deck again");
    await downloadFile(file);
  } catch (error) {
    showError(error);
  }
}

// ---- import (decks list) -----------------------------------------------------------------------

// What the last import did, shown once in the panel of the redrawn list.
let lastSummary = null;

/** Appends the "Import Anki deck" panel to the decks list; `onImported()` redraws the list. */
export function mountAnkiImport(root, { signal, onImported }) {
  const panel = document.createElement("section");
  panel.className = "panel anki-panel";
  panel.dataset.testid = "anki-import-panel";
  root.append(panel);
  mount(
    panel,
    html`<h2>Import Anki deck</h2>
      <p class="muted">An Anki package (.apkg, from Anki's Export with “Support older Anki versions” ticked):
        each Anki deck becomes a deck here, with its tags and, when the package has it, its review history.
        Images and sounds are not imported yet.</p>
      <div class="form-row">
        <label class="btn" for="anki-file" data-testid="anki-choose">Choose an .apkg file…</label>
        <input type="file" id="anki-file" class="sr-only" accept=".apkg,.zip" data-testid="anki-file">
      </div>
      <div class="anki-job" data-testid="anki-import-job"></div>`,
  );
  const input = $("[data-testid=anki-file]", panel);
  const status = $("[data-testid=anki-import-job]", panel);
  if (lastSummary) {
    mount(status, html`<p data-testid="anki-import-done">${lastSummary}</p>`);
    lastSummary = null;
  }
  input.addEventListener("change", async () => {
    const file = input.files[0];
    input.value = "";
    if (!file) return;
    mount(status, html`<p class="muted">Uploading ${file.name}…</p>`);
    try {
      const job = await uploadFile("/api/decks/import/apkg", file, { signal });
      followJob(job, signal, (current) => drawImportJob(status, current, onImported));
    } catch (error) {
      if (error.name === "AbortError") return;
      mount(status, html`<p class="error-text" data-testid="anki-import-error">${error.message}</p>`);
    }
  });
}

function drawImportJob(status, job, onImported) {
  if (!isFinished(job)) {
    mount(status, jobBar(job));
    return;
  }
  if (job.status !== "succeeded") {
    mount(status, html`<p class="error-text" data-testid="anki-import-error">${job.error ?? "The import was cancelled"}</p>`);
    return;
  }
  const r = job.result;
  const notes = [
    `Imported ${plural(r.notes, "note")} into ${r.decks.map((d) => `“${d.name}”`).join(", ")}`,
    r.reviews ? `${plural(r.reviews, "past review")} kept` : "",
    r.skipped ? `${plural(r.skipped, "note")} skipped (${r.skipped_reasons.join("; ")})` : "",
    r.media_imported ? `${plural(r.media_imported, "media file")} imported` : "",
    r.media_missing + r.media_refused ? `${plural(r.media_missing + r.media_refused, "media file")} not imported (${r.media_reasons.join("; ")})` : "",
  ].filter(Boolean);
  toast(notes[0], "success");
  lastSummary = notes.join(" · ");
  if (onImported) onImported();
  else mount(status, html`<p data-testid="anki-import-done">${lastSummary}</p>`);
}
