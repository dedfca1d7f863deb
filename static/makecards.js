// "Make cards" in the lecture viewer: pick a deck, a target count and pages, start the
// card-writing job and follow it live until its drafts wait on the drafts screen.

import { get, post, toId } from "./api.js";
import { $, html, mount, plural, showError } from "./ui.js";
import { latestJob, subscribe } from "./ws.js";
import { isFinished, newerJob } from "./lectures.js";

const DECK_KEY = "lectern.makecards.deck";
const NEW_DECK = "new";
const DEFAULT_TARGET = 20;
const STEP_LABELS = {
  reading: "Reading pages",
  writing: "Writing cards",
  checking: "Checking citations",
  saving: "Saving drafts",
};

// A job started here is remembered for the tab, so leaving the lecture and coming back
// still shows where it is.
const jobKey = (lectureId) => `lectern.makecards.job.${lectureId}`;

/**
 * The form and live status inside `panel` (hidden until toggled). `currentPage()` is the page
 * the reader shows, for "This page only". Returns {toggle()}.
 */
export function makeCardsPanel(panel, { lecture, signal, currentPage }) {
  const state = { panel, lecture, signal, currentPage, drawn: false, job: null, unsubscribe: null };
  signal.addEventListener("abort", () => state.unsubscribe?.(), { once: true });
  resume(state);
  return {
    toggle() {
      if (!panel.hidden) {
        panel.hidden = true;
        return;
      }
      show(state);
    },
  };
}

async function show(state) {
  state.panel.hidden = false;
  if (!state.drawn) await drawForm(state);
  $("[data-testid=makecards-deck]", state.panel)?.focus();
}

async function resume(state) {
  const jobId = Number(sessionStorage.getItem(jobKey(state.lecture.id)));
  if (!jobId) return;
  try {
    const job = newerJob(await get(`/api/jobs/${jobId}`), latestJob(jobId));
    if (state.signal.aborted) return;
    if (isFinished(job)) {
      sessionStorage.removeItem(jobKey(state.lecture.id));
      return;
    }
    await show(state);
    follow(state, job);
  } catch (error) {
    sessionStorage.removeItem(jobKey(state.lecture.id)); // gone (or never ours): nothing to show
    if (error.status !== 404) showError(error);
  }
}

// ---- the form ----------------------------------------------------------------------------

async function drawForm(state) {
  const { panel, lecture } = state;
  mount(panel, html`<p class="loading" aria-busy="true">Loading your decks…</p>`);
  let decks;
  try {
    decks = (await get("/api/decks")).filter((d) => d.owned); // cards go only into your own decks
  } catch (error) {
    showError(error);
    mount(panel, html`<p class="row-error" role="alert">${error.message}</p>`);
    return;
  }
  if (state.signal.aborted) return;
  state.drawn = true;
  const remembered = localStorage.getItem(DECK_KEY);
  const chosen = decks.find((d) => String(d.id) === remembered) ? remembered : decks.length ? String(decks[0].id) : NEW_DECK;
  const last = lecture.page_count || 1;
  mount(
    panel,
    html`<h2 class="makecards-title">Make cards from this lecture</h2>
      <p class="hint">Lectern writes card drafts that quote the page they come from; you accept, edit or reject them.</p>
      <form class="makecards-form" data-testid="makecards-form" novalidate>
        <div class="form-row">
          <label class="field grow"><span>Deck</span>
            <select name="deck" data-testid="makecards-deck">
              ${decks.map((d) => html`<option value="${d.id}" ${String(d.id) === chosen ? "selected" : ""}>${d.name}</option>`)}
              <option value="${NEW_DECK}" ${chosen === NEW_DECK ? "selected" : ""}>New deck…</option>
            </select></label>
          <label class="field grow" data-testid="makecards-new-deck-field" ${chosen === NEW_DECK ? "" : "hidden"}><span>New deck name</span>
            <input name="deck_name" maxlength="120" value="${lecture.title}" autocomplete="off" data-testid="makecards-new-deck"></label>
          <label class="field makecards-target"><span>How many cards</span>
            <input type="number" name="target" min="1" max="200" step="1" value="${DEFAULT_TARGET}" inputmode="numeric"
              data-testid="makecards-target"></label>
        </div>
        <fieldset class="plain-fieldset">
          <legend>Pages</legend>
          <div class="form-row makecards-pages">
            <label class="field"><span>From</span>
              <input type="number" name="first" min="1" max="${last}" value="1" inputmode="numeric" data-testid="makecards-first"></label>
            <label class="field"><span>To</span>
              <input type="number" name="last" min="1" max="${last}" value="${last}" inputmode="numeric" data-testid="makecards-last"></label>
            <button type="button" class="btn btn-small" data-testid="makecards-this-page">This page only</button>
            <button type="button" class="btn btn-small btn-ghost" data-testid="makecards-all-pages">Whole lecture</button>
          </div>
        </fieldset>
        <p class="form-error" role="alert" data-testid="makecards-error" hidden></p>
        <div class="form-actions">
          <button type="submit" class="btn btn-primary" data-testid="makecards-start">Make cards</button>
          <button type="button" class="btn btn-ghost" data-testid="makecards-close">Close</button>
        </div>
      </form>
      <div class="makecards-status" data-testid="makecards-status" aria-live="polite"></div>`,
  );
  wireForm(state, $("[data-testid=makecards-form]", panel));
}

