"""Turns a note's Markdown (with LaTeX math and cloze deletions) into the sanitized HTML of its cards."""

from __future__ import annotations

import html
import re
import secrets
from dataclasses import dataclass

import nh3
from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin

from models.note import NoteKind
from processing.errors import Invalid

_md = (
    MarkdownIt("commonmark", {"html": True, "breaks": True})
    .enable(["table", "strikethrough"])
    .use(dollarmath_plugin, double_inline=True)
)


def _display_math_in_line(self, tokens, idx, options, env) -> str:
    # $$…$$ inside a line of text (or a cloze) is display math that must stay inside its
    # paragraph: a <span>, not the plugin's <div>, which would break the <p> apart.
    return f'<span class="math block">{html.escape(tokens[idx].content)}</span>'


_md.add_render_rule("math_inline_double", _display_math_in_line)

# Card media (processing/media/links.py): ![alt](media:12) → <img data-media="12">, [label](media:12) →
# an audio player. No src: the browser fetches the file with its token and fills it in.
_MEDIA_HREF = re.compile(r"^media:(\d{1,15})$")
_default_image = _md.renderer.rules["image"]


def _media_image(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    found = _MEDIA_HREF.match(token.attrGet("src") or "")
    if not found:
        return _default_image(tokens, idx, options, env)
    alt = html.escape(self.renderInlineAsText(token.children or [], options, env))
    return f'<img class="media" data-media="{found[1]}" alt="{alt}">'


def _media_link_open(self, tokens, idx, options, env) -> str:
    found = _MEDIA_HREF.match(tokens[idx].attrGet("href") or "")
    env.setdefault("media_links", []).append(bool(found))
    if not found:
        return self.renderToken(tokens, idx, options, env)
    return f'<span class="media-audio"><audio controls preload="none" data-media="{found[1]}"></audio> <span>'


def _media_link_close(self, tokens, idx, options, env) -> str:
    was_media = env.get("media_links", [False]).pop() if env.get("media_links") else False
    return "</span></span>" if was_media else self.renderToken(tokens, idx, options, env)


_md.add_render_rule("image", _media_image)
_md.add_render_rule("link_open", _media_link_open)
_md.add_render_rule("link_close", _media_link_close)

ALLOWED_TAGS = {
    "p", "br", "hr", "b", "strong", "i", "em", "u", "s", "del", "sub", "sup", "mark", "small",
    "code", "pre", "kbd", "blockquote", "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td", "a", "img", "span", "div", "audio",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "data-media"},
    "audio": {"controls", "preload", "data-media"},
    "th": {"align"},
    "td": {"align"},
}
ALLOWED_CLASSES = {"span": {"math", "inline", "block", "media-audio"}, "div": {"math", "block"}, "img": {"media"}}

CLOZE_OPEN = re.compile(r"\{\{c(\d+)::")
CLOZE_START = re.compile(r"\{\{c\d*:{0,2}")
MAX_CLOZE_NUMBER = 100
# Private-use characters mark deletions while the Markdown renders; user text never keeps them.
_MARK_OPEN, _MARK_CLOSE = "\ue000", "\ue001"


@dataclass(frozen=True)
class Deletion:
    start: int
    end: int
    number: int
    answer: str
    hint: str | None


def find_deletions(text: str) -> list[Deletion]:
    """Cloze deletions in order. Braces inside a deletion nest, so LaTeX like
    {{c1::$\\frac{1}{x^{2}}$}} closes at the right "}}"; "::" at depth 0 starts the hint."""
    found: list[Deletion] = []
    pos = 0
    while (m := CLOZE_OPEN.search(text, pos)) is not None:
        depth, i, hint_at = 0, m.end(), None
        while i < len(text):
            if text.startswith("}}", i) and depth == 0:
                break
            ch = text[i]
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth = max(0, depth - 1)
            elif depth == 0 and hint_at is None and text.startswith("::", i):
                hint_at = i
                i += 1
            i += 1
        if i >= len(text):
            break  # unclosed: left in place for cloze_numbers to report
        body_end = hint_at if hint_at is not None else i
        hint = text[hint_at + 2 : i] if hint_at is not None else None
        found.append(Deletion(m.start(), i + 2, int(m[1]), text[m.end() : body_end], hint))
        pos = i + 2
    return found


def _without_deletions(text: str, deletions: list[Deletion]) -> str:
    out, last = [], 0
    for d in deletions:
        out.append(text[last : d.start])
        last = d.end
    out.append(text[last:])
    return "".join(out)


