// Attaching images and audio in the card editor: a file picker, pasting an image, or dropping files on a
// field. Each file is uploaded with progress and its reference (![name](media:12) or
// [audio: name](media:12)) goes in at the caret of the field it was meant for.

import { ApiError } from "./api.js";
import { html } from "./ui.js";
import { ACCEPT, formatBytes, precheck, uploadMedia } from "./media.js";

export function attachControls() {
  return html`<div class="media-attach">
    <button type="button" class="btn btn-small" data-testid="attach-media"
      title="Attach an image or audio file (or paste / drop it on a field)">📎 Attach</button>
    <input type="file" accept="${ACCEPT}" multiple hidden data-testid="attach-input">
    <span class="media-progress muted" role="status" aria-live="polite" data-testid="attach-status"></span>
  </div>`;
}

function humanError(file, error) {
  if (error instanceof ApiError) {
    if (error.status === 413 || error.status === 415 || error.status === 400) return error.message;
    return `${file.name} could not be attached: ${error.message}`;
  }
  return `${file.name} could not be attached (${error.message})`;
}

function insertAt(textarea, text) {
  const { selectionStart: start, selectionEnd: end, value } = textarea;
  const before = start > 0 && !/\s$/.test(value.slice(0, start)) ? " " : "";
  textarea.setRangeText(`${before}${text}`, start, end, "end");
  textarea.dispatchEvent(new Event("input", { bubbles: true }));
}

/**
 * Wires attaching for `fields` (textareas); `container` holds attachControls(). `onError(message)` shows a
 * failure; the last focused field receives picked files.
 */
export function wireMediaAttach({ container, fields, signal, onError }) {
  const button = container.querySelector("[data-testid=attach-media]");
  const input = container.querySelector("[data-testid=attach-input]");
  const status = container.querySelector("[data-testid=attach-status]");
  let target = fields[0];
  let running = 0;

  const attach = async (files, field) => {
    for (const file of files) {
      const refused = precheck(file);
      if (refused) {
        onError(refused);
        continue;
      }
      running += 1;
      status.textContent = `Uploading ${file.name}…`;
      try {
        const media = await uploadMedia(file, {
          signal,
          onProgress: (loaded, total) => {
            const percent = total ? Math.round((loaded / total) * 100) : 0;
            status.textContent = `Uploading ${file.name}: ${percent}% of ${formatBytes(total || file.size)}`;
          },
        });
        insertAt(field, media.reference);
        onError(null);
      } catch (error) {
        if (error.name !== "AbortError") onError(humanError(file, error));
      } finally {
        running -= 1;
        if (!running) status.textContent = "";
      }
    }
  };

  for (const field of fields) {
    field.addEventListener("focus", () => {
      target = field;
    });
    field.addEventListener("paste", (event) => {
      const files = [...(event.clipboardData?.files ?? [])];
      if (!files.length) return; // plain text pastes as usual
      event.preventDefault();
      attach(files, field);
    });
    field.addEventListener("dragover", (event) => {
      if (![...(event.dataTransfer?.types ?? [])].includes("Files")) return;
      event.preventDefault();
      field.classList.add("drop-target");
    });
    field.addEventListener("dragleave", () => field.classList.remove("drop-target"));
    field.addEventListener("drop", (event) => {
      field.classList.remove("drop-target");
      const files = [...(event.dataTransfer?.files ?? [])];
      if (!files.length) return;
      event.preventDefault();
      field.focus();
      attach(files, field);
    });
  }
  button.addEventListener("click", () => input.click());
  input.addEventListener("change", () => {
    const files = [...input.files];
    input.value = "";
    attach(files, target);
  });
}
