// Lecture viewer (#/lecture/ID?page=N&q=words): the page image beside its extracted text,
// page navigation (buttons, ←/→ and j/k, page number, thumbnails), search within the
// lecture, and "Make cards" (makecards.js). A lecture still being read shows its live
// progress; a failed one says why.

import { get, post } from "../api.js";
import { $, html, mount, setTitle, showError, trusted } from "../ui.js";
import { latestJob, subscribe } from "../ws.js";
import {
  isActive,
  isFinished,
  jobBar,
  jobOfLecture,
  lectureFacts,
  newerJob,
  sourceBadge,
  statusBadge,
  statusOfJob,
} from "../lectures.js";
import { pageImages, thumbStrip } from "../pageimages.js";
import { makeCardsPanel } from "../makecards.js";
import { wireCrop } from "../lecturecrop.js";

export async function render(root, ctx) {
  const lectureId = ctx.params[0];
  const [lecture, courses] = await Promise.all([get(`/api/lectures/${lectureId}`), get("/api/courses")]);
  const course = courses.find((c) => c.id === lecture.course_id);
  const view = { root, ctx, lecture, course, query: ctx.query.get("q") ?? "" };
  setTitle(lecture.title);
  if (lecture.status === "ready") await drawReader(view);
  else await drawPending(view);
}

function head(view) {
  const { lecture, course } = view;
  return html`<nav class="crumbs" aria-label="Breadcrumb">
      <a href="#/library${course ? `?course=${course.id}` : ""}" data-testid="crumb-course">${course ? course.name : "Library"}</a>
      <span aria-hidden="true">/</span>
    </nav>
    <div class="page-head">
      <div>
        <h1 data-testid="lecture-heading">${lecture.title}</h1>
        <p class="muted" data-testid="lecture-facts">${lectureFacts(lecture)}</p>
      </div>
      ${lecture.status === "ready" && lecture.page_count
        ? html`<div class="page-actions"><button type="button" class="btn btn-primary" data-testid="make-cards">Make cards</button>
            <a class="btn" href="#/drafts?lecture=${lecture.id}" data-testid="lecture-drafts">Drafts</a></div>`
        : ""}
    </div>`;
}

/** Re-runs the route: the simplest way to redraw once the lecture's state changed. */
function reopen(view) {
  view.ctx.navigate(location.hash, { replace: true });
}

// ---- not ready: queued, processing, failed, cancelled --------------------------------

async function drawPending(view) {
  const { root, ctx, lecture } = view;
  const active = isActive(lecture.status);
  let job = latestJob(lecture.job_id);
  if (active && lecture.job_id != null) job = newerJob(await get(`/api/jobs/${lecture.job_id}`), job);
  mount(
    root,
    html`${head(view)}
      <section class="panel lecture-pending" data-testid="lecture-pending">
        <p data-testid="pending-status">${statusBadge(lecture.status)}</p>
        <div data-testid="pending-body"></div>
        <div class="form-actions" data-testid="pending-actions"></div>
      </section>`,
  );
  const body = $("[data-testid=pending-body]", root);
  const buttons = $("[data-testid=pending-actions]", root);
  if (!active) {
    mount(
      body,
      lecture.status === "failed"
        ? html`<p class="row-error" role="alert" data-testid="lecture-error">${lecture.error || job?.error || "Reading this file failed."}</p>`
        : html`<p class="muted" data-testid="lecture-cancelled">Processing was cancelled before this lecture was read.</p>`,
    );
    mount(buttons, html`<button type="button" class="btn btn-primary" data-testid="lecture-reprocess">Re-process</button>`);
    $("button", buttons).addEventListener("click", (event) => reprocess(view, event.currentTarget));
    return;
  }
  const showJob = (current) => {
    job = newerJob(job, current);
    if (job && isFinished(job)) {
      settle(view);
      return;
    }
    if (job) mount($("[data-testid=pending-status]", root), statusBadge(statusOfJob(job)));
    mount(
      body,
      html`<p>Lectern is still reading this lecture; it opens here as soon as it is ready.</p>
        ${job ? jobBar(job) : html`<div class="bar-line"><progress class="bar" aria-label="Processing"></progress></div>`}`,
    );
  };
  showJob(job);
  if (job?.id != null) {
    mount(buttons, html`<button type="button" class="btn" data-testid="lecture-cancel">Cancel processing</button>`);
    const cancel = $("button", buttons);
    cancel.addEventListener("click", async () => {
      cancel.disabled = true;
      try {
        showJob(await post(`/api/jobs/${job.id}/cancel`));
      } catch (error) {
        showError(error);
        cancel.disabled = false;
      }
    });
  }
  const unsubscribe = subscribe((event) => {
    if (event.type === "jobs.snapshot") {
      const current = event.jobs.find((j) => jobOfLecture({ job: j }, lecture));
      if (current) showJob(current);
      else settle(view); // finished too long ago for the snapshot: re-read the lecture
    } else {
      const current = jobOfLecture(event, lecture);
      if (current) showJob(current);
    }
  });
  ctx.signal.addEventListener("abort", unsubscribe, { once: true });
}

