// Exam dates in the UI: the deck page's "Exam" panel (date, Save / Remove, the plan), the review
// screen's note on cards shown early for an exam, "Exam in N days" badges on the decks list, and
// the daily review budget in Settings.

import { del, get, put } from "./api.js";
import { $, busy, html, mount, plural, showError, toast } from "./ui.js";

/** "12 Dec" for an ISO date, read as a calendar day (no time zone shift). */
export function examDay(iso) {
  const [y, m, d] = iso.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d)).toLocaleDateString(undefined, { day: "numeric", month: "short", timeZone: "UTC" });
}

function isoDay(date) {
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, "0")}-${String(date.getDate()).padStart(2, "0")}`;
}

// ---- deck page -------------------------------------------------------------------------------

/** Appends the "Exam" panel to the deck view. */
export function mountExamPanel(root, { deck }) {
  const panel = document.createElement("section");
  panel.className = "panel exam-panel";
  panel.dataset.testid = "exam-panel";
  root.append(panel);
  get(`/api/decks/${deck.id}/exam`).then(
    (exam) => drawPanel(panel, deck, exam),
    (error) => {
      mount(panel, html`<h2>Exam</h2><p class="form-error" role="alert">${error.message}</p>`);
    },
  );
}

function drawPanel(panel, deck, exam) {
  const tomorrow = new Date();
  tomorrow.setDate(tomorrow.getDate() + 1);
  mount(
    panel,
    html`<h2>Exam</h2>
      <p class="muted">Until the exam, reviews of this deck are pulled forward so that you should remember every card
        on the day, within your <a href="#/settings">daily review budget</a>. After the exam, scheduling goes back to normal.</p>
      <form class="form-row exam-form" data-testid="exam-form" novalidate>
        <label class="field"><span>Exam date</span>
          <input type="date" name="exam_date" min="${isoDay(tomorrow)}" value="${exam?.exam_date ?? ""}" required
            data-testid="exam-date"></label>
        <button class="btn btn-primary" data-testid="exam-save">${exam ? "Move exam" : "Set exam"}</button>
        ${exam ? html`<button type="button" class="btn" data-testid="exam-remove">Remove</button>` : ""}
      </form>
      ${exam ? planBlock(exam) : ""}`,
  );
  const form = $("[data-testid=exam-form]", panel);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const value = form.exam_date.value;
    if (!value) {
      toast("Choose the date of the exam first.", "error");
      form.exam_date.focus();
      return;
    }
    busy($("[data-testid=exam-save]", panel), async () => {
      try {
        const saved = await put(`/api/decks/${deck.id}/exam`, { exam_date: value });
        toast(`Exam set for ${examDay(saved.exam_date)}`, "success");
        drawPanel(panel, deck, saved);
      } catch (error) {
        showError(error);
      }
    });
  });
  const remove = $("[data-testid=exam-remove]", panel);
  remove?.addEventListener("click", () =>
    busy(remove, async () => {
      try {
        await del(`/api/decks/${deck.id}/exam`);
        toast("Exam removed: normal scheduling from now on", "success");
        drawPanel(panel, deck, null);
      } catch (error) {
        showError(error);
      }
    }),
  );
}

function planBlock(exam) {
  const plan = exam.plan;
  return html`<div class="exam-plan ${plan.fits_budget ? "" : "over-budget"}" data-testid="exam-plan">
    <p class="exam-summary" data-testid="exam-summary">${plan.summary}</p>
    ${plan.days_left > 0
      ? html`<p class="muted">${plural(plan.cards_total, "card")} · ${plan.cards_below_target} would fall below
          ${Math.round(plan.target * 100)} % recall by ${examDay(exam.exam_date)} without a review ·
          budget ${plan.budget} reviews a day</p>`
      : ""}
  </div>`;
}

// ---- review screen ---------------------------------------------------------------------------

/** The note on a card the exam tier shows early ("Early review for your exam on 12 Dec (Biology)"). */
export function examNote(card) {
  if (!card?.exam) return "";
  return html`<span class="exam-note" data-testid="exam-note" title="Shown before it is due so you remember it on exam day">
    ${card.exam.reason} (${card.deck_name})</span>`;
}

// ---- decks list ------------------------------------------------------------------------------

/** Adds "Exam in N days" to the rows of decks with an upcoming exam. */
export async function mountExamBadges(root) {
  let exams;
  try {
    exams = await get("/api/exams");
  } catch (error) {
    showError(error);
    return;
  }
  for (const exam of exams) {
    const meta = $(`[data-testid=deck-row][data-deck-id="${exam.deck_id}"] .deck-meta`, root);
    if (!meta) continue;
    const days = exam.plan.days_left;
    const badge = document.createElement("span");
    badge.className = "exam-badge";
    badge.dataset.testid = "exam-badge";
    badge.title = exam.plan.summary;
    badge.textContent = days === 1 ? "Exam tomorrow" : `Exam in ${days} days`;
    meta.append(" · ", badge);
  }
}

// ---- settings --------------------------------------------------------------------------------

/** The "Exam reviews" panel: the most reviews a day that exam scheduling may lead to. */
export function mountExamBudget(grid, { user, setUser }) {
  const panel = document.createElement("section");
  panel.className = "panel";
  panel.dataset.testid = "exam-budget-section";
  grid.append(panel);
  mount(
    panel,
    html`<h2>Exam reviews</h2>
      <form data-testid="exam-budget-form" novalidate>
        <label class="field"><span>Daily review budget</span>
          <input type="number" name="budget" min="10" max="5000" step="1" required
            value="${user.settings.exam_daily_budget}" data-testid="settings-exam-budget">
          <small class="hint">While a deck has an exam coming, early reviews stop once you have done this many reviews
            in a day (10–5000).</small></label>
        <div class="form-actions"><button class="btn btn-primary" data-testid="exam-budget-save">Save budget</button></div>
      </form>`,
  );
  const form = $("[data-testid=exam-budget-form]", panel);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const budget = Number(form.budget.value);
    if (!Number.isInteger(budget) || budget < 10 || budget > 5000) {
      toast("The daily review budget must be a whole number from 10 to 5000.", "error");
      form.budget.focus();
      return;
    }
    busy($("[data-testid=exam-budget-save]", panel), async () => {
      try {
        setUser?.(await put("/api/users/me/settings", { exam_daily_budget: budget }));
        toast("Exam review budget saved", "success");
      } catch (error) {
        showError(error);
      }
    });
  });
}
