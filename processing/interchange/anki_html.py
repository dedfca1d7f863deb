"""Field text between Lectern and Anki: a note's Markdown rendered to the HTML Anki shows (math as
MathJax \\(…\\) / \\[…\\]), and Anki's HTML turned back into note text Lectern's Markdown renders
the same way (math as $…$, literal Markdown characters escaped, Anki's <div> lines as <br>). Card media:
Lectern's <img data-media> / audio players become Anki's <img src="name"> / [sound:name], and back."""

from __future__ import annotations

import hashlib
import html
import re

import nh3

from processing.render import render_markdown

# render_markdown's math markup: the content is already HTML-escaped, as Anki fields want it.
_RENDERED_MATH = re.compile(r'<(span|div) class="math (inline|block)">(.*?)</\1>', re.DOTALL)
_ANKI_MATH = re.compile(r"\\\((.*?)\\\)|\\\[(.*?)\\\]", re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
_EMPTY_DIV_LINE = re.compile(r"<div>\s*<br\s*/?>\s*</div>", re.IGNORECASE)
_DIV_OPEN = re.compile(r"<div(\s[^>]*)?>", re.IGNORECASE)
_DIV_CLOSE = re.compile(r"</div\s*>", re.IGNORECASE)
_PARAGRAPH_BREAK = re.compile(r"</p>\s*<p(\s[^>]*)?>", re.IGNORECASE)
_OUTER_PARAGRAPH = re.compile(r"^\s*<p(\s[^>]*)?>(.*)</p>\s*$", re.IGNORECASE | re.DOTALL)
# Characters Markdown would read as syntax in text that Anki means literally ($ would start math).
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]$~|])")
_MEDIA = re.compile(r"<img[^>]*>|\[sound:[^\]]*\]", re.IGNORECASE)
_IMG_SRC = re.compile(r"""<img[^>]*?\ssrc\s*=\s*["']?([^"'\s>]+)""", re.IGNORECASE)


# --- Lectern → Anki -------------------------------------------------------------------------------


def markdown_to_anki(text: str) -> str:
    """A note field's Markdown as Anki field HTML: sanitized, with MathJax delimiters."""
    if not text.strip():
        return ""
    return _math_to_mathjax(render_markdown(text))


def _math_to_mathjax(rendered: str) -> str:
    def replace(match: re.Match) -> str:
        content = match[3].strip("\n")
        return f"\\({content}\\)" if match[2] == "inline" else f"\\[{content}\\]"

    return _RENDERED_MATH.sub(replace, rendered)


def plain_field(field_html: str) -> str:
    """Anki's stripHTMLMedia: the field's text without tags or media (sort field, checksum)."""
    text = nh3.clean(_MEDIA.sub(" ", field_html), tags=set())
    return html.unescape(text).strip()


def field_checksum(field_html: str) -> int:
    """Anki's notes.csum: the first 8 hex digits of the SHA-1 of the first field's plain text."""
    return int(hashlib.sha1(plain_field(field_html).encode("utf-8")).hexdigest()[:8], 16)


# --- Anki → Lectern -------------------------------------------------------------------------------


def anki_to_markdown(field_html: str) -> str:
    """Anki field HTML as Lectern note text: the HTML is kept (Lectern sanitizes it when it renders),
    its text made literal for Markdown, MathJax turned into $…$ / $$…$$."""
    text = field_html
    if "<pre" not in text.lower():
        text = re.sub(r"\r?\n", " ", text)  # in HTML a newline is a space; in Lectern it would be <br>
    text = _EMPTY_DIV_LINE.sub("<br>", text)
    text = _DIV_OPEN.sub("<br>", text)
    text = _DIV_CLOSE.sub("", text)
    text = re.sub(r"^(\s*<br\s*/?>)+", "", text)  # a field's first <div> is its first line, not a break
    outer = _OUTER_PARAGRAPH.match(text)
    if outer and "<p" not in outer[2].lower().replace("</p>", ""):
        text = outer[2]
    elif outer:
        text = _PARAGRAPH_BREAK.sub("\n\n", outer[2])
    return _escape_outside_math(text).strip()