/** The job ended: open the lecture once its own row says so (normally at once). */
async function settle(view) {
  if (view.settling) return;
  view.settling = true;
  for (let attempt = 0; attempt < 5 && !view.ctx.signal.aborted; attempt += 1) {
    try {
      const lecture = await get(`/api/lectures/${view.lecture.id}`);
      if (!isActive(lecture.status)) {
        reopen(view);
        return;
      }
    } catch (error) {
      if (!view.ctx.signal.aborted) showError(error);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 400 * (attempt + 1)));
  }
  if (view.ctx.signal.aborted) return;
  const body = $("[data-testid=pending-body]", view.root);
  mount(body, html`<p class="row-error" role="alert">Processing ended, but the lecture has not been updated yet.
    <button type="button" class="linklike" data-testid="lecture-reload">Reload</button></p>`);
  $("[data-testid=lecture-reload]", body).addEventListener("click", () => reopen(view));
}

async function reprocess(view, button) {
  button.disabled = true;
  try {
    await post(`/api/lectures/${view.lecture.id}/reprocess`);
    reopen(view);
  } catch (error) {
    showError(error);
    button.disabled = false;
  }
}

// ---- ready: the reader ---------------------------------------------------------------

async function drawReader(view) {
  const { root, ctx, lecture } = view;
  const pages = await get(`/api/lectures/${lecture.id}/pages`);
  Object.assign(view, { pages, texts: new Map(), images: pageImages(ctx.signal), seq: 0 });
  if (!pages.length) {
    mount(root, html`${head(view)}<div class="empty" data-testid="no-pages"><p>No pages were found in this file.</p></div>`);
    return;
  }
  const last = pages[pages.length - 1].number;
  mount(
    root,
    html`${head(view)}
      <div class="reader-bar">
        <div class="page-nav">
          <button type="button" class="btn btn-small" data-testid="page-prev" aria-label="Previous page" title="Previous page (← or k)">‹</button>
          <label class="page-jump">Page
            <input type="number" min="${pages[0].number}" max="${last}" inputmode="numeric" data-testid="page-input"
              aria-label="Page number">
            <span>of <span data-testid="page-total">${last}</span></span></label>
          <button type="button" class="btn btn-small" data-testid="page-next" aria-label="Next page" title="Next page (→ or j)">›</button>
          <span data-testid="page-source-slot"></span>
          <button type="button" class="btn btn-small" data-testid="crop-toggle" aria-pressed="false" title="Crop a region of the page into a card image">✂ Crop to card</button>
          <span class="sr-only" aria-live="polite" data-testid="page-announce"></span>
        </div>
        <form class="lecture-search" role="search" data-testid="lecture-search-form">
          <input type="search" name="q" value="${view.query}" placeholder="Search within this lecture" autocomplete="off"
            aria-label="Search within this lecture" data-testid="lecture-search-input">
          <button type="submit" class="btn btn-small">Search</button>
        </form>
      </div>
      <section class="panel makecards" data-testid="makecards-panel" aria-label="Make cards" hidden></section>
      <div class="lecture-hits" data-testid="lecture-search-results" hidden></div>
      <div class="reader" data-testid="reader">
        <figure class="page-figure" data-testid="page-figure">
          <img data-testid="page-image" alt="" hidden>
          <figcaption class="muted" data-testid="page-image-note"></figcaption>
        </figure>
        <article class="page-text" data-testid="page-text" tabindex="0" aria-label="Page text"></article>
      </div>
      <nav class="thumbs" data-testid="thumb-strip" aria-label="Pages" ${pages.length < 2 ? "hidden" : ""}></nav>`,
  );
  view.strip = thumbStrip($("[data-testid=thumb-strip]", root), {
    lectureId: lecture.id,
    pages,
    signal: ctx.signal,
    onPick: (number) => showPage(view, number),
  });
  wireReader(view);
  const cards = makeCardsPanel($("[data-testid=makecards-panel]", root), { lecture, signal: ctx.signal, currentPage: () => view.page });
  $("[data-testid=make-cards]", root).addEventListener("click", () => cards.toggle());
  wireCrop(root, { lecture, currentPage: () => view.page, signal: ctx.signal, navigate: ctx.navigate });
  const wanted = Number(ctx.query.get("page")) || pages[0].number;
  await showPage(view, wanted);
}

