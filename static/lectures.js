// Lecture helpers shared by the library, the viewer and search: status and source badges,
// job progress bars, sizes, and how a lecture's state follows its ingest job.

import { html } from "./ui.js";

export const ACCEPTED_FILES = ".pdf,.pptx,.png,.jpg,.jpeg,.tif,.tiff,.webp,.txt,.md,.markdown";

const STATUS_LABELS = {
  uploading: "Uploading",
  queued: "Queued",
  processing: "Processing",
  ready: "Ready",
  failed: "Failed",
  cancelled: "Cancelled",
};

const STEP_LABELS = {
  reading: "Reading",
  ocr: "Recognising text (OCR)",
  images: "Drawing page images",
  chunking: "Splitting into passages",
  embedding: "Preparing meaning search",
  saving: "Saving",
};

const KIND_LABELS = {
  pdf: "PDF",
  pptx: "Slides",
  png: "Image",
  jpeg: "Image",
  tiff: "Image",
  webp: "Image",
  text: "Text",
  markdown: "Markdown",
};

const JOB_TO_LECTURE = {
  queued: "queued",
  running: "processing",
  succeeded: "ready",
  failed: "failed",
  cancelled: "cancelled",
};

export const isActive = (status) => status === "queued" || status === "processing";

/** The lecture status a job implies (the lecture row itself is re-read once the job ends). */
export function statusOfJob(job) {
  return JOB_TO_LECTURE[job.status] ?? "processing";
}

export function isFinished(job) {
  return job.status === "succeeded" || job.status === "failed" || job.status === "cancelled";
}

/** The newer of two versions of the same job (either may be null). */
export function newerJob(a, b) {
  if (!a) return b;
  if (!b) return a;
  return b.updated_at > a.updated_at || (isFinished(b) && !isFinished(a)) ? b : a;
}

/** The job a live event is about, if it is the ingest job of this lecture. */
export function jobOfLecture(event, lecture) {
  const job = event.job;
  if (!job) return null;
  if (lecture.job_id != null && job.id === lecture.job_id) return job;
  return job.kind === "ingest" && job.params?.lecture_id === lecture.id ? job : null;
}

export function statusBadge(status, label = null) {
  return html`<span class="status status-${status}" data-testid="lecture-status">${label ?? STATUS_LABELS[status] ?? status}</span>`;
}

export function kindLabel(kind) {
  return KIND_LABELS[kind] ?? kind;
}

export function formatBytes(bytes) {
  if (bytes === null || bytes === undefined) return "";
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KB", "MB", "GB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

function stepLabel(step) {
  if (!step) return "";
  const label = STEP_LABELS[step.toLowerCase()];
  if (label) return label;
  const words = step.replace(/[_.-]+/g, " ").trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** "Drawing page images · 3/12": what the job is doing now, in words. */
export function jobText(job) {
  if (job.cancel_requested) return "Cancelling…";
  if (job.status === "queued") return job.message && job.message !== "Queued" ? job.message : "Waiting for a free worker…";
  const message = job.message && job.message !== "Started" ? job.message : stepLabel(job.step);
  // The server's messages sometimes carry the count already ("page 3 of 12").
  const count = job.total > 0 && !message.includes(String(job.total)) ? `${job.current}/${job.total}` : "";
  return [message, count].filter(Boolean).join(" · ") || "Starting…";
}

/** A bar for a running job: determinate once the job knows its total. */
export function jobBar(job) {
  const known = job.status === "running" && job.total > 0;
  const value = known ? Math.min(job.current, job.total) : null;
  return html`<div class="bar-line" data-testid="processing-progress">
    <progress class="bar" max="${known ? job.total : 1}" ${known ? html`value="${value}"` : ""}
      aria-label="Processing"></progress>
    <span class="progress-text" data-testid="progress-text">${jobText(job)}</span>
  </div>`;
}

/** "OCR · 87%" (warn colour under 60 %), "Text layer" or "Slide". */
export function sourceBadge(page) {
  if (page.source === "ocr") {
    const confidence = page.ocr_confidence;
    const low = confidence !== null && confidence !== undefined && confidence < 60;
    const label = confidence === null || confidence === undefined ? "OCR" : `OCR · ${Math.round(confidence)}%`;
    const title = low ? "Low OCR confidence: the text may contain mistakes" : "Text recognised from the page image";
    return html`<span class="source source-ocr ${low ? "low" : ""}" data-testid="page-source" title="${title}">${label}</span>`;
  }
  if (page.source === "slide") return html`<span class="source source-slide" data-testid="page-source">Slide</span>`;
  return html`<span class="source source-text" data-testid="page-source" title="Text from the document's own text layer">Text layer</span>`;
}

/** "12 pages · 3 OCR · 1.2 MB" */
export function lectureFacts(lecture) {
  const facts = [];
  if (lecture.page_count) facts.push(`${lecture.page_count} ${lecture.page_count === 1 ? "page" : "pages"}`);
  if (lecture.ocr_page_count) facts.push(`${lecture.ocr_page_count} OCR`);
  facts.push(kindLabel(lecture.file_kind));
  facts.push(formatBytes(lecture.size_bytes));
  return facts.filter(Boolean).join(" · ");
}
