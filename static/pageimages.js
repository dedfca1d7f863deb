// Page images for the lecture viewer. They need the bearer token, so <img src> cannot load
// them: each is fetched as a blob and shown through an object URL, revoked when the view goes.

import { fetchBlob } from "./api.js";
import { html, mount } from "./ui.js";

const KEEP_FULL_IMAGES = 12; // page images are large; thumbnails are all kept
const PARALLEL_THUMBS = 4;

/** Object URLs for authenticated image paths, revoked when `signal` aborts. */
export class BlobImages {
  constructor(signal, { limit = Infinity } = {}) {
    this.signal = signal;
    this.limit = limit;
    this.urls = new Map(); // path → object URL, oldest first
    this.pending = new Map(); // path → Promise<object URL>
    signal.addEventListener("abort", () => this.dispose(), { once: true });
  }

  url(path) {
    const known = this.urls.get(path);
    if (known) {
      this.urls.delete(path); // most recently used goes last
      this.urls.set(path, known);
      return Promise.resolve(known);
    }
    if (!this.pending.has(path)) {
      const loading = fetchBlob(path, { signal: this.signal })
        .then((blob) => {
          if (this.signal.aborted) throw new DOMException("The view was left", "AbortError");
          const url = URL.createObjectURL(blob);
          this.urls.set(path, url);
          this.evict();
          return url;
        })
        .finally(() => this.pending.delete(path));
      this.pending.set(path, loading);
    }
    return this.pending.get(path);
  }

  evict() {
    while (this.urls.size > this.limit) {
      const [oldest, url] = this.urls.entries().next().value;
      this.urls.delete(oldest);
      URL.revokeObjectURL(url);
    }
  }

  dispose() {
    for (const url of this.urls.values()) URL.revokeObjectURL(url);
    this.urls.clear();
  }
}

export function pageImages(signal) {
  return new BlobImages(signal, { limit: KEEP_FULL_IMAGES });
}

/**
 * The thumbnail strip: one button per page, each thumbnail fetched only when it scrolls near
 * the strip's visible part (a lecture may have 500 pages). Returns {setActive(number)}.
 */
export function thumbStrip(container, { lectureId, pages, signal, onPick }) {
  const images = new BlobImages(signal);
  mount(
    container,
    html`${pages.map(
      (page) => html`<button type="button" class="thumb" data-page="${page.number}" data-testid="thumb"
        aria-label="Page ${page.number}" title="Page ${page.number}">
        ${page.has_image ? html`<img alt="" data-testid="thumb-image">` : html`<span class="thumb-blank" aria-hidden="true"></span>`}
        <span class="thumb-number">${page.number}</span>
      </button>`,
    )}`,
  );
  const queued = new Set(); // near the visible part, not fetched yet, in the order they came
  let running = 0;
  const pump = () => {
    for (const button of queued) {
      if (running >= PARALLEL_THUMBS) return;
      queued.delete(button);
      observer.unobserve(button);
      running += 1;
      const img = button.querySelector("img");
      images
        .url(`/api/lectures/${lectureId}/pages/${button.dataset.page}/thumb`)
        .then((url) => {
          img.src = url;
        })
        .catch((error) => {
          if (error.name === "AbortError") return;
          button.classList.add("thumb-failed");
          button.title = `Page ${button.dataset.page}: the thumbnail could not be loaded (${error.message})`;
        })
        .finally(() => {
          running -= 1;
          if (!signal.aborted) pump();
        });
    }
  };
  const observer = new IntersectionObserver(
    (entries) => {
      for (const entry of entries) {
        // Scrolled past before its turn: the ones in view go first.
        if (entry.isIntersecting) queued.add(entry.target);
        else queued.delete(entry.target);
      }
      pump();
    },
    { root: container, rootMargin: "0px 320px" },
  );
  for (const button of container.querySelectorAll(".thumb")) {
    if (button.querySelector("img")) observer.observe(button);
  }
  signal.addEventListener("abort", () => observer.disconnect(), { once: true });
  container.addEventListener("click", (event) => {
    const button = event.target.closest(".thumb");
    if (button) onPick(Number(button.dataset.page));
  });

  return {
    setActive(number) {
      for (const button of container.querySelectorAll('.thumb[aria-current="true"]')) button.removeAttribute("aria-current");
      const button = container.querySelector(`.thumb[data-page="${number}"]`);
      if (!button) return;
      button.setAttribute("aria-current", "true");
      const left = button.offsetLeft; // the strip is position: relative
      const visible = left >= container.scrollLeft && left + button.offsetWidth <= container.scrollLeft + container.clientWidth;
      if (visible) return;
      const target = left - container.clientWidth / 2 + button.offsetWidth / 2;
      // A long jump scrolls at once: gliding past 100 thumbnails would fetch them all.
      const near = Math.abs(target - container.scrollLeft) < 2 * container.clientWidth;
      container.scrollTo({ left: target, behavior: near ? "smooth" : "instant" });
    },
  };
}
