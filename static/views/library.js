// Library (#/library?course=N): courses on the side, the selected course's lectures with
// their live processing state, and the drop zone / file picker that uploads into it.

import { del, get, patch, post } from "../api.js";
import { $, busy, confirmDialog, html, mount, plural, setTitle, showError, toast } from "../ui.js";
import { subscribe } from "../ws.js";
import { ACCEPTED_FILES } from "../lectures.js";
import { LectureList } from "./library-rows.js";

export async function render(root, ctx) {
  setTitle("Library");
  const courses = await get("/api/courses");
  const wanted = ctx.query.get("course");
  const course = courses.find((c) => String(c.id) === wanted) ?? courses[0] ?? null;
  if (course && String(course.id) !== wanted) history.replaceState(null, "", `#/library?course=${course.id}`);
  const lectures = course ? await get("/api/lectures", { course_id: course.id }) : [];
  const view = { root, ctx, courses, course, list: null };
  draw(view, lectures);
  const unsubscribe = subscribe((event) => view.list?.onEvent(event));
  ctx.signal.addEventListener("abort", unsubscribe, { once: true });
}

function draw(view, lectures) {
  const { root, course } = view;
  if (course) setTitle(`${course.name} · Library`);
  mount(
    root,
    html`<div class="page-head">
        <div>
          <h1>Library</h1>
          <p class="muted">Your courses and the lecture material in them: slides, PDFs, scans and notes.</p>
        </div>
        <div class="page-actions"><a class="btn" href="#/search" data-testid="library-search">Search lectures</a></div>
      </div>
      <div class="library">
        <aside class="course-side" aria-label="Courses">
          <ul class="course-list" data-testid="course-list"></ul>
          <form class="new-course" data-testid="new-course-form">
            <label class="field"><span>New course</span>
              <input name="name" required maxlength="120" autocomplete="off" placeholder="e.g. Cell Biology"
                data-testid="new-course-name"></label>
            <button type="submit" class="btn btn-block" data-testid="new-course-submit">Create course</button>
          </form>
        </aside>
        <section class="course-main" data-testid="course-main">
          ${course ? courseBody(course) : noCourses()}
        </section>
      </div>`,
  );
  drawCourseList(view);
  wireNewCourse(view);
  if (!course) return;
  view.list = new LectureList({
    element: $("[data-testid=lecture-list]", root),
    emptyElement: $("[data-testid=lectures-empty]", root),
    course,
    lectures,
    signal: view.ctx.signal,
    onCountChange: () => refreshCourses(view),
  });
  wireCourseHead(view);
  wireDrop(view);
}

function noCourses() {
  return html`<div class="empty" data-testid="courses-empty">
    <p><strong>Start with a course.</strong></p>
    <p>A course groups the lectures of one subject. Create your first one under “New course” (for
      example “Cell Biology”), then drop its slides, PDFs or scanned notes here.</p>
  </div>`;
}

function courseBody(course) {
  return html`<div class="course-head" data-testid="course-head">
      <h2 class="course-title" data-testid="course-title">${course.name}</h2>
      <div class="page-actions">
        <button type="button" class="btn btn-small" data-testid="course-rename">Rename</button>
        <button type="button" class="btn btn-small btn-danger" data-testid="course-delete">Delete…</button>
      </div>
    </div>
    <form class="rename-course form-row" data-testid="rename-course-form" hidden>
      <label class="field grow"><span>Course name</span>
        <input name="name" required maxlength="120" autocomplete="off" data-testid="rename-course-name"></label>
      <button type="submit" class="btn btn-primary" data-testid="rename-course-save">Save</button>
      <button type="button" class="btn" data-action="cancel-rename">Cancel</button>
    </form>
    <div class="dropzone" data-testid="dropzone">
      <input type="file" id="lecture-files" class="sr-only file-input" multiple accept="${ACCEPTED_FILES}"
        data-testid="file-input">
      <p class="dropzone-title"><strong>Drop lecture files here</strong> <span class="muted">or</span>
        <label for="lecture-files" class="btn btn-primary btn-small" data-testid="choose-files">Choose files</label></p>
      <p class="muted dropzone-hint">PDF, PowerPoint (.pptx), images (PNG, JPEG, TIFF, WebP), text or Markdown.
        Scans are read with OCR.</p>
    </div>
    <ul class="lecture-list" data-testid="lecture-list" aria-label="Lectures in ${course.name}"></ul>
    <div class="empty" data-testid="lectures-empty" hidden>
      <p><strong>No lectures in this course yet.</strong></p>
      <p>Upload the slides or notes of a lecture above. Lectern reads every page, so you can search it,
        read it beside the page image and make cards from it.</p>
    </div>`;
}

