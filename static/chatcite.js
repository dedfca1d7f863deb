// Citations in chat answers: "[n]" markers become chips naming the lecture page they cite,
// and a numbered list of the sources goes under each answer. Only DOM APIs and the escaping
// html`` template touch untrusted strings here; the one innerHTML is the server's sanitized HTML.

import { html } from "./ui.js";

const QUOTE_CHARS = 140;
// Citation urls come from the server; anything else than a viewer link is rebuilt from the ids.
const VIEWER_URL = /^#\/lecture\/\d+\?page=\d+$/;

/** Where a citation opens the lecture viewer, or null when its lecture was deleted. */
export function citationUrl(citation) {
  if (citation.lecture_id == null) return null;
  return VIEWER_URL.test(citation.url ?? "") ? citation.url : `#/lecture/${citation.lecture_id}?page=${citation.page}`;
}

function lectureName(citation) {
  return citation.lecture_id == null ? `${citation.lecture_title || ""} (deleted lecture)`.trim() : citation.lecture_title;
}

function shortQuote(quote) {
  const text = String(quote ?? "").replace(/\s+/g, " ").trim();
  return text.length > QUOTE_CHARS ? `${text.slice(0, QUOTE_CHARS - 1).trimEnd()}…` : text;
}

/** "Cell biology, p. 2 — “Mitochondria produce ATP…”": a chip's tooltip. */
export function citationTitle(citation) {
  const quote = shortQuote(citation.quote);
  return `${lectureName(citation)}, p. ${citation.page}${quote ? ` — “${quote}”` : ""}`;
}

/** The chip of citation `n`: a link to its page, or a grey number once its lecture is deleted. */
function chip(n, citation) {
  const url = citationUrl(citation);
  const element = document.createElement(url ? "a" : "span");
  element.className = "chat-chip";
  element.textContent = String(n);
  element.dataset.testid = "chat-chip";
  element.dataset.n = String(n);
  element.dataset.page = String(citation.page);
  element.title = citationTitle(citation);
  element.setAttribute("aria-label", `Source ${n}: ${citationTitle(citation)}`);
  if (url) element.href = url;
  else element.classList.add("deleted");
  return element;
}

/**
 * Turn the citation links of an answer's server HTML (<a href="#cite-N">[N]</a>) into chips, in
 * place. A bracketed number that is not such a link (one quoted from a lecture) stays text, and
 * so does a link naming no citation.
 */
export function chipify(root, citations) {
  const byNumber = new Map((citations ?? []).map((c) => [c.n, c]));
  for (const link of root.querySelectorAll('a[href^="#cite-"]')) {
    const n = Number(link.getAttribute("href").slice("#cite-".length));
    const citation = byNumber.get(n);
    link.replaceWith(citation ? chip(n, citation) : document.createTextNode(link.textContent));
  }
}

// While an answer streams it is Markdown not rendered yet: a backslash escape shows its character,
// "[n]" a chip (its citation is known only at the end), "> " opens a quotation.
const STREAM_TOKEN = /\\([\\`*_<>[\]$])|\[(\d{1,3})\]/g;

function streamedLine(text) {
  const out = [];
  let last = 0;
  for (const match of text.matchAll(STREAM_TOKEN)) {
    out.push(text.slice(last, match.index));
    out.push(
      match[1] !== undefined
        ? match[1]
        : html`<span class="chat-chip pending" data-testid="chat-chip" data-n="${match[2]}" aria-label="Source ${match[2]}">${match[2]}</span>`,
    );
    last = match.index + match[0].length;
  }
  out.push(text.slice(last));
  return out;
}

/** Streaming text as escaped paragraphs (quotations as such) with numbered chips. */
export function plainParagraphs(text) {
  const paragraphs = String(text ?? "")
    .split(/\n\s*\n/)
    .map((p) => p.trim())
    .filter(Boolean);
  return html`${paragraphs.map((p) =>
    p.startsWith(">")
      ? html`<blockquote><p>${streamedLine(p.replace(/^>[ \t]?/gm, ""))}</p></blockquote>`
      : html`<p>${streamedLine(p)}</p>`,
  )}`;
}

/** The numbered sources under an answer: "[n] Lecture, p. N — “quote…”", each a link to its page. */
export function sourcesList(citations) {
  if (!citations?.length) return "";
  return html`<div class="chat-sources">
    <h3 class="chat-sources-title">Sources</h3>
    <ol class="chat-source-list" data-testid="chat-sources">
      ${citations.map((c) => {
        const url = citationUrl(c);
        const quote = shortQuote(c.quote);
        const body = html`<span class="chat-source-n">[${c.n}]</span>
          <span class="chat-source-where">${lectureName(c)}, p. ${c.page}</span>${quote
            ? html` — <span class="chat-source-quote">“${quote}”</span>`
            : ""}`;
        return html`<li>${url
          ? html`<a class="chat-source" href="${url}" data-testid="chat-source" data-n="${c.n}" data-page="${c.page}"
              title="Open ${c.lecture_title} at page ${c.page}">${body}</a>`
          : html`<span class="chat-source deleted" data-testid="chat-source" data-n="${c.n}" data-page="${c.page}">${body}</span>`}</li>`;
      })}
    </ol>
  </div>`;
}
