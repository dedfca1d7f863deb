// Documents (#/documents): print a quiz (from a deck, a tag or a lecture's cards; optionally the
// weakest cards) or a lecture's study guide — each a job with a live bar — and the list of every
// file Lectern made for you (quizzes, guides, exports), to download or delete.

import { del, get, post, toId } from "../api.js";
import { downloadFile } from "../downloads.js";
import { followJob } from "../jobs.js";
import { formatBytes, isFinished, jobBar } from "../lectures.js";
import { $, $$, busy, confirmDialog, formatDateTime, html, mount, plural, setTitle, showError, toast } from "../ui.js";

const KIND_LABELS = {
  quiz: "Quiz",
  guide: "Study guide",
  apkg: "Anki package",
  csv: "CSV",
  account: "Account export",
  backup: "Backup",
};

export async function render(root, ctx) {
  setTitle("Documents");
  const [decks, tags, lectures, files] = await Promise.all([
    get("/api/decks").then((decks) => decks.filter((d) => d.owned)), // quizzes print your own decks
    get("/api/tags"),
    get("/api/lectures"),
    get("/api/files"),
  ]);
  const view = { root, ctx, decks, tags, lectures, files };
  draw(view);
}

function draw(view) {
  const { root, decks, tags, lectures } = view;
  const ready = lectures.filter((lecture) => lecture.status === "ready");
  mount(
    root,
    html`<div class="page-head">
        <div>
          <h1>Documents</h1>
          <p class="muted">Print a quiz or a study guide, and download what Lectern has made for you.</p>
        </div>
      </div>
      <div class="documents-grid">
        <section class="panel" aria-labelledby="quiz-title">
          <h2 id="quiz-title">Quiz</h2>
          <form data-testid="quiz-form" novalidate>
            <fieldset class="plain-fieldset">
              <legend>Questions from</legend>
              <div class="segmented">
                ${[
                  ["deck", "A deck"],
                  ["tag", "A tag"],
                  ["lecture", "A lecture"],
                ].map(
                  ([value, label], index) => html`<label><input type="radio" name="source" value="${value}"
                    data-testid="quiz-source-${value}" ${index === 0 ? "checked" : ""}><span>${label}</span></label>`,
                )}
              </div>
            </fieldset>
            <label class="field" data-source="deck">
              <span>Deck</span>
              <select name="deck_id" data-testid="quiz-deck">
                ${decks.length
                  ? decks.map((d) => html`<option value="${d.id}">${d.name} (${plural(d.card_count, "card")})</option>`)
                  : html`<option value="">You have no decks yet</option>`}
              </select>
            </label>
            <label class="field" data-source="tag" hidden>
              <span>Tag</span>
              <select name="tag" data-testid="quiz-tag">
                ${tags.length
                  ? tags.map((t) => html`<option value="${t.tag}">${t.tag} (${plural(t.count, "note")})</option>`)
                  : html`<option value="">None of your cards has a tag</option>`}
              </select>
            </label>
            <label class="field" data-source="lecture" hidden>
              <span>Lecture <small class="muted">(the cards made from it)</small></span>
              <select name="lecture_id" data-testid="quiz-lecture">
                ${lectures.length
                  ? lectures.map((l) => html`<option value="${l.id}">${l.title}</option>`)
                  : html`<option value="">You have no lectures yet</option>`}
              </select>
            </label>
            <div class="form-row">
              <label class="field grow">
                <span>Questions</span>
                <input type="number" name="count" min="1" max="100" value="20" required data-testid="quiz-count">
              </label>
              <label class="field grow">
                <span>Multiple choice: <output name="mix_label" data-testid="quiz-mix-label">50%</output></span>
                <input type="range" name="mix" min="0" max="100" step="10" value="50" data-testid="quiz-mix"
                  aria-label="Share of multiple-choice questions">
              </label>
            </div>
            <label class="switch">
              <input type="checkbox" name="weakest" data-testid="quiz-weakest">
              <span>Only my weakest cards <small class="muted">(lowest predicted recall today)</small></span>
            </label>
            <label class="field">
              <span>Title <small class="muted">(optional)</small></span>
              <input name="doc_title" maxlength="200" autocomplete="off" placeholder="Quiz: …" data-testid="quiz-title">
            </label>
            <div class="form-actions">
              <button type="submit" class="btn btn-primary" data-testid="quiz-submit">Make quiz PDF</button>
            </div>
            <div class="document-status" data-testid="quiz-status" aria-live="polite"></div>
          </form>
        </section>
        <section class="panel" aria-labelledby="guide-title">
          <h2 id="guide-title">Study guide</h2>
          <p class="muted">The lecture's outline, its key terms with their definitions and the cards made from it,
            each with its page.</p>
          <form data-testid="guide-form" novalidate>
            <label class="field">
              <span>Lecture</span>
              <select name="lecture_id" data-testid="guide-lecture">
                ${ready.length
                  ? ready.map((l) => html`<option value="${l.id}">${l.title}</option>`)
                  : html`<option value="">No lecture is ready yet: upload one in the Library</option>`}
              </select>
            </label>
            <label class="field">
              <span>Title <small class="muted">(optional)</small></span>
              <input name="doc_title" maxlength="200" autocomplete="off" placeholder="Study guide: …"
                data-testid="guide-title">
            </label>
            <div class="form-actions">
              <button type="submit" class="btn btn-primary" data-testid="guide-submit">Make study guide PDF</button>
            </div>
            <div class="document-status" data-testid="guide-status" aria-live="polite"></div>
          </form>
        </section>
      </div>
      <section aria-labelledby="files-title">
        <h2 id="files-title">Your files</h2>
        <div data-testid="files"></div>
      </section>`,
  );
  wireQuiz(view);
  wireGuide(view);
  drawFiles(view);
}

