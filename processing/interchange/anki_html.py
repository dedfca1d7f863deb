"""Field text between Lectern and Anki: a note's Markdown rendered to the HTML Anki shows (math as
MathJax \\(…\\) / \\[…\\]), and Anki's HTML turned back into note text Lectern's Markdown renders
the same way (math as $…$, literal Markdown characters escaped, Anki's <div> lines as <br>)."""

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
