// "Crop to card" in the lecture viewer: drag a rectangle on the page image, pick a deck, and the region
// becomes an image in the media library and the front of a new card (with the page named). Esc cancels.

import { get, post } from "./api.js";
import { html, mount, showError } from "./ui.js";

const MIN_FRACTION = 0.01;

/** Wires the reader's crop button (in `root`). `currentPage()` gives the page shown. */
export function wireCrop(root, { lecture, currentPage, signal, navigate }) {
  const [button, figure, image] = ["crop-toggle", "page-figure", "page-image"].map((id) => root.querySelector(`[data-testid=${id}]`));
  let active = false;
  let rect = null; // {x, y, width, height} in fractions of the image
  let start = null;
  const box = document.createElement("div");
  box.className = "crop-rect";
  box.dataset.testid = "crop-rect";
  const bar = document.createElement("div");
  bar.className = "crop-bar";
  bar.dataset.testid = "crop-bar";

  const fractionAt = (event) => {
    const area = image.getBoundingClientRect();
    const x = Math.min(1, Math.max(0, (event.clientX - area.left) / area.width));
    const y = Math.min(1, Math.max(0, (event.clientY - area.top) / area.height));
    return { x, y };
  };
  const drawBox = () => {
    if (!rect) {
      box.hidden = true;
      return;
    }
    const area = image.getBoundingClientRect();
    const parent = figure.getBoundingClientRect();
    Object.assign(box.style, {
      left: `${area.left - parent.left + rect.x * area.width}px`,
      top: `${area.top - parent.top + rect.y * area.height}px`,
      width: `${rect.width * area.width}px`,
      height: `${rect.height * area.height}px`,
    });
    box.hidden = false;
  };

  const stop = () => {
    active = false;
    rect = null;
    start = null;
    figure.classList.remove("crop-stage");
    box.remove();
    bar.remove();
    button.setAttribute("aria-pressed", "false");
  };

  const begin = async () => {
    if (image.hidden) {
      showError(new Error("This page has no image to crop"));
      return;
    }
    active = true;
    button.setAttribute("aria-pressed", "true");
    figure.classList.add("crop-stage");
    figure.append(box);
    box.hidden = true;
    figure.prepend(bar);
    mount(bar, html`<span class="muted">Drag over the part of page ${currentPage()} to keep (Esc cancels).</span>`);
    let decks;
    try {
      decks = (await get("/api/decks")).filter((d) => d.owned !== false); // a subscribed deck is read-only
    } catch (error) {
      showError(error);
      stop();
      return;
    }
    if (!active) return;
    mount(
      bar,
      html`<span class="muted">Drag over the part of page ${currentPage()} to keep (Esc cancels).</span>
        ${decks.length
          ? html`<label>Deck <select data-testid="crop-deck">${decks.map((d) => html`<option value="${d.id}">${d.name}</option>`)}</select></label>
            <button type="button" class="btn btn-primary btn-small" data-testid="crop-make" disabled>Make card</button>`
          : html`<span data-testid="crop-no-deck">Create a deck first to put the crop on a card.</span>`}
        <button type="button" class="btn btn-small" data-testid="crop-cancel">Cancel</button>`,
    );
    bar.querySelector("[data-testid=crop-cancel]").addEventListener("click", stop);
    bar.querySelector("[data-testid=crop-make]")?.addEventListener("click", (event) => make(event.currentTarget));
  };

  const make = async (makeButton) => {
    const deckId = bar.querySelector("[data-testid=crop-deck]").value;
    const page = currentPage();
    makeButton.disabled = true;
    makeButton.textContent = "Cropping…";
    try {
      const media = await post(`/api/lectures/${lecture.id}/pages/${page}/crop`, rect);
      const front = `![p. ${page}](media:${media.id})`;
      const back = `#/lecture/${lecture.id}?page=${page}`;
      stop();
      navigate(`#/new/${deckId}?${new URLSearchParams({ front, return: back })}`);
    } catch (error) {
      showError(error);
      makeButton.disabled = false;
      makeButton.textContent = "Make card";
    }
  };

  button.addEventListener("click", () => (active ? stop() : begin()));
  image.addEventListener("pointerdown", (event) => {
    if (!active) return;
    event.preventDefault();
    image.setPointerCapture(event.pointerId);
    start = fractionAt(event);
    rect = null;
    drawBox();
  });
  image.addEventListener("pointermove", (event) => {
    if (!active || !start) return;
    const now = fractionAt(event);
    rect = {
      x: Math.min(start.x, now.x),
      y: Math.min(start.y, now.y),
      width: Math.abs(now.x - start.x),
      height: Math.abs(now.y - start.y),
    };
    drawBox();
  });
  image.addEventListener("pointerup", () => {
    if (!active || !start) return;
    start = null;
    const big = rect && rect.width >= MIN_FRACTION && rect.height >= MIN_FRACTION;
    if (!big) rect = null;
    drawBox();
    const makeButton = bar.querySelector("[data-testid=crop-make]");
    if (makeButton) makeButton.disabled = !big;
  });
  image.addEventListener("dragstart", (event) => active && event.preventDefault());
  document.addEventListener(
    "keydown",
    (event) => {
      if (active && event.key === "Escape") {
        event.preventDefault();
        stop();
      }
    },
    { signal },
  );
  signal.addEventListener("abort", stop, { once: true });
  return { stop, isActive: () => active };
}