// ---- the forms --------------------------------------------------------------------------------

function wireQuiz(view) {
  const form = $("[data-testid=quiz-form]", view.root);
  const fields = form.elements;
  const showSource = () => {
    for (const field of $$("[data-source]", form)) field.hidden = field.dataset.source !== fields.source.value;
  };
  for (const radio of $$("input[name=source]", form)) radio.addEventListener("change", showSource);
  fields.mix.addEventListener("input", () => {
    fields.mix_label.value = `${fields.mix.value}%`;
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const source = fields.source.value;
    const chosen = fields[source === "tag" ? "tag" : `${source}_id`].value;
    if (!chosen) {
      toast(`Choose a ${source} to make the quiz from.`, "error");
      return;
    }
    const count = Number(fields.count.value);
    if (!Number.isInteger(count) || count < 1 || count > 100) {
      toast("A quiz has 1 to 100 questions.", "error");
      fields.count.focus();
      return;
    }
    const body = {
      count,
      weakest: fields.weakest.checked,
      multiple_choice_share: Number(fields.mix.value) / 100,
      title: fields.doc_title.value.trim() || null,
    };
    if (source === "tag") body.tag = chosen;
    else body[`${source}_id`] = toId(chosen);
    startJob(view, $("[data-testid=quiz-submit]", form), $("[data-testid=quiz-status]", form), () =>
      post("/api/documents/quiz", body),
    );
  });
}

function wireGuide(view) {
  const form = $("[data-testid=guide-form]", view.root);
  const fields = form.elements;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!fields.lecture_id.value) {
      toast("Upload a lecture in the Library first; a study guide is made from a ready lecture.", "error");
      return;
    }
    const body = { lecture_id: toId(fields.lecture_id.value), title: fields.doc_title.value.trim() || null };
    startJob(view, $("[data-testid=guide-submit]", form), $("[data-testid=guide-status]", form), () =>
      post("/api/documents/guide", body),
    );
  });
}

/** POSTs, then shows the job's live bar until it ends; on success the new file heads the list. */
function startJob(view, button, status, start) {
  return busy(button, async () => {
    let job;
    try {
      job = await start();
    } catch (error) {
      mount(status, html`<p class="form-error" role="alert" data-testid="document-error">${error.message}</p>`);
      return;
    }
    button.disabled = true;
    followJob(job, view.ctx.signal, async (current) => {
      if (!isFinished(current)) {
        mount(status, jobBar(current));
        return;
      }
      button.disabled = false;
      if (current.status !== "succeeded") {
        const why = current.status === "cancelled" ? "The job was cancelled." : current.error || "The job failed.";
        mount(status, html`<p class="form-error" role="alert" data-testid="document-error">${why}</p>`);
        return;
      }
      const result = current.result ?? {};
      mount(
        status,
        html`<p class="document-done" data-testid="document-done">Done: ${plural(result.pages ?? 0, "page")}${result.questions
          ? ` · ${plural(result.questions, "question")}`
          : ""}. It is at the top of your files below.</p>`,
      );
      try {
        view.files = await get("/api/files");
        drawFiles(view, result.file_id);
      } catch (error) {
        showError(error);
      }
    });
  });
}

// ---- the files ------------------------------------------------------------------------------------

function drawFiles(view, highlight = null) {
  const box = $("[data-testid=files]", view.root);
  if (!view.files.length) {
    mount(
      box,
      html`<div class="empty" data-testid="files-empty">
        <p><strong>No files yet.</strong></p>
        <p class="muted">Quizzes, study guides and exports you make appear here to download.</p>
      </div>`,
    );
    return;
  }
  mount(
    box,
    html`<div class="table-wrap"><table data-testid="files-list">
      <thead><tr><th>Title</th><th>Kind</th><th class="num">Size</th><th>Made</th><th><span class="sr-only">Actions</span></th></tr></thead>
      <tbody>${view.files.map(
        (file) => html`<tr data-testid="file-row" data-file-id="${file.id}" data-kind="${file.kind}"
            class="${file.id === highlight ? "selected" : ""}">
          <td class="file-title" data-testid="file-title">${file.title}<br><small class="muted">${file.filename}</small></td>
          <td class="col-kind" data-testid="file-kind">${KIND_LABELS[file.kind] ?? file.kind}</td>
          <td class="num">${formatBytes(file.size_bytes)}</td>
          <td class="col-kind">${formatDateTime(file.created_at)}</td>
          <td class="file-actions">
            <button type="button" class="btn btn-small btn-primary" data-action="download" data-testid="file-download">Download</button>
            <button type="button" class="btn btn-small btn-ghost" data-action="delete" data-testid="file-delete">Delete</button>
          </td>
        </tr>`,
      )}</tbody>
    </table></div>`,
  );
  for (const button of $$("button[data-action]", box)) {
    const id = Number(button.closest("tr").dataset.fileId);
    const file = view.files.find((f) => f.id === id);
    button.addEventListener("click", () =>
      busy(button, () => (button.dataset.action === "download" ? download(file) : remove(view, file))),
    );
  }
}

async function download(file) {
  try {
    await downloadFile(file);
  } catch (error) {
    showError(error);
  }
}

async function remove(view, file) {
  const sure = await confirmDialog(`Delete “${file.title}”? The file cannot be downloaded again.`, {
    title: "Delete this file?",
    confirmLabel: "Delete",
    danger: true,
  });
  if (!sure) return;
  try {
    await del(`/api/files/${file.id}`);
    view.files = view.files.filter((f) => f.id !== file.id);
    drawFiles(view);
    toast(`Deleted “${file.title}”`, "success");
  } catch (error) {
    showError(error);
  }
}