function wireForm(state, form) {
  const newField = $("[data-testid=makecards-new-deck-field]", form);
  form.deck.addEventListener("change", () => {
    newField.hidden = form.deck.value !== NEW_DECK;
    if (!newField.hidden) form.deck_name.select();
  });
  $("[data-testid=makecards-this-page]", form).addEventListener("click", () => {
    const page = state.currentPage() ?? 1;
    form.first.value = page;
    form.last.value = page;
  });
  $("[data-testid=makecards-all-pages]", form).addEventListener("click", () => {
    form.first.value = 1;
    form.last.value = state.lecture.page_count || 1;
  });
  $("[data-testid=makecards-close]", form).addEventListener("click", () => {
    state.panel.hidden = true;
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    // The button stays disabled while the job it started runs (follow() re-enables it).
    const button = $("[data-testid=makecards-start]", form);
    if (button.disabled) return;
    button.disabled = true;
    start(state, form).then((started) => {
      if (!started) button.disabled = false;
    });
  });
}

function formError(form, message) {
  const box = $("[data-testid=makecards-error]", form);
  box.textContent = message ?? "";
  box.hidden = !message;
}

/** The request body, or a message saying what to fix. */
function readForm(state, form) {
  const last = state.lecture.page_count || 1;
  const target = Number(form.target.value);
  const first = Number(form.first.value);
  const final = Number(form.last.value);
  if (!Number.isInteger(target) || target < 1 || target > 200) return { problem: "Ask for between 1 and 200 cards.", field: form.target };
  if (!Number.isInteger(first) || !Number.isInteger(final) || first < 1 || final > last || first > final) {
    return { problem: `Choose pages between 1 and ${last}, the first no later than the last.`, field: form.first };
  }
  if (form.deck.value === NEW_DECK && !form.deck_name.value.trim()) return { problem: "Name the new deck.", field: form.deck_name };
  return { body: { target, first_page: first, last_page: final } };
}

async function start(state, form) {
  formError(form, null);
  const { body, problem, field } = readForm(state, form);
  if (problem) {
    formError(form, problem);
    field.focus();
    return false;
  }
  try {
    if (form.deck.value === NEW_DECK) {
      const deck = await post("/api/decks", { name: form.deck_name.value.trim() });
      // The new deck joins the picker, so a second run does not create it twice.
      form.deck.add(new Option(deck.name, deck.id, true, true), form.deck.options.length - 1);
      form.deck.dispatchEvent(new Event("change"));
    }
    body.deck_id = toId(form.deck.value);
    localStorage.setItem(DECK_KEY, String(body.deck_id));
    const job = await post(`/api/lectures/${state.lecture.id}/cards`, body);
    sessionStorage.setItem(jobKey(state.lecture.id), String(job.id));
    follow(state, job);
    return true;
  } catch (error) {
    formError(form, error.message);
    showError(error);
    return false;
  }
}

// ---- the running job ---------------------------------------------------------------------

function follow(state, job) {
  state.unsubscribe?.();
  state.unsubscribe = null;
  state.job = null;
  setFormBusy(state, true);
  // Its live events can overtake the POST's answer: the job may be over already.
  update(state, newerJob(job, latestJob(job.id)));
  if (!state.job || isFinished(state.job)) return; // over, or the view was left
  state.unsubscribe = subscribe((event) => {
    if (event.type === "jobs.snapshot") {
      const current = event.jobs.find((j) => j.id === state.job.id);
      if (current) update(state, current);
      else reread(state); // it ended while the socket was down
    } else if (event.job?.id === state.job.id) {
      update(state, event.job);
    }
  });
}

async function reread(state) {
  try {
    update(state, await get(`/api/jobs/${state.job.id}`));
  } catch (error) {
    if (!state.signal.aborted) showError(error);
  }
}

