// Following one job live: its newest state from the shared socket, re-read after a reconnect.

import { get } from "./api.js";
import { isFinished, newerJob } from "./lectures.js";
import { showError } from "./ui.js";
import { latestJob, subscribe } from "./ws.js";

/** Calls `onChange(job)` with each newer state of `job` until it has finished (or `signal` aborts);
 * returns a function that stops following. */
export function followJob(job, signal, onChange) {
  let current = newerJob(job, latestJob(job.id));
  let unsubscribe = null;
  const stop = () => {
    unsubscribe?.();
    unsubscribe = null;
  };
  const update = (next) => {
    if (signal.aborted) return stop();
    current = newerJob(current, next);
    onChange(current);
    if (isFinished(current)) stop();
  };
  update(current);
  if (isFinished(current)) return stop;
  unsubscribe = subscribe((event) => {
    if (event.type === "jobs.snapshot") {
      const seen = event.jobs.find((j) => j.id === current.id);
      if (seen) update(seen);
      else get(`/api/jobs/${current.id}`).then(update, showError); // it ended while the socket was down
    } else if (event.job?.id === current.id) {
      update(event.job);
    }
  });
  signal.addEventListener("abort", stop, { once: true });
  return stop;
}