function wireReader(view) {
  const { root, ctx } = view;
  $("[data-testid=page-prev]", root).addEventListener("click", () => step(view, -1));
  $("[data-testid=page-next]", root).addEventListener("click", () => step(view, 1));
  const input = $("[data-testid=page-input]", root);
  input.addEventListener("change", () => {
    if (input.value.trim() === "") input.value = view.page;
    else showPage(view, Number(input.value));
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      input.blur(); // so ←/→ and j/k turn pages again (blurring also fires "change")
    }
  });
  document.addEventListener(
    "keydown",
    (event) => {
      if (event.altKey || event.ctrlKey || event.metaKey || isTyping(event.target) || document.querySelector("dialog[open]")) return;
      const delta = { ArrowLeft: -1, k: -1, ArrowRight: 1, j: 1 }[event.key];
      if (!delta) return;
      event.preventDefault();
      step(view, delta);
    },
    { signal: ctx.signal },
  );
  const form = $("[data-testid=lecture-search-form]", root);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    searchLecture(view, form.q.value.trim());
  });
}

function isTyping(target) {
  return target instanceof HTMLElement && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
}

function step(view, delta) {
  const index = view.pages.findIndex((p) => p.number === view.page);
  const next = view.pages[index + delta];
  if (next) showPage(view, next.number);
}

async function showPage(view, wanted) {
  const { root, ctx, pages, lecture } = view;
  if (!Number.isFinite(wanted)) wanted = view.page ?? pages[0].number;
  const page = pages.find((p) => p.number === wanted) ?? (wanted < pages[0].number ? pages[0] : pages[pages.length - 1]);
  const seq = ++view.seq;
  view.page = page.number;
  const query = new URLSearchParams({ page: page.number });
  if (view.query) query.set("q", view.query);
  history.replaceState(null, "", `#/lecture/${lecture.id}?${query}`);
  $("[data-testid=page-input]", root).value = page.number;
  $("[data-testid=page-announce]", root).textContent = `Page ${page.number} of ${pages[pages.length - 1].number}`;
  $("[data-testid=page-prev]", root).disabled = page === pages[0];
  $("[data-testid=page-next]", root).disabled = page === pages[pages.length - 1];
  mount($("[data-testid=page-source-slot]", root), sourceBadge(page));
  $("[data-testid=reader]", root).dataset.page = page.number;
  $("[data-testid=reader]", root).classList.toggle("no-image", !page.has_image);
  view.strip.setActive(page.number);
  const text = $("[data-testid=page-text]", root);
  text.setAttribute("aria-busy", "true");
  drawImage(view, page, seq);
  try {
    const detail = await pageDetail(view, page.number);
    if (seq !== view.seq || ctx.signal.aborted) return;
    text.dataset.page = page.number;
    mount(
      text,
      detail.text.trim()
        ? highlight(detail.text, view.query)
        : html`<p class="muted" data-testid="page-empty">No text was found on this page.</p>`,
    );
  } catch (error) {
    if (seq === view.seq && !ctx.signal.aborted) {
      mount(text, html`<p class="row-error" role="alert">${error.message}</p>`);
      showError(error);
    }
  } finally {
    if (seq === view.seq) text.removeAttribute("aria-busy");
  }
  prefetch(view, page);
}