function drawCourseList(view) {
  const { root, courses, course } = view;
  mount(
    $("[data-testid=course-list]", root),
    html`${courses.map(
      (c) => html`<li><a class="course-item" href="#/library?course=${c.id}" data-testid="course-item"
        data-course-id="${c.id}" ${course && c.id === course.id ? html`aria-current="page"` : ""}>
        <span class="course-name">${c.name}</span>
        <span class="course-count" data-testid="course-count" title="${plural(c.lecture_count, "lecture")}">${c.lecture_count}</span>
      </a></li>`,
    )}`,
  );
}

async function refreshCourses(view) {
  try {
    const courses = await get("/api/courses");
    if (view.ctx.signal.aborted) return;
    view.courses = courses;
    drawCourseList(view);
  } catch (error) {
    showError(error);
  }
}

function wireNewCourse(view) {
  const form = $("[data-testid=new-course-form]", view.root);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const name = form.name.value.trim();
    if (!name) {
      toast("Give the course a name.", "error");
      form.name.focus();
      return;
    }
    busy($("[data-testid=new-course-submit]", form), async () => {
      try {
        const course = await post("/api/courses", { name });
        toast(`Course “${course.name}” created`, "success");
        view.ctx.navigate(`#/library?course=${course.id}`);
      } catch (error) {
        showError(error);
      }
    });
  });
}

function wireCourseHead(view) {
  const { root } = view;
  const form = $("[data-testid=rename-course-form]", root);
  $("[data-testid=course-rename]", root).addEventListener("click", () => {
    form.name.value = view.course.name;
    form.hidden = false;
    form.name.select();
  });
  $("[data-action=cancel-rename]", form).addEventListener("click", () => {
    form.hidden = true;
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy($("[data-testid=rename-course-save]", form), async () => {
      try {
        view.course = await patch(`/api/courses/${view.course.id}`, { name: form.name.value.trim() });
        form.hidden = true;
        $("[data-testid=course-title]", root).textContent = view.course.name;
        setTitle(`${view.course.name} · Library`);
        await refreshCourses(view);
        toast("Course renamed", "success");
      } catch (error) {
        showError(error);
      }
    });
  });
  $("[data-testid=course-delete]", root).addEventListener("click", async () => {
    const { course } = view;
    const count = view.list.lectureCount();
    const ok = await confirmDialog(
      count
        ? `“${course.name}” and its ${plural(count, "lecture")} (pages, text and search index) will be deleted. This cannot be undone.`
        : `The empty course “${course.name}” will be deleted.`,
      { title: "Delete this course?", confirmLabel: "Delete course", danger: true },
    );
    if (!ok) return;
    try {
      await del(`/api/courses/${course.id}`);
      toast(`Course “${course.name}” deleted`, "success");
      view.ctx.navigate("#/library");
    } catch (error) {
      showError(error);
    }
  });
}

function wireDrop(view) {
  const { root, ctx } = view;
  const zone = $("[data-testid=dropzone]", root);
  const input = $("[data-testid=file-input]", root);
  input.addEventListener("change", () => {
    view.list.upload([...input.files]);
    input.value = ""; // choosing the same file again must fire change again
  });
  // The whole view takes drops (a near miss must not make the browser open the file instead).
  let depth = 0;
  const hasFiles = (event) => [...(event.dataTransfer?.types ?? [])].includes("Files");
  const options = { signal: ctx.signal };
  root.addEventListener(
    "dragenter",
    (event) => {
      if (!hasFiles(event)) return;
      depth += 1;
      zone.classList.add("dragging");
    },
    options,
  );
  root.addEventListener(
    "dragleave",
    () => {
      depth = Math.max(0, depth - 1);
      if (!depth) zone.classList.remove("dragging");
    },
    options,
  );
  root.addEventListener(
    "dragover",
    (event) => {
      if (!hasFiles(event)) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = "copy";
    },
    options,
  );
  root.addEventListener(
    "drop",
    (event) => {
      if (!hasFiles(event)) return;
      event.preventDefault();
      depth = 0;
      zone.classList.remove("dragging");
      const files = [...event.dataTransfer.files];
      if (files.length) view.list.upload(files);
    },
    options,
  );
}
