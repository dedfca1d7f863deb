// The conversation list beside the chat: title, what it asks about and when it was last active,
// with rename in place and delete after a confirmation. Re-read whenever chat events arrive.

import { del, get, patch } from "./api.js";
import { $, confirmDialog, debounce, formatDateTime, html, mount, plural, relativeTime, showError } from "./ui.js";

const REFRESH_MS = 400;

export class ConversationList {
  /** `currentId` is the open conversation: `onCurrent(summary)` gets its newest summary (a new title). */
  constructor(element, { conversations, currentId, signal, onDeleted, onCurrent }) {
    Object.assign(this, { element, conversations, currentId, signal, onDeleted, onCurrent });
    this.refresh = debounce(() => this.reload(), REFRESH_MS);
    signal.addEventListener("abort", () => this.refresh.cancel(), { once: true });
    this.draw();
  }

  async reload() {
    try {
      const conversations = await get("/api/conversations");
      if (this.signal.aborted) return;
      this.conversations = conversations;
      const current = conversations.find((c) => String(c.id) === String(this.currentId));
      if (current) this.onCurrent(current);
      if (this.element.querySelector("form")) return; // never redraw under a rename being typed
      this.draw();
    } catch (error) {
      if (!this.signal.aborted) showError(error);
    }
  }

  draw() {
    if (!this.conversations.length) {
      mount(this.element, html`<li class="muted chat-list-empty" data-testid="chat-list-empty">No conversations yet.</li>`);
      return;
    }
    mount(this.element, html`${this.conversations.map((c) => this.item(c))}`);
    for (const li of this.element.querySelectorAll("[data-testid=chat-conversation]")) this.wire(li);
  }

  item(c) {
    const current = String(c.id) === String(this.currentId);
    const title = c.title || "Untitled conversation";
    return html`<li class="chat-conv ${current ? "current" : ""}" data-testid="chat-conversation" data-conversation-id="${c.id}">
      <a class="chat-conv-link" href="#/chat/${c.id}" ${current ? html`aria-current="page"` : ""}>
        <span class="chat-conv-title" data-testid="chat-conversation-title">${title}</span>
        <span class="chat-conv-meta">
          <span class="chat-scope-tag scope-${c.scope}" data-testid="chat-conversation-scope">${c.scope_label}</span>
          <time datetime="${c.updated_at}" title="${formatDateTime(c.updated_at)}">${relativeTime(c.updated_at)}</time>
        </span>
      </a>
      <div class="chat-conv-actions">
        <button type="button" class="btn btn-ghost btn-small" data-action="rename" data-testid="chat-rename"
          aria-label="Rename “${title}”">Rename</button>
        <button type="button" class="btn btn-ghost btn-small" data-action="delete" data-testid="chat-delete"
          aria-label="Delete “${title}”">Delete</button>
      </div>
    </li>`;
  }

  summaryOf(li) {
    return this.conversations.find((c) => String(c.id) === li.dataset.conversationId);
  }

  wire(li) {
    $("[data-action=rename]", li).addEventListener("click", () => this.startRename(li));
    $("[data-action=delete]", li).addEventListener("click", (event) => this.remove(li, event.currentTarget));
  }

  startRename(li) {
    const conversation = this.summaryOf(li);
    mount(
      li,
      html`<form class="chat-rename" data-testid="chat-rename-form">
        <label class="field"><span>Conversation title</span>
          <input name="title" required maxlength="200" autocomplete="off" value="${conversation.title ?? ""}"
            data-testid="chat-rename-input"></label>
        <div class="form-actions">
          <button type="submit" class="btn btn-primary btn-small" data-testid="chat-rename-save">Save</button>
          <button type="button" class="btn btn-ghost btn-small" data-action="cancel">Cancel</button>
        </div>
      </form>`,
    );
    const form = $("form", li);
    const close = () => this.draw();
    $("[data-action=cancel]", form).addEventListener("click", close);
    form.title.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault(); // not "stop the answer": this Escape closes the rename
        close();
      }
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const title = form.title.value.trim();
      if (!title) {
        form.title.focus();
        return;
      }
      const save = $("[data-testid=chat-rename-save]", form);
      save.disabled = true;
      try {
        const updated = await patch(`/api/conversations/${conversation.id}`, { title });
        this.conversations = this.conversations.map((c) => (c.id === updated.id ? updated : c));
        close();
        if (String(updated.id) === String(this.currentId)) this.onCurrent(updated);
      } catch (error) {
        showError(error);
        save.disabled = false;
      }
    });
    form.title.select();
  }

  async remove(li, button) {
    const conversation = this.summaryOf(li);
    const count = conversation.message_count ?? 0;
    const ok = await confirmDialog(
      `“${conversation.title || "Untitled conversation"}”${count ? ` and its ${plural(count, "message")}` : ""} will be deleted.`,
      { title: "Delete this conversation?", confirmLabel: "Delete", danger: true },
    );
    if (!ok) return;
    button.disabled = true;
    try {
      await del(`/api/conversations/${conversation.id}`);
    } catch (error) {
      button.disabled = false;
      if (error.status !== 404) {
        showError(error);
        return;
      }
    }
    this.conversations = this.conversations.filter((c) => c.id !== conversation.id);
    this.draw();
    this.onDeleted(conversation.id);
  }
}