def _escape_outside_math(text: str) -> str:
    out, last = [], 0
    for match in _ANKI_MATH.finditer(text):
        out.append(_escape_text(text[last : match.start()]))
        if match[1] is not None:
            out.append(f"${html.unescape(match[1]).strip()}$")
        else:
            out.append(f"$${html.unescape(match[2]).strip()}$$")
        last = match.end()
    out.append(_escape_text(text[last:]))
    return "".join(out)


def _escape_text(segment: str) -> str:
    """Escapes Markdown syntax in the text between tags (tags and their attributes stay as they are)."""
    out, last = [], 0
    for tag in _TAG.finditer(segment):
        out.append(_MARKDOWN_SPECIAL.sub(r"\\\1", segment[last : tag.start()]))
        out.append(tag[0])
        last = tag.end()
    out.append(_MARKDOWN_SPECIAL.sub(r"\\\1", segment[last:]))
    return "".join(out)


def media_references(field_html: str) -> list[str]:
    """The file names a field shows (<img src>, [sound:…])."""
    names = _IMG_SRC.findall(field_html)
    names += re.findall(r"\[sound:([^\]]+)\]", field_html)
    return names


# --- card media -----------------------------------------------------------------------------------

_LECTERN_AUDIO = re.compile(
    r'<span class="media-audio"><audio[^>]*?\sdata-media="(\d+)"[^>]*></audio>.*?</span></span>'
    r'|<audio[^>]*?\sdata-media="(\d+)"[^>]*>(?:</audio>)?',
    re.DOTALL,
)
_LECTERN_IMAGE = re.compile(r'<img[^>]*?\sdata-media="(\d+)"[^>]*>')
_ALT = re.compile(r'\salt="([^"]*)"')
_ANKI_IMAGE = re.compile(r"<img[^>]*>", re.IGNORECASE)
_ANKI_SOUND = re.compile(r"\[sound:([^\]]+)\]")
_TOKEN = re.compile(r"<lectern-media (\d+)>")


def media_to_anki(field_html: str, names: dict[int, str]) -> tuple[str, set[int]]:
    """Lectern's rendered media elements as Anki's references to the package's files named in `names`
    (media id → file name); returns the field and the ids it used. Unknown ids are left as they are."""
    used: set[int] = set()

    def audio(match: re.Match) -> str:
        media_id = int(match[1] or match[2])
        if media_id not in names:
            return match[0]
        used.add(media_id)
        return f"[sound:{names[media_id]}]"

    def image(match: re.Match) -> str:
        media_id = int(match[1])
        if media_id not in names:
            return match[0]
        used.add(media_id)
        alt = _ALT.search(match[0])
        return f'<img src="{html.escape(names[media_id])}" alt="{alt[1] if alt else ""}">'

    return _LECTERN_IMAGE.sub(image, _LECTERN_AUDIO.sub(audio, field_html)), used


def _label(text: str) -> str:
    return "".join(ch for ch in text if ch not in "[]()\\\n\r").strip()[:80] or "media"


def anki_field_to_markdown(field_html: str, media: dict[str, tuple[int, bool]]) -> str:
    """`anki_to_markdown`, with references to the package's usable files (`media`: file name →
    (Lectern media id, is audio)) turned into Lectern's ![alt](media:ID) / [audio: name](media:ID)."""
    references: list[str] = []

    def token(reference: str) -> str:
        references.append(reference)
        return f"<lectern-media {len(references) - 1}>"

    def image(match: re.Match) -> str:
        src = _IMG_SRC.match(match[0])
        name = html.unescape(src[1]) if src else ""
        if name not in media or media[name][1]:
            return match[0]
        alt = _ALT.search(match[0])
        label = html.unescape(alt[1]) if alt and alt[1].strip() else name.rsplit(".", 1)[0]
        return token(f"![{_label(label)}](media:{media[name][0]})")

    def sound(match: re.Match) -> str:
        name = html.unescape(match[1])
        if name not in media:
            return match[0]
        return token(f"[audio: {_label(name)}](media:{media[name][0]})")

    marked = _ANKI_SOUND.sub(sound, _ANKI_IMAGE.sub(image, field_html))
    return _TOKEN.sub(lambda m: references[int(m[1])], anki_to_markdown(marked))
