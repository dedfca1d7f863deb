// Starting a conversation (#/chat): choose what to ask about — all lectures, a course or one
// lecture (?course=ID / ?lecture=ID preselect it) — and ask the first question. With nothing
// processed yet, it points to the Library instead.

import { get, post } from "./api.js";
import { $, html, mount, showError } from "./ui.js";
import { composer, wireComposer } from "./chatcompose.js";

/** Where the first question waits for its conversation's view, which asks it once opened. */
export const pendingQuestionKey = (conversationId) => `lectern.chat.ask.${conversationId}`;

export async function startPanel(main, { ctx }) {
  const [courses, lectures] = await Promise.all([get("/api/courses"), get("/api/lectures")]);
  if (ctx.signal.aborted) return;
  const ready = lectures.filter((l) => l.status === "ready");
  if (!ready.length) {
    mount(main, noLectures(lectures.length));
    return;
  }
  const courseName = new Map(courses.map((c) => [c.id, c.name]));
  const withLectures = courses.filter((c) => ready.some((l) => l.course_id === c.id));
  const wanted = ctx.query.get("lecture") ? `lecture:${ctx.query.get("lecture")}` : ctx.query.get("course") ? `course:${ctx.query.get("course")}` : "all";
  const option = (value, label) => html`<option value="${value}" ${value === wanted ? "selected" : ""}>${label}</option>`;
  mount(
    main,
    html`<div class="chat-start" data-testid="chat-start">
      <h2 class="chat-title">New conversation</h2>
      <p class="muted">Ask in your own words. Each answer quotes the pages it comes from; follow-up questions keep the context.</p>
      <label class="field chat-scope-field"><span>Ask about</span>
        <select name="scope" data-testid="chat-scope">
          ${option("all", `All lectures (${ready.length})`)}
          <optgroup label="A course">${withLectures.map((c) => option(`course:${c.id}`, c.name))}</optgroup>
          <optgroup label="One lecture">${ready.map((l) => option(`lecture:${l.id}`, `${l.title} · ${courseName.get(l.course_id) ?? ""}`))}</optgroup>
        </select></label>
      <p class="chat-error" role="alert" data-testid="chat-error" hidden></p>
      ${composer("e.g. How do cells make ATP?", "Ask")}
    </div>`,
  );
  const form = $("[data-testid=chat-composer]", main);
  const scope = $("[data-testid=chat-scope]", main);
  wireComposer(form, (question) => begin(main, ctx, scope.value, question));
  form.question.focus();
}

function noLectures(total) {
  return html`<div class="empty chat-empty" data-testid="chat-no-lectures">
    <p><strong>Nothing to ask about yet.</strong></p>
    <p>${total
      ? "Your lectures are still being read. Once one shows “Ready” in the Library, you can ask about it here."
      : "Chat answers from your own lecture material. Upload slides, PDFs, scans or notes in the Library; once they are read, ask anything about them here."}</p>
    <p><a class="btn btn-primary" href="#/library" data-testid="chat-go-library">Go to the Library</a></p>
  </div>`;
}

function scopeBody(value) {
  const [scope, id] = value.split(":");
  return { scope, course_id: scope === "course" ? Number(id) : null, lecture_id: scope === "lecture" ? Number(id) : null };
}

function formError(main, message) {
  const box = $("[data-testid=chat-error]", main);
  box.textContent = message ?? "";
  box.hidden = !message;
}

/** Create the conversation; its view then asks the question (and shows the answer being written). */
async function begin(main, ctx, scopeValue, question) {
  formError(main, null);
  if (!question.trim()) {
    formError(main, "Type a question first.");
    $("[data-testid=chat-input]", main).focus();
    return;
  }
  const send = $("[data-testid=chat-send]", main);
  send.disabled = true;
  try {
    const conversation = await post("/api/conversations", scopeBody(scopeValue));
    sessionStorage.setItem(pendingQuestionKey(conversation.id), question);
    ctx.navigate(`#/chat/${conversation.id}`);
  } catch (error) {
    if (ctx.signal.aborted || error.authLost) return;
    send.disabled = false;
    formError(main, error.message);
    if (!(error.status >= 400 && error.status < 500)) showError(error);
  }
}
