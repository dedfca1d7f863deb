// Search (#/search?q=words&course=N): hybrid search over the user's lectures. Each result
// names its lecture, course and page, shows the highlighted passage, and opens that page.

import { get } from "../api.js";
import { $, html, mount, plural, setTitle, showError, trusted } from "../ui.js";

const LIMIT = 20;
const MATCH_LABELS = { keyword: "keyword", semantic: "meaning" };
const MATCH_TITLES = {
  keyword: "Contains the words you searched for",
  semantic: "Close in meaning to what you searched for",
};

export async function render(root, ctx) {
  const q = (ctx.query.get("q") ?? "").trim();
  const courseId = ctx.query.get("course") ?? "";
  setTitle(q ? `“${q}” · Search` : "Search");
  const courses = await get("/api/courses");
  const lectureCount = courses.reduce((sum, c) => sum + c.lecture_count, 0);
  mount(
    root,
    html`<div class="page-head">
        <div>
          <h1>Search</h1>
          <p class="muted">Find a passage in any of your lectures, by its words or by what it means.</p>
        </div>
      </div>
      <form class="search-form" role="search" data-testid="search-form">
        <label class="field grow"><span>Search for</span>
          <input type="search" name="q" value="${q}" required autocomplete="off" placeholder="e.g. how do ribosomes translate mRNA"
            data-testid="search-input"></label>
        <label class="field"><span>Course</span>
          <select name="course" data-testid="search-course">
            <option value="">All courses</option>
            ${courses.map((c) => html`<option value="${c.id}" ${String(c.id) === courseId ? "selected" : ""}>${c.name}</option>`)}
          </select></label>
        <button type="submit" class="btn btn-primary" data-testid="search-submit">Search</button>
      </form>
      <div data-testid="search-region">${q ? html`<p class="loading" aria-busy="true">Searching…</p>` : intro(lectureCount)}</div>`,
  );
  const form = $("[data-testid=search-form]", root);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const params = new URLSearchParams({ q: form.q.value.trim() });
    if (form.course.value) params.set("course", form.course.value);
    ctx.navigate(`#/search?${params}`);
  });
  form.course.addEventListener("change", () => {
    if (form.q.value.trim()) form.requestSubmit();
  });
  if (!q) {
    form.q.focus();
    return;
  }
  const region = $("[data-testid=search-region]", root);
  try {
    const answer = await get("/api/search", { q, course_id: courseId, limit: LIMIT });
    if (!ctx.signal.aborted) mount(region, results(answer, q, lectureCount));
  } catch (error) {
    if (ctx.signal.aborted) return;
    mount(region, html`<p class="row-error" role="alert" data-testid="search-error">${error.message}</p>`);
    showError(error);
  }
}

function intro(lectureCount) {
  if (!lectureCount) {
    return html`<div class="empty" data-testid="search-empty">
      <p><strong>Nothing to search yet.</strong></p>
      <p>Upload lecture slides, PDFs or scans in the Library; once they are read, every page is searchable here.</p>
      <p><a class="btn btn-primary" href="#/library">Go to the Library</a></p>
    </div>`;
  }
  return html`<p class="muted" data-testid="search-hint">Search across ${plural(lectureCount, "lecture")}. Quotes are not needed:
    Lectern matches the words and, once meaning search is ready, passages that say the same in other words.</p>`;
}

function results(answer, q, lectureCount) {
  const note = answer.semantic
    ? ""
    : html`<p class="hint search-note" data-testid="semantic-note">Meaning search is warming up; showing keyword matches.</p>`;
  if (!answer.results.length) {
    return html`${note}<div class="empty" data-testid="search-no-results">
      <p><strong>No matches for “${q}”.</strong></p>
      <p>${lectureCount
        ? "Try fewer or different words, or search all courses."
        : html`You have no lectures yet: <a href="#/library">upload some in the Library</a>.`}</p>
    </div>`;
  }
  return html`${note}
    <p class="muted" data-testid="search-summary">${plural(answer.results.length, "passage")} for “${q}”</p>
    <ol class="results" data-testid="search-results">${answer.results.map((r) => result(r, q))}</ol>`;
}

function result(r, q) {
  const target = new URLSearchParams({ page: r.page, q });
  return html`<li>
    <a class="result" href="#/lecture/${r.lecture_id}?${target}" data-testid="search-result"
      data-lecture-id="${r.lecture_id}" data-page="${r.page}">
      <span class="result-head">
        <span class="result-title" data-testid="result-lecture">${r.lecture_title}</span>
        <span class="result-page" data-testid="result-page">p. ${r.page}</span>
      </span>
      <span class="result-course muted" data-testid="result-course">${r.course_name}</span>
      <span class="snippet" data-testid="result-snippet">${trusted(r.snippet)}</span>
      <span class="match-kinds">${(r.matched ?? []).map(
        (m) => html`<span class="match match-${m}" title="${MATCH_TITLES[m] ?? ""}" data-testid="result-match">${MATCH_LABELS[m] ?? m}</span>`,
      )}</span>
    </a>
  </li>`;
}
