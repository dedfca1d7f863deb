// Card media in the page. The server renders <img data-media="12"> and <audio data-media="12"> without a
// src (the browser cannot send the bearer token on one): every such element that appears anywhere in the
// document is filled from GET /api/media/12 through an object URL, revoked once no element shows it.
// Also: uploading a file into the library, with the server's message on failure.

import { fetchBlob, uploadFile } from "./api.js";

const SELECTOR = "img[data-media], audio[data-media]";
const loaded = new Map(); // media id → { promise: Promise<object URL>, url, elements: Set<Element> }
let observer = null;

function load(id) {
  let entry = loaded.get(id);
  if (!entry) {
    entry = { url: null, elements: new Set() };
    entry.promise = fetchBlob(`/api/media/${id}`).then((blob) => {
      entry.url = URL.createObjectURL(blob);
      return entry.url;
    });
    entry.promise.catch(() => loaded.delete(id)); // a later view may try again
    loaded.set(id, entry);
  }
  return entry;
}

function missing(element, error) {
  const note = document.createElement("span");
  note.className = "media-missing";
  note.dataset.testid = "media-missing";
  note.textContent = error?.status === 404 ? "missing media" : "media could not be loaded";
  note.title = error?.message ?? "";
  element.replaceWith(note);
}

function hydrate(element) {
  if (element.dataset.mediaState) return;
  const id = element.dataset.media;
  if (!/^\d+$/.test(id)) return;
  element.dataset.mediaState = "loading";
  const entry = load(id);
  entry.elements.add(element);
  entry.promise.then(
    (url) => {
      element.src = url;
      element.dataset.mediaState = "ready";
    },
    (error) => missing(element, error),
  );
}

/** Fills every media element under `root` (the observer does this by itself for new elements). */
export function hydrateMedia(root = document) {
  for (const element of root.querySelectorAll(SELECTOR)) hydrate(element);
}

function releaseUnused() {
  for (const [id, entry] of loaded) {
    for (const element of entry.elements) if (!element.isConnected) entry.elements.delete(element);
    if (entry.url && entry.elements.size === 0) {
      URL.revokeObjectURL(entry.url);
      loaded.delete(id);
    }
  }
}

/** Starts watching the document for card media (once; cards.js calls it). */
export function watchCardMedia() {
  if (observer) return;
  let releaseQueued = false;
  observer = new MutationObserver((records) => {
    for (const record of records) {
      for (const node of record.addedNodes) {
        if (node.nodeType !== Node.ELEMENT_NODE) continue;
        if (node.matches(SELECTOR)) hydrate(node);
        else if (node.querySelector(SELECTOR)) hydrateMedia(node);
      }
      if (record.removedNodes.length && !releaseQueued) {
        releaseQueued = true;
        setTimeout(() => {
          releaseQueued = false;
          releaseUnused();
        }, 1000); // a view that re-renders keeps what it shows again
      }
    }
  });
  observer.observe(document.body, { childList: true, subtree: true });
  hydrateMedia(document);
}

export const ACCEPT = "image/jpeg,image/png,image/webp,image/gif,audio/mpeg,audio/ogg,audio/wav,audio/x-wav,audio/mp4,.m4a,.mp3,.ogg,.wav";
export const IMAGE_LIMIT = 10 * 1024 * 1024;
export const AUDIO_LIMIT = 25 * 1024 * 1024;

/** Refusals the browser can say before sending anything (the server checks again, by the bytes). */
export function precheck(file) {
  const audio = file.type.startsWith("audio/") || /\.(mp3|ogg|wav|m4a)$/i.test(file.name);
  const limit = audio ? AUDIO_LIMIT : IMAGE_LIMIT;
  if (file.size > limit) {
    const mb = (file.size / 1024 / 1024).toFixed(1);
    return `${file.name} is ${mb} MB; ${audio ? "audio files" : "images"} may be at most ${limit / 1024 / 1024} MB`;
  }
  if (file.size === 0) return `${file.name} is empty`;
  return null;
}

/** Uploads one file into the library; resolves to the MediaPublic (new or the existing copy). */
export function uploadMedia(file, { onProgress, signal } = {}) {
  return uploadFile("/api/media", file, { onProgress, signal });
}

export function formatBytes(n) {
  if (n >= 1024 * 1024 * 1024) return `${(n / 1024 / 1024 / 1024).toFixed(1)} GB`;
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${Math.max(1, Math.round(n / 1024))} KB`;
}