function update(state, job) {
  if (state.signal.aborted) return;
  state.job = newerJob(state.job, job);
  drawJob(state);
  if (isFinished(state.job)) {
    state.unsubscribe?.();
    state.unsubscribe = null;
    sessionStorage.removeItem(jobKey(state.lecture.id));
    setFormBusy(state, false);
  }
}

function setFormBusy(state, running) {
  const start = $("[data-testid=makecards-start]", state.panel);
  if (start) start.disabled = running;
}

function drawJob(state) {
  const box = $("[data-testid=makecards-status]", state.panel);
  if (!box) return;
  const { job } = state;
  box.dataset.status = job.status;
  if (job.status === "succeeded") mount(box, resultView(job));
  else if (job.status === "failed") {
    mount(box, html`<p class="row-error" role="alert" data-testid="makecards-failed">${job.error || "Writing cards failed."}</p>`);
  } else if (job.status === "cancelled") {
    mount(box, html`<p class="muted" data-testid="makecards-cancelled">Cancelled: no drafts were kept from this run.</p>`);
  } else {
    mount(box, progressView(job));
    $("[data-testid=makecards-cancel]", box).addEventListener("click", (event) => cancel(state, event.currentTarget));
  }
}

function progressView(job) {
  const known = job.status === "running" && job.total > 0;
  const step = job.status === "queued" ? "Waiting for a free worker…" : STEP_LABELS[job.step] ?? (job.step || "Starting…");
  const count = known ? `${Math.min(job.current, job.total)}/${job.total}` : "";
  const message = job.message && !["Queued", "Started"].includes(job.message) ? job.message : "";
  return html`<div class="makecards-live" data-testid="makecards-progress" data-step="${job.step}">
    <div class="bar-line">
      <progress class="bar" max="${known ? job.total : 1}" ${known ? html`value="${Math.min(job.current, job.total)}"` : ""}
        aria-label="Writing cards"></progress>
      <span class="progress-text"><strong data-testid="makecards-step">${step}</strong>${count ? ` · ${count}` : ""}</span>
    </div>
    <p class="muted makecards-message" data-testid="makecards-message">${job.cancel_requested ? "Cancelling…" : message}</p>
    <button type="button" class="btn btn-small" data-testid="makecards-cancel" ${job.cancel_requested ? "disabled" : ""}>Cancel</button>
  </div>`;
}

async function cancel(state, button) {
  button.disabled = true;
  try {
    update(state, await post(`/api/jobs/${state.job.id}/cancel`));
  } catch (error) {
    showError(error);
    button.disabled = false;
  }
}

function resultView(job) {
  const r = job.result ?? {};
  const drafts = r.drafts ?? 0;
  const dropped = [
    [r.dropped_no_quote, "its quote is not on the cited page"],
    [r.dropped_bad_page, "it cites a page that does not exist"],
    [r.dropped_malformed, "the model's answer could not be read"],
  ].filter(([n]) => n > 0);
  const droppedTotal = dropped.reduce((sum, [n]) => sum + n, 0);
  const facts = [
    html`<li data-testid="makecards-duplicates">${plural(r.duplicates ?? 0, "draft")} flagged as possible duplicates</li>`,
    droppedTotal
      ? html`<li data-testid="makecards-dropped">${plural(droppedTotal, "card")} dropped, never stored:
          ${dropped.map(([n, why], i) => html`${i ? "; " : ""}${n} because ${why}`)}</li>`
      : html`<li data-testid="makecards-dropped">Every quote was found on its page: no card dropped</li>`,
  ];
  if (r.junk_pages) facts.push(html`<li data-testid="makecards-junk">${plural(r.junk_pages, "page")} skipped: too little readable text</li>`);
  if (r.failed_batches) facts.push(html`<li class="row-error" data-testid="makecards-failed-batches">${plural(r.failed_batches, "batch", "batches")} of pages failed at the provider</li>`);
  const provider = r.provider ? ` by the ${r.provider === "builtin" ? "built-in generator" : r.provider}` : "";
  return html`<div class="makecards-result" data-testid="makecards-result">
    <p><strong data-testid="makecards-drafts" data-count="${drafts}">${plural(drafts, "draft")}</strong> written${provider}
      from ${plural(r.pages_read ?? 0, "page")}.</p>
    <ul class="makecards-facts">${facts}</ul>
    ${drafts
      ? html`<p class="form-actions"><a class="btn btn-primary" href="#/drafts?job=${job.id}" data-testid="makecards-open-drafts">Review the drafts</a>
          <a class="btn btn-ghost" href="#/drafts?deck=${r.deck_id}" data-testid="makecards-deck-drafts">All drafts of this deck</a></p>`
      : html`<p class="muted" data-testid="makecards-none">No cards could be written from these pages: try more pages, or pages with definitions and key terms.</p>`}
  </div>`;
}
