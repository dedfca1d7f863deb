// Settings → "Personal scheduling": fit FSRS's weights to your own review log (a job, followed live
// over the socket), see the log loss before and after on your reviews, or go back to the defaults.

import { del, get, post } from "./api.js";
import { isFinished, jobBar, newerJob } from "./lectures.js";
import { $, busy, html, mount, showError, toast } from "./ui.js";
import { subscribe } from "./ws.js";

/** Draws the panel into `body` and keeps it live until `signal` aborts. */
export async function fsrsPanel(body, { signal }) {
  const view = { body, job: null, result: null };
  const unsubscribe = subscribe((event) => {
    if (!event.job || event.job.kind !== "fsrs_optimize" || event.job.id !== view.job?.id) return;
    view.job = newerJob(view.job, event.job);
    if (isFinished(view.job)) finished(view);
    else draw(view);
  });
  signal.addEventListener("abort", unsubscribe, { once: true });
  view.status = await get("/api/users/me/fsrs");
  draw(view);
}

async function finished(view) {
  const job = view.job;
  view.job = null;
  if (job.status === "succeeded") view.result = job.result;
  else if (job.status === "failed") showError(new Error(job.error || "The fit failed"));
  view.status = await get("/api/users/me/fsrs");
  draw(view);
}

function draw(view) {
  const { status, result, job } = view;
  const enough = status.reviews >= status.threshold;
  mount(
    view.body,
    html`<p data-testid="fsrs-status">${status.personal
        ? "Your reviews are scheduled with personal weights fitted to your own review log."
        : "Your reviews are scheduled with FSRS's default weights."}</p>
      <p class="hint">Fitting learns from reviews of cards already in review: ${status.reviews.toLocaleString()} of the
        ${status.threshold} needed${enough ? "" : " — keep reviewing"}. The new weights are kept only if they predict
        your reviews better than the defaults.</p>
      ${result
        ? html`<p data-testid="fsrs-result">Log loss on ${result.evaluated_reviews.toLocaleString()} of your reviews:
            ${result.log_loss_before.toFixed(4)} with the defaults, ${result.log_loss_after.toFixed(4)} fitted —
            ${result.applied ? "the fitted weights are now in use." : "no better, so the defaults stay."}</p>`
        : ""}
      ${job ? jobBar(job) : ""}
      <div class="form-actions">
        <button class="btn btn-primary" data-testid="fsrs-optimize" ${enough && !job ? "" : "disabled"}>Fit to my reviews</button>
        ${status.personal ? html`<button class="btn" data-testid="fsrs-reset">Use the defaults again</button>` : ""}
      </div>`,
  );
  $("[data-testid=fsrs-optimize]", view.body)?.addEventListener("click", (event) =>
    busy(event.currentTarget, async () => {
      try {
        view.result = null;
        view.job = await post("/api/users/me/fsrs/optimize");
        draw(view);
      } catch (error) {
        showError(error);
      }
    }),
  );
  $("[data-testid=fsrs-reset]", view.body)?.addEventListener("click", (event) =>
    busy(event.currentTarget, async () => {
      try {
        view.status = await del("/api/users/me/fsrs");
        view.result = null;
        toast("Back to the FSRS defaults");
        draw(view);
      } catch (error) {
        showError(error);
      }
    }),
  );
}
