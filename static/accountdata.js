// "Your data" in Settings: export the whole account (a job, then a download), import an account
// export into an empty account, and for the admin a backup of the instance with its restore command.

import { get, post, uploadFile } from "./api.js";
import { downloadFile } from "./downloads.js";
import { followJob } from "./jobs.js";
import { isFinished, jobBar } from "./lectures.js";
import { $, busy, html, mount, plural, showError, toast } from "./ui.js";

async function download(result) {
  try {
    await downloadFile(result);
  } catch (error) {
    showError(error);
  }
}

/** Runs `start()` (a POST answering a job) and shows its bar, then `done(job)` or its error. */
function runJob(button, status, signal, start, done) {
  return busy(button, async () => {
    let job;
    try {
      job = await start();
    } catch (error) {
      showError(error);
      return;
    }
    button.disabled = true;
    followJob(job, signal, (current) => {
      if (!isFinished(current)) return mount(status, jobBar(current));
      button.disabled = false;
      if (current.status !== "succeeded") {
        mount(status, html`<p class="error-text" role="alert" data-testid="job-error">${current.error ?? "Cancelled"}</p>`);
        return;
      }
      done(current);
    });
  });
}

function downloadLine(status, result, testid, extra = "") {
  mount(
    status,
    html`<p data-testid="${testid}-done">${extra}
      <button type="button" class="btn btn-small btn-primary" data-testid="${testid}-download">Download ${result.filename}</button></p>`,
  );
  $(`[data-testid=${testid}-download]`, status).addEventListener("click", (event) =>
    busy(event.currentTarget, () => download(result)),
  );
}

/** Appends the "Your data" panel (and the admin's backup panel) to the settings grid. */
export async function mountAccountData(grid, { user, signal }) {
  const panel = document.createElement("section");
  panel.className = "panel account-data";
  panel.dataset.testid = "account-data";
  grid.append(panel);
  let empty = false;
  try {
    const [decks, lectures] = await Promise.all([get("/api/decks"), get("/api/lectures")]);
    empty = decks.length === 0 && lectures.length === 0;
  } catch (error) {
    showError(error);
  }
  mount(
    panel,
    html`<h2>Your data</h2>
      <p class="muted">Export your whole account — decks, cards, review history, lectures with their files,
        conversations — as one .zip you can import into another Lectern.</p>
      <div class="form-row"><button type="button" class="btn" data-testid="account-export">Export my account</button></div>
      <div class="job-status" data-testid="account-export-job"></div>
      ${empty
        ? html`<h3>Import an account export</h3>
            <p class="muted">This account is empty, so an export made on another Lectern can be imported into it.
              Its lectures are read again after the import.</p>
            <div class="form-row">
              <label class="btn" for="account-file" data-testid="account-import-choose">Choose an export (.zip)…</label>
              <input type="file" id="account-file" class="sr-only" accept=".zip,application/zip" data-testid="account-import-file">
            </div>
            <div class="job-status" data-testid="account-import-job"></div>`
        : html`<p class="hint" data-testid="account-import-unavailable">To import an account export, register a new,
            empty account and import it there.</p>`}`,
  );
  const exportButton = $("[data-testid=account-export]", panel);
  const exportStatus = $("[data-testid=account-export-job]", panel);
  exportButton.addEventListener("click", () =>
    runJob(exportButton, exportStatus, signal, () => post("/api/account/export"), (job) => {
      const r = job.result;
      downloadLine(exportStatus, r, "account-export", `${plural(r.notes, "note")}, ${plural(r.lectures, "lecture")} ready. `);
      toast("Account export ready", "success");
    }),
  );
  const input = $("[data-testid=account-import-file]", panel);
  input?.addEventListener("change", () => {
    const file = input.files[0];
    input.value = "";
    if (!file) return;
    const status = $("[data-testid=account-import-job]", panel);
    const chooser = $("[data-testid=account-import-choose]", panel);
    runJob(chooser, status, signal, () => uploadFile("/api/account/import", file, { signal }), (job) => {
      const r = job.result;
      mount(
        status,
        html`<p data-testid="account-import-done">Imported ${plural(r.decks, "deck")}, ${plural(r.cards, "card")},
          ${plural(r.reviews, "review")}, ${plural(r.lectures, "lecture")} and ${plural(r.conversations, "conversation")}.
          ${r.reingesting ? `${plural(r.reingesting, "lecture")} being read again in the Library.` : ""}</p>`,
      );
      toast("Account imported", "success");
    });
  });
  if (user.is_admin) mountBackup(grid, signal);
}

function mountBackup(grid, signal) {
  const panel = document.createElement("section");
  panel.className = "panel backup-panel";
  panel.dataset.testid = "backup-panel";
  grid.append(panel);
  mount(
    panel,
    html`<h2>Back up the instance</h2>
      <p class="muted">Every account's data — the database (copied consistently while Lectern runs), uploads,
        page images, generated files and the signing key — in one .tar.gz. Keep it somewhere safe: it holds everyone's data.</p>
      <div class="form-row"><button type="button" class="btn" data-testid="backup-start">Back up the instance</button></div>
      <div class="job-status" data-testid="backup-job"></div>
      <p class="hint">To restore, on the server: <code>python main.py restore lectern-backup-….tar.gz --data-dir /path/to/empty-folder</code>,
        then start Lectern with <code>LECTERN_DATA_DIR</code> set to that folder.</p>`,
  );
  const button = $("[data-testid=backup-start]", panel);
  const status = $("[data-testid=backup-job]", panel);
  button.addEventListener("click", () =>
    runJob(button, status, signal, () => post("/api/admin/backup"), (job) => {
      const r = job.result;
      downloadLine(status, r, "backup", `${plural(r.files, "file")} backed up. `);
      status.append(
        Object.assign(document.createElement("pre"), { className: "restore-command", textContent: r.restore_command }),
      );
      toast("Backup ready", "success");
    }),
  );
}
