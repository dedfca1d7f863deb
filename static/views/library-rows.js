// The library's lecture rows. A file's row shows its upload (bytes, from the XHR), then the
// ingest job's progress (live events), then the lecture's final state with its actions.

import { del, get, post, uploadFile } from "../api.js";
import { $, confirmDialog, html, mount, plural, showError, toast } from "../ui.js";
import { latestJob } from "../ws.js";
import {
  formatBytes,
  isActive,
  isFinished,
  jobBar,
  jobOfLecture,
  lectureFacts,
  newerJob,
  statusBadge,
  statusOfJob,
} from "../lectures.js";

const PARALLEL_UPLOADS = 3;

// Closing the tab mid-upload loses the file: warn while any upload is under way (in any view).
let uploadsUnderWay = 0;
window.addEventListener("beforeunload", (event) => {
  if (uploadsUnderWay > 0) {
    event.preventDefault();
    event.returnValue = ""; // older browsers ask only when this is set
  }
});

export class LectureList {
  constructor({ element, emptyElement, course, lectures, signal, onCountChange }) {
    Object.assign(this, { element, emptyElement, course, signal, onCountChange });
    this.rows = [];
    this.waiting = [];
    this.sending = 0;
    this.adopting = new Set();
    for (const lecture of lectures) this.add(this.newRow({ lecture, job: latestJob(lecture.job_id) }), "end");
    this.showEmpty();
    element.addEventListener("click", (event) => this.onClick(event));
  }

  lectureCount() {
    return this.rows.filter((row) => row.lecture).length;
  }

  // ---- rows -------------------------------------------------------------------------

  newRow(fields) {
    const el = document.createElement("li");
    el.className = "lecture-row";
    el.dataset.testid = "lecture-row";
    return { el, lecture: null, job: null, file: null, phase: "lecture", loaded: 0, total: 0, error: null, ...fields };
  }

  add(row, where = "start") {
    if (where === "start") {
      this.rows.unshift(row);
      this.element.prepend(row.el);
    } else {
      this.rows.push(row);
      this.element.append(row.el);
    }
    this.draw(row);
    this.showEmpty();
  }

  remove(row) {
    this.rows = this.rows.filter((r) => r !== row);
    row.el.remove();
    this.showEmpty();
  }

  showEmpty() {
    this.emptyElement.hidden = this.rows.length > 0;
  }

  state(row) {
    if (!row.lecture) return row.phase; // waiting | uploading | upload-failed
    if (row.job && !isFinished(row.job)) return statusOfJob(row.job);
    return row.lecture.status;
  }

  draw(row) {
    const state = this.state(row);
    const { lecture, file } = row;
    row.el.dataset.state = state;
    if (lecture) row.el.dataset.lectureId = lecture.id;
    row.el.dataset.filename = lecture?.filename ?? file.name;
    const title = lecture ? lecture.title : file.name;
    const shownFilename = lecture && lecture.filename !== lecture.title ? `${lecture.filename} · ` : "";
    const meta = lecture ? `${shownFilename}${lectureFacts(lecture)}` : formatBytes(file.size);
    const badgeState = state === "waiting" ? "uploading" : state === "upload-failed" ? "failed" : state;
    const label = state === "ready" ? `Ready · ${plural(lecture.page_count, "page")}` : null;
    mount(
      row.el,
      html`<div class="lecture-main">
          ${lecture
            ? html`<a class="lecture-title" href="#/lecture/${lecture.id}" data-testid="lecture-title">${title}</a>`
            : html`<span class="lecture-title" data-testid="lecture-title">${title}</span>`}
          <p class="lecture-meta muted" data-testid="lecture-meta">${meta}</p>
        </div>
        <div class="lecture-side">${statusBadge(badgeState, label)}</div>
        <div class="lecture-live">${this.live(row, state)}</div>
        <div class="lecture-actions">${actions(row, state)}</div>`,
    );
    row.drawnState = state;
  }

  /** Only the progress part, so a stream of events does not rebuild the buttons under the pointer. */
  redraw(row) {
    const state = this.state(row);
    if (state !== row.drawnState) this.draw(row);
    else mount($(".lecture-live", row.el), this.live(row, state));
  }