def sanitize(raw_html: str) -> str:
    return nh3.clean(
        raw_html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def render_markdown(text: str) -> str:
    return sanitize(_md.render(text)).strip()


def render_inline(text: str) -> str:
    return sanitize(_md.renderInline(text))


def plain_text(text: str) -> str:
    """The visible text of some Markdown, whitespace collapsed (type-in answers are compared on it)."""
    stripped = nh3.clean(_md.render(text), tags=set())
    return " ".join(html.unescape(stripped).split())


@dataclass(frozen=True)
class RenderedCard:
    ord: int
    label: str
    front_html: str
    back_html: str
    answer: str | None = None


def cloze_numbers(text: str) -> list[int]:
    """The distinct cloze numbers of a cloze note, after checking its syntax (Invalid says what is wrong)."""
    deletions = find_deletions(text)
    numbers = sorted({d.number for d in deletions})
    leftover = _without_deletions(text, deletions)
    stray = CLOZE_START.search(leftover)
    if stray:
        near = leftover[stray.start() : stray.start() + 30]
        raise Invalid(f"Malformed cloze deletion near '{near}': write {{{{c1::answer}}}} or {{{{c1::answer::hint}}}}")
    if not numbers:
        raise Invalid("A cloze card needs at least one deletion like {{c1::answer}}")
    if numbers[0] < 1:
        raise Invalid("Cloze numbers start at 1: {{c1::…}}")
    if numbers[-1] > MAX_CLOZE_NUMBER:
        raise Invalid(f"Cloze numbers go up to {MAX_CLOZE_NUMBER}")
    for d in deletions:
        if not d.answer.strip():
            raise Invalid(f"Cloze deletion c{d.number} is empty")
    return numbers


def _placeholder_token(text: str) -> str:
    """Letters and digits only (Markdown leaves them alone), and never found in the text itself."""
    while True:
        token = "clz" + secrets.token_hex(6)
        if token not in text:
            return token


def _render_cloze(text: str, number: int, *, reveal: bool) -> str:
    # Deletions become placeholders while the Markdown is rendered, then are swapped for their
    # own (separately sanitized) HTML, so a deletion may hold Markdown and math.
    pieces: list[str] = []
    out, last = [], 0
    token = _placeholder_token(text)
    for d in find_deletions(text):
        inner = render_inline(d.answer)
        if d.number != number:
            piece = inner
        elif reveal:
            piece = f'<span class="cloze">{inner}</span>'
        else:
            hint = html.escape(d.hint.strip()) if d.hint and d.hint.strip() else "…"
            piece = f'<span class="cloze">[{hint}]</span>'
        out += [text[last : d.start], f"{token}{len(pieces)}x"]
        pieces.append(piece)
        last = d.end
    out.append(text[last:])
    rendered = render_markdown("".join(out))
    return re.sub(f"{token}(\\d+)x", lambda m: pieces[int(m[1])], rendered)


def render_cards(*, kind: NoteKind, front: str, back: str) -> list[RenderedCard]:
    """Every card a note makes, in ord order. Raises Invalid with a human message for bad input."""
    if not front.strip():
        raise Invalid(
            "The text of a cloze card cannot be empty" if kind == NoteKind.cloze else "The front cannot be empty"
        )
    if kind == NoteKind.basic:
        return [RenderedCard(0, "Card", render_markdown(front), render_markdown(back))]
    if kind == NoteKind.reversed:
        if not back.strip():
            raise Invalid("A reversed card needs a back: it becomes the front of the second card")
        f, b = render_markdown(front), render_markdown(back)
        return [RenderedCard(0, "Front → back", f, b), RenderedCard(1, "Back → front", b, f)]
    if kind == NoteKind.typein:
        answer = plain_text(back)
        if not answer:
            raise Invalid("A type-in card needs the expected answer on the back")
        if len(answer) > 500:
            raise Invalid("A type-in answer can be at most 500 characters")
        return [RenderedCard(0, "Type-in", render_markdown(front), render_markdown(back), answer)]
    extra = render_markdown(back) if back.strip() else ""
    cards = []
    for n in cloze_numbers(front):
        revealed = _render_cloze(front, n, reveal=True)
        back_html = revealed + (f'<hr class="extra-sep"><div class="extra">{extra}</div>' if extra else "")
        cards.append(RenderedCard(n, f"Cloze {n}", _render_cloze(front, n, reveal=False), back_html))
    return cards
