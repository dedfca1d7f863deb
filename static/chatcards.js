// "Make cards from this answer": pick a deck, start one card-writing job per cited lecture
// (over the cited pages only) and follow the jobs until their drafts wait on the drafts screen.

import { get, post, toId } from "./api.js";
import { $, html, mount, plural, showError, toast } from "./ui.js";
import { latestJob, subscribe } from "./ws.js";
import { isFinished, jobBar, newerJob } from "./lectures.js";

// The deck last used by "Make cards" in the lecture viewer (makecards.js) is offered first here too.
const DECK_KEY = "lectern.makecards.deck";
const NEW_DECK = "new";
const DEFAULT_TARGET = 10;

/** Open the deck picker for `message` inside `slot` (toggles it when already open). */
export async function makeCardsFromAnswer(message, slot, { signal }) {
  if (slot.dataset.open === "form") {
    closeForm(slot);
    return;
  }
  if (slot.dataset.open === "jobs") return; // a run from this answer is being followed
  slot.dataset.open = "form";
  mount(slot, html`<p class="muted" aria-busy="true">Loading your decks…</p>`);
  let decks;
  try {
    decks = (await get("/api/decks")).filter((d) => d.owned); // cards go only into your own decks
  } catch (error) {
    showError(error);
    mount(slot, html`<p class="row-error" role="alert">${error.message}</p>`);
    return;
  }
  if (signal.aborted) return;
  const remembered = localStorage.getItem(DECK_KEY);
  const chosen = decks.some((d) => String(d.id) === remembered) ? remembered : decks.length ? String(decks[0].id) : NEW_DECK;
  const lectures = new Set(message.citations.map((c) => c.lecture_id).filter((id) => id != null)).size;
  mount(
    slot,
    html`<form class="chat-cards-form" data-testid="chat-cards-form" novalidate>
      <div class="form-row">
        <label class="field grow"><span>Deck</span>
          <select name="deck" data-testid="chat-cards-deck">
            ${decks.map((d) => html`<option value="${d.id}" ${String(d.id) === chosen ? "selected" : ""}>${d.name}</option>`)}
            <option value="${NEW_DECK}" ${chosen === NEW_DECK ? "selected" : ""}>New deck…</option>
          </select></label>
        <label class="field grow" data-testid="chat-cards-new-deck-field" ${chosen === NEW_DECK ? "" : "hidden"}><span>New deck name</span>
          <input name="deck_name" maxlength="120" autocomplete="off" data-testid="chat-cards-new-deck"></label>
        <label class="field chat-cards-target"><span>How many cards</span>
          <input type="number" name="target" min="1" max="100" step="1" value="${DEFAULT_TARGET}" inputmode="numeric"
            data-testid="chat-cards-target"></label>
      </div>
      <p class="hint">Drafts are written from the cited pages of ${plural(lectures, "lecture")}; you accept, edit or reject them.</p>
      <p class="form-error" role="alert" data-testid="chat-cards-error" hidden></p>
      <div class="form-actions">
        <button type="submit" class="btn btn-primary btn-small" data-testid="chat-cards-start">Make cards</button>
        <button type="button" class="btn btn-ghost btn-small" data-testid="chat-cards-close">Cancel</button>
      </div>
    </form>`,
  );
  const form = $("form", slot);
  const newField = $("[data-testid=chat-cards-new-deck-field]", form);
  form.deck.addEventListener("change", () => {
    newField.hidden = form.deck.value !== NEW_DECK;
    if (!newField.hidden) form.deck_name.focus();
  });
  $("[data-testid=chat-cards-close]", form).addEventListener("click", () => closeForm(slot));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = $("[data-testid=chat-cards-start]", form);
    if (button.disabled) return;
    button.disabled = true;
    const started = await start(message, form, slot, signal);
    if (!started) button.disabled = false;
  });
  form.deck.focus();
}

function closeForm(slot) {
  delete slot.dataset.open;
  slot.replaceChildren();
}