  live(row, state) {
    const { lecture, job } = row;
    switch (state) {
      case "waiting":
        return html`<div class="bar-line"><progress class="bar" max="1" value="0" data-testid="upload-progress"
          aria-label="Upload"></progress><span class="progress-text">Waiting to upload…</span></div>`;
      case "uploading":
        return uploadBar(row);
      case "upload-failed":
        return html`<p class="row-error" role="alert" data-testid="row-error">${row.error}</p>`;
      case "queued":
      case "processing":
        return job && !isFinished(job)
          ? jobBar(job)
          : html`<div class="bar-line" data-testid="processing-progress"><progress class="bar" aria-label="Processing"></progress>
              <span class="progress-text" data-testid="progress-text">${state === "queued" ? "Waiting for a free worker…" : "Processing…"}</span></div>`;
      case "failed":
        return html`<p class="row-error" role="alert" data-testid="row-error">${lecture.error || job?.error || "Reading this file failed."}</p>`;
      case "cancelled":
        return html`<p class="muted row-note" data-testid="row-note">Processing was cancelled. Re-process to read it again.</p>`;
      default:
        return "";
    }
  }

  // ---- live events ------------------------------------------------------------------

  onEvent(event) {
    if (event.type === "jobs.snapshot") {
      for (const row of this.rows) {
        if (!row.lecture || !isActive(row.lecture.status)) continue;
        const job = event.jobs.find((j) => jobOfLecture({ job: j }, row.lecture));
        if (job) this.applyJob(row, job);
        else this.reload(row); // too old for the snapshot: the lecture row says how it ended
      }
      return;
    }
    if (!event.job) return;
    let known = false;
    for (const row of this.rows) {
      if (!row.lecture) continue;
      const job = jobOfLecture(event, row.lecture);
      if (job) {
        known = true;
        this.applyJob(row, job);
      }
    }
    const lectureId = event.job.params?.lecture_id;
    if (!known && event.job.kind === "ingest" && lectureId && !isFinished(event.job)) this.adopt(lectureId);
  }

  applyJob(row, job) {
    row.job = newerJob(row.job, job);
    row.lecture.job_id = row.job.id;
    if (isFinished(row.job)) {
      if (row.settled !== row.job.id) {
        row.settled = row.job.id;
        this.reload(row);
      }
      return;
    }
    row.lecture.status = statusOfJob(row.job);
    this.redraw(row);
  }

  async reload(row) {
    try {
      const lecture = await get(`/api/lectures/${row.lecture.id}`);
      if (this.signal.aborted) return;
      row.lecture = lecture;
      row.job = newerJob(row.job, latestJob(lecture.job_id));
      this.draw(row);
    } catch (error) {
      if (error.status === 404) this.remove(row);
      else showError(error);
    }
  }

  /** A lecture this list does not show yet (uploaded from another tab, or while this view was away). */
  async adopt(lectureId) {
    if (this.adopting.has(lectureId)) return;
    this.adopting.add(lectureId);
    try {
      const lecture = await get(`/api/lectures/${lectureId}`);
      const shown = this.rows.some((row) => row.lecture?.id === lectureId || row.phase === "uploading");
      if (this.signal.aborted || shown || lecture.course_id !== this.course.id) return;
      this.add(this.newRow({ lecture, job: latestJob(lecture.job_id) }));
      this.onCountChange();
    } catch (error) {
      if (error.status !== 404) showError(error);
    } finally {
      this.adopting.delete(lectureId);
    }
  }

  // ---- uploads ----------------------------------------------------------------------

  upload(files) {
    for (const file of files) {
      const row = this.newRow({ file, phase: "waiting" });
      this.add(row);
      this.waiting.push(row);
    }
    this.pump();
  }

  pump() {
    while (this.sending < PARALLEL_UPLOADS && this.waiting.length) {
      const row = this.waiting.shift();
      this.sending += 1;
      this.send(row).finally(() => {
        this.sending -= 1;
        this.pump();
      });
    }
  }

