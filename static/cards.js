// How notes and cards look everywhere: kind names, tag parsing, plain-text fronts
// for tables, and the card face shared by the review screen and the editor preview.

import { html, trusted } from "./ui.js";
import { watchCardMedia } from "./media.js";

export const KIND_LABELS = {
  basic: "Basic",
  reversed: "Basic + reversed",
  cloze: "Cloze",
  typein: "Type-in answer",
};

/** Field labels per kind: a cloze note has "Text" and "Extra", not front and back. */
export const FIELD_LABELS = {
  basic: ["Front", "Back"],
  reversed: ["Front", "Back"],
  cloze: ["Text", "Extra"],
  typein: ["Question", "Answer"],
};

/** "biology, cell  membrane" → ["biology", "cell", "membrane"] (tags never contain spaces). */
export function parseTags(text) {
  return [...new Set(text.split(/[\s,]+/).map((t) => t.trim()).filter(Boolean))];
}

/** A field as one line of plain text: cloze markup reduced to its answer. */
export function plainText(field) {
  return String(field ?? "")
    .replace(/\{\{c\d+::(.*?)(?:::(.*?))?\}\}/gs, "$1")
    .replace(/\s+/g, " ")
    .trim();
}

/** The server's sanitized HTML for one side of a card. */
export function cardFace(htmlText, { testid, side }) {
  watchCardMedia(); // fills the card's images and audio once it is in the page
  return html`<div class="card-face card-${side}" data-testid="${testid}">${trusted(htmlText)}</div>`;
}