function formError(form, message) {
  const box = $("[data-testid=chat-cards-error]", form);
  box.textContent = message ?? "";
  box.hidden = !message;
}

async function start(message, form, slot, signal) {
  formError(form, null);
  const target = Number(form.target.value);
  if (!Number.isInteger(target) || target < 1 || target > 100) {
    formError(form, "Ask for between 1 and 100 cards.");
    form.target.focus();
    return false;
  }
  if (form.deck.value === NEW_DECK && !form.deck_name.value.trim()) {
    formError(form, "Name the new deck.");
    form.deck_name.focus();
    return false;
  }
  try {
    let deckId = toId(form.deck.value);
    if (form.deck.value === NEW_DECK) {
      const deck = await post("/api/decks", { name: form.deck_name.value.trim() });
      form.deck.add(new Option(deck.name, deck.id, true, true), form.deck.options.length - 1);
      form.deck.dispatchEvent(new Event("change"));
      deckId = deck.id;
    }
    localStorage.setItem(DECK_KEY, String(deckId));
    const { jobs } = await post(`/api/chat/messages/${message.id}/cards`, { deck_id: deckId, target });
    const link = draftsLink(jobs, deckId);
    toast(html`Writing cards from this answer… <a href="${link}" data-testid="chat-cards-toast-link">Open the drafts</a>`, "success");
    follow(slot, jobs, link, signal);
    return true;
  } catch (error) {
    formError(form, error.message);
    if (!(error.status >= 400 && error.status < 500)) showError(error);
    return false;
  }
}

function draftsLink(jobs, deckId) {
  return jobs.length === 1 ? `#/drafts?job=${jobs[0].id}` : `#/drafts?deck=${deckId}`;
}

// ---- the running jobs -------------------------------------------------------------------

function follow(slot, started, link, signal) {
  slot.dataset.open = "jobs";
  // Their live events can overtake the POST's answer: start from the newest state seen.
  const jobs = new Map(started.map((job) => [job.id, newerJob(job, latestJob(job.id))]));
  let unsubscribe = null;
  const update = (job) => {
    if (!jobs.has(job.id) || signal.aborted) return;
    jobs.set(job.id, newerJob(jobs.get(job.id), job));
    draw(slot, [...jobs.values()], link);
    if ([...jobs.values()].every(isFinished)) {
      unsubscribe?.();
      delete slot.dataset.open;
    }
  };
  draw(slot, [...jobs.values()], link);
  if ([...jobs.values()].every(isFinished)) {
    delete slot.dataset.open;
    return;
  }
  unsubscribe = subscribe((event) => {
    if (event.type === "jobs.snapshot") {
      for (const [id, job] of jobs) {
        const current = event.jobs.find((j) => j.id === id);
        if (current) update(current);
        else if (!isFinished(job)) get(`/api/jobs/${id}`).then(update, showError); // ended while offline
      }
    } else if (event.job) {
      update(event.job);
    }
  });
  signal.addEventListener("abort", () => unsubscribe(), { once: true });
}

function draw(slot, jobs, link) {
  const running = jobs.filter((job) => !isFinished(job));
  if (running.length) {
    const done = jobs.length > 1 ? html`<p class="muted">${jobs.length - running.length} of ${plural(jobs.length, "lecture")} done</p>` : "";
    mount(slot, html`<div data-testid="chat-cards-progress">${done}${jobBar(running[0])}</div>`);
    return;
  }
  const drafts = jobs.reduce((sum, job) => sum + (job.status === "succeeded" ? job.result?.drafts ?? 0 : 0), 0);
  const failed = jobs.filter((job) => job.status === "failed");
  mount(
    slot,
    html`<p class="chat-cards-result" data-testid="chat-cards-result" data-count="${drafts}">
      <strong>${plural(drafts, "draft")}</strong> written.
      ${drafts ? html`<a href="${link}" data-testid="chat-cards-drafts">Review the drafts</a>` : ""}
      ${failed.map((job) => html`<span class="row-error" role="alert">${job.error || "Writing cards failed."}</span>`)}</p>`,
  );
}