  async send(row) {
    row.phase = "uploading";
    row.total = row.file.size;
    row.abort = new AbortController();
    this.draw(row);
    uploadsUnderWay += 1;
    try {
      const { lecture, job } = await uploadFile(`/api/courses/${this.course.id}/lectures`, row.file, {
        signal: row.abort.signal,
        onProgress: (loaded, total) => {
          Object.assign(row, { loaded, total });
          updateUploadBar(row);
        },
      });
      // Its job's events may have made another row for it meanwhile: this row takes over.
      for (const other of this.rows.filter((r) => r !== row && r.lecture?.id === lecture.id)) this.remove(other);
      Object.assign(row, { lecture, phase: "lecture", job: newerJob(job, latestJob(job.id)) });
      this.draw(row);
      if (isFinished(row.job)) this.applyJob(row, row.job);
      this.onCountChange();
    } catch (error) {
      if (error.name === "AbortError") {
        this.remove(row);
        return;
      }
      Object.assign(row, { phase: "upload-failed", error: error.message });
      this.draw(row);
      // Nobody sees the row once the user has moved on: say it where they are.
      if (this.signal.aborted && !error.authLost) toast(`${row.file.name}: ${error.message}`, "error");
    } finally {
      uploadsUnderWay -= 1;
    }
  }

  // ---- actions ----------------------------------------------------------------------

  onClick(event) {
    const button = event.target.closest("[data-action]");
    if (!button) return;
    const row = this.rows.find((r) => r.el.contains(button));
    if (!row) return;
    const action = ACTIONS[button.dataset.action];
    button.disabled = true;
    Promise.resolve()
      .then(() => action(this, row))
      .catch(showError)
      .finally(() => {
        button.disabled = false;
      });
  }
}

const ACTIONS = {
  "abort-upload": (list, row) => {
    if (row.phase === "waiting") {
      list.waiting = list.waiting.filter((r) => r !== row);
      list.remove(row);
    } else {
      row.abort?.abort();
    }
  },
  dismiss: (list, row) => list.remove(row),
  cancel: async (list, row) => {
    const job = await post(`/api/jobs/${row.lecture.job_id}/cancel`);
    list.applyJob(row, job);
  },
  reprocess: async (list, row) => {
    const { lecture, job } = await post(`/api/lectures/${row.lecture.id}/reprocess`);
    Object.assign(row, { lecture, job, settled: null });
    list.draw(row);
    toast(`Reading “${lecture.title}” again`, "info");
  },
  delete: async (list, row) => {
    const { lecture } = row;
    const ok = await confirmDialog(`“${lecture.title}”, its pages, text and search index will be deleted. This cannot be undone.`, {
      title: "Delete this lecture?",
      confirmLabel: "Delete lecture",
      danger: true,
    });
    if (!ok) return;
    await del(`/api/lectures/${lecture.id}`);
    list.remove(row);
    toast(`Lecture “${lecture.title}” deleted`, "success");
    list.onCountChange();
  },
};

function actions(row, state) {
  const button = (action, label, testid, extra = "") =>
    html`<button type="button" class="btn btn-small ${extra}" data-action="${action}" data-testid="${testid}">${label}</button>`;
  switch (state) {
    case "waiting":
    case "uploading":
      return button("abort-upload", "Cancel upload", "upload-cancel", "btn-ghost");
    case "upload-failed":
      return button("dismiss", "Dismiss", "row-dismiss", "btn-ghost");
    case "queued":
    case "processing":
      return row.lecture.job_id ? button("cancel", "Cancel", "lecture-cancel") : "";
    case "ready":
      return html`<a class="btn btn-small btn-primary" href="#/lecture/${row.lecture.id}" data-testid="lecture-open">Open</a>
        ${button("reprocess", "Re-process", "lecture-reprocess", "btn-ghost")}
        ${button("delete", "Delete…", "lecture-delete", "btn-ghost btn-danger")}`;
    default:
      return html`${button("reprocess", "Re-process", "lecture-reprocess")}
        ${button("delete", "Delete…", "lecture-delete", "btn-ghost btn-danger")}`;
  }
}

function uploadText(row) {
  const percent = row.total ? Math.floor((100 * row.loaded) / row.total) : 0;
  if (row.total && row.loaded >= row.total) return "Uploaded; checking the file…";
  return `${formatBytes(row.loaded)} of ${formatBytes(row.total)} · ${percent}%`;
}

function uploadBar(row) {
  return html`<div class="bar-line">
    <progress class="bar" max="${row.total || 1}" value="${row.loaded}" data-testid="upload-progress" aria-label="Upload"></progress>
    <span class="progress-text" data-testid="upload-text">${uploadText(row)}</span>
  </div>`;
}

function updateUploadBar(row) {
  const bar = $("[data-testid=upload-progress]", row.el);
  if (!bar) return;
  bar.max = row.total || 1;
  bar.value = row.loaded;
  $("[data-testid=upload-text]", row.el).textContent = uploadText(row);
}
