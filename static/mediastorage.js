// Settings → "Storage": how much of the media quota the card images and audio use, and the library
// itself (thumbnails, which cards show a file, delete).

import { ApiError, del, get } from "./api.js";
import { BlobImages } from "./pageimages.js";
import { busy, confirmDialog, html, mount, plural, showError, toast } from "./ui.js";
import { formatBytes } from "./media.js";

const PAGE_SIZE = 60;

/** Appends the panel to the settings grid and fills it. */
export async function mountStorage(grid, { signal }) {
  const panel = document.createElement("section");
  panel.className = "panel media-storage";
  panel.dataset.testid = "storage-section";
  panel.setAttribute("aria-labelledby", "storage-title");
  grid.append(panel);
  const view = { panel, signal, images: new BlobImages(signal), page: 1 };
  await draw(view);
}

async function draw(view) {
  const { panel } = view;
  let data;
  try {
    data = await get("/api/media", { page: view.page, page_size: PAGE_SIZE });
  } catch (error) {
    mount(panel, html`<h2 id="storage-title">Storage</h2><p class="form-error" role="alert">${error.message}</p>`);
    return;
  }
  const { usage, items, total } = data;
  const share = usage.limit_bytes ? Math.min(1, usage.used_bytes / usage.limit_bytes) : 0;
  mount(
    panel,
    html`<h2 id="storage-title">Storage</h2>
      <p data-testid="storage-usage">Card images and audio use <strong>${formatBytes(usage.used_bytes)}</strong>
        of ${formatBytes(usage.limit_bytes)} (${plural(usage.media_count, "file")}).</p>
      <div class="storage-bar ${share >= 0.95 ? "full" : ""}" role="meter" aria-label="Media storage used"
        aria-valuemin="0" aria-valuemax="${usage.limit_bytes}" aria-valuenow="${usage.used_bytes}">
        <span style="width: ${(share * 100).toFixed(1)}%"></span></div>
      ${items.length
        ? html`<ul class="media-library" data-testid="media-library">${items.map(
            (m) => html`<li class="media-item" data-testid="media-item" data-media-id="${m.id}">
              ${m.kind === "image" ? html`<img alt="${m.original_name}" data-thumb="${m.id}">` : html`<span class="media-icon" aria-hidden="true">♪</span>`}
              <span class="media-name" title="${m.original_name}">${m.original_name}</span>
              <span class="media-meta">${formatBytes(m.size_bytes)} · ${m.notes ? plural(m.notes, "card") : "not on a card"}</span>
              <button type="button" class="btn btn-small btn-danger" data-testid="media-delete" data-id="${m.id}"
                data-notes="${m.notes}" aria-label="Delete ${m.original_name}">Delete</button>
            </li>`,
          )}</ul>
          ${total > PAGE_SIZE ? html`<p class="muted">Showing ${items.length} of ${total}, newest first.
            ${view.page > 1 ? html`<button type="button" class="btn btn-small" data-testid="media-newer">Newer</button>` : ""}
            ${view.page * PAGE_SIZE < total ? html`<button type="button" class="btn btn-small" data-testid="media-older">Older</button>` : ""}</p>` : ""}`
        : html`<p class="muted" data-testid="media-empty">No media yet: attach images or audio in the card editor.</p>`}`,
  );
  for (const img of panel.querySelectorAll("img[data-thumb]")) {
    view.images.url(`/api/media/${img.dataset.thumb}/thumbnail`).then(
      (url) => (img.src = url),
      (error) => error.name !== "AbortError" && (img.title = error.message),
    );
  }
  panel.querySelector("[data-testid=media-newer]")?.addEventListener("click", () => turn(view, -1));
  panel.querySelector("[data-testid=media-older]")?.addEventListener("click", () => turn(view, 1));
  for (const button of panel.querySelectorAll("[data-testid=media-delete]")) {
    button.addEventListener("click", () => busy(button, () => remove(view, button)));
  }
}

function turn(view, delta) {
  view.page = Math.max(1, view.page + delta);
  draw(view);
}

async function remove(view, button) {
  const notes = Number(button.dataset.notes);
  const ok = await confirmDialog(
    notes
      ? `${plural(notes, "card")} show${notes === 1 ? "s" : ""} this file; they will show “missing media” instead.`
      : "The file is removed from your library.",
    { title: "Delete this file?", confirmLabel: "Delete", danger: true },
  );
  if (!ok) return;
  try {
    await del(`/api/media/${button.dataset.id}${notes ? "?force=true" : ""}`);
    toast("File deleted", "success");
  } catch (error) {
    if (error instanceof ApiError && error.status === 409) toast(error.message, "error");
    else showError(error);
  }
  await draw(view);
}

