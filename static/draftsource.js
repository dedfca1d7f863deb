// The lecture page a draft quotes: its text with the quote marked and its image, fetched once
// per page and shared by every draft that cites it.

import { get } from "./api.js";
import { html } from "./ui.js";
import { BlobImages } from "./pageimages.js";

const KEEP_IMAGES = 40;

/** Cached page lists, page texts and page images, dropped when `signal` aborts. */
export class SourcePages {
  constructor(signal) {
    this.lists = new Map(); // lecture id → Promise<Map number → page summary>
    this.texts = new Map(); // "lecture/page" → Promise<page>
    this.images = new BlobImages(signal, { limit: KEEP_IMAGES });
  }

  summary(lectureId, number) {
    if (!this.lists.has(lectureId)) {
      const loading = get(`/api/lectures/${lectureId}/pages`).then((pages) => new Map(pages.map((p) => [p.number, p])));
      loading.catch(() => this.lists.delete(lectureId)); // retried by the next draft that needs it
      this.lists.set(lectureId, loading);
    }
    return this.lists.get(lectureId).then((pages) => pages.get(number) ?? null);
  }

  page(lectureId, number) {
    const key = `${lectureId}/${number}`;
    if (!this.texts.has(key)) {
      const loading = get(`/api/lectures/${lectureId}/pages/${number}`);
      loading.catch(() => this.texts.delete(key));
      this.texts.set(key, loading);
    }
    return this.texts.get(key);
  }

  /** An object URL for the page image, or null when the page has none (text and Markdown files). */
  async image(lectureId, number) {
    const summary = await this.summary(lectureId, number);
    if (!summary?.has_image) return null;
    return this.images.url(`/api/lectures/${lectureId}/pages/${number}/image`);
  }
}

// ---- finding the quote -------------------------------------------------------------------

const LINE_END_HYPHEN = /^-[ \t]*\r?\n\s*(?=\p{L})/u;

/**
 * `text` lower-cased with runs of whitespace collapsed to one space and words broken at a line
 * end rejoined ("photo-\nsynthesis"); `loose` also drops punctuation (typographic quotes and
 * dashes then match plain ones). Returns the string and, per character, its index in `text`.
 */
function normalise(text, { loose = false } = {}) {
  let out = "";
  const at = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    const hyphen = ch === "-" && /\p{L}/u.test(text[i - 1] ?? "") ? LINE_END_HYPHEN.exec(text.slice(i, i + 40)) : null;
    if (hyphen) {
      i += hyphen[0].length;
      continue;
    }
    const space = /\s/.test(ch) || (loose && !/[\p{L}\p{N}]/u.test(ch));
    if (space) {
      if (out && !out.endsWith(" ")) {
        out += " ";
        at.push(i);
      }
    } else {
      for (const lower of ch.toLowerCase()) {
        out += lower;
        at.push(i);
      }
    }
    i += 1;
  }
  return { out, at };
}

/** [start, end) of `quote` in `text`, compared case-insensitively with whitespace collapsed; or null. */
export function findQuote(text, quote) {
  if (!text || !quote?.trim()) return null;
  for (const loose of [false, true]) {
    const page = normalise(text, { loose });
    const wanted = normalise(quote, { loose }).out.trim();
    if (!wanted) continue;
    const index = page.out.indexOf(wanted);
    if (index >= 0) return [page.at[index], page.at[index + wanted.length - 1] + 1];
  }
  return null;
}

/** The page text with the quote in <mark> (everything escaped by html``), and whether it was found. */
export function markQuote(text, quote) {
  const span = findQuote(text, quote);
  if (!span) return { found: false, template: html`${text}` };
  const [start, end] = span;
  return {
    found: true,
    template: html`${text.slice(0, start)}<mark data-testid="draft-quote">${text.slice(start, end)}</mark>${text.slice(end)}`,
  };
}