function pageDetail(view, number) {
  if (!view.texts.has(number)) {
    const loading = get(`/api/lectures/${view.lecture.id}/pages/${number}`);
    loading.catch(() => view.texts.delete(number)); // a failure is shown once, then retried next time
    view.texts.set(number, loading);
  }
  return view.texts.get(number);
}

async function drawImage(view, page, seq) {
  const { root, lecture, ctx } = view;
  const img = $("[data-testid=page-image]", root);
  const note = $("[data-testid=page-image-note]", root);
  const figure = $("[data-testid=page-figure]", root);
  if (!page.has_image) {
    img.hidden = true;
    img.removeAttribute("src");
    note.textContent = "";
    return;
  }
  figure.classList.add("loading");
  note.textContent = "";
  img.alt = `Page ${page.number} of ${lecture.title}`;
  try {
    const url = await view.images.url(`/api/lectures/${lecture.id}/pages/${page.number}/image`);
    if (seq !== view.seq || ctx.signal.aborted) return;
    img.src = url;
    img.hidden = false;
    img.dataset.page = page.number;
  } catch (error) {
    if (error.name === "AbortError" || seq !== view.seq) return;
    img.hidden = true;
    note.textContent = `The page image could not be loaded: ${error.message}`;
  } finally {
    if (seq === view.seq) figure.classList.remove("loading");
  }
}

/** The next page is the likely next stop: fetch it while the reader reads. */
function prefetch(view, page) {
  const next = view.pages[view.pages.indexOf(page) + 1];
  if (!next || view.ctx.signal.aborted) return;
  pageDetail(view, next.number).catch(() => {});
  if (next.has_image) view.images.url(`/api/lectures/${view.lecture.id}/pages/${next.number}/image`).catch(() => {});
}

/** The page text with the search words marked (escaped by html``; only <mark> is added). */
function highlight(text, query) {
  const words = query
    .split(/\s+/)
    .map((w) => w.replace(/[^\p{L}\p{N}]/gu, ""))
    .filter((w) => w.length > 1);
  if (!words.length) return text;
  const pattern = new RegExp(`(${words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|")})`, "giu");
  return text.split(pattern).map((part, i) => (i % 2 ? html`<mark>${part}</mark>` : part));
}

// ---- search within the lecture -------------------------------------------------------

async function searchLecture(view, q) {
  const { root, lecture, ctx } = view;
  const box = $("[data-testid=lecture-search-results]", root);
  if (!q) {
    box.hidden = true;
    return;
  }
  box.hidden = false;
  mount(box, html`<p class="muted" aria-busy="true">Searching…</p>`);
  let answer;
  try {
    answer = await get("/api/search", { q, lecture_id: lecture.id, limit: 20 });
  } catch (error) {
    if (ctx.signal.aborted) return;
    mount(box, html`<p class="row-error" role="alert">${error.message}</p>`);
    showError(error);
    return;
  }
  if (ctx.signal.aborted) return;
  const { results } = answer;
  mount(
    box,
    html`<div class="hits-head">
        <span class="muted" data-testid="lecture-search-count">${results.length ? `${results.length} ${results.length === 1 ? "match" : "matches"}` : `No matches for “${q}” in this lecture.`}</span>
        <button type="button" class="btn btn-ghost btn-small" data-action="close-hits">Close</button>
      </div>
      ${answer.semantic ? "" : html`<p class="hint" data-testid="semantic-note">Meaning search is warming up; showing keyword matches.</p>`}
      <ol class="hits">${results.map(
        (r) => html`<li><button type="button" class="hit" data-page="${r.page}" data-testid="lecture-search-result">
          <span class="hit-page">p. ${r.page}</span><span class="snippet">${trusted(r.snippet)}</span>
        </button></li>`,
      )}</ol>`,
  );
  $("[data-action=close-hits]", box).addEventListener("click", () => {
    box.hidden = true;
  });
  for (const button of box.querySelectorAll("[data-page]")) {
    button.addEventListener("click", () => {
      view.query = q; // the page's text marks these words
      showPage(view, Number(button.dataset.page));
    });
  }
}
