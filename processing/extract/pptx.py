"""PowerPoint slides through python-pptx: title, body in reading order, tables, notes, pictures."""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree
from PIL import Image, ImageDraw, ImageFont
from pptx import Presentation
from pptx.enum.shapes import PP_PLACEHOLDER
from pptx.exc import PackageNotFoundError
from pptx.shapes.base import BaseShape
from pptx.shapes.group import GroupShape
from pptx.shapes.picture import Picture
from pptx.slide import Slide

from processing.extract import UnsupportedFile
from processing.extract.filetypes import check_zip_safety

TITLE_TYPES = frozenset({PP_PLACEHOLDER.TITLE, PP_PLACEHOLDER.CENTER_TITLE, PP_PLACEHOLDER.VERTICAL_TITLE})
ROW_BAND_EMU = 228_600  # a quarter inch: shapes whose tops differ by less read as one row, left to right
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
DAMAGED = "This PowerPoint file is damaged and cannot be read"

Point = tuple[float, float]
Transform = Callable[[float, float], Point]


@dataclass(frozen=True, slots=True)
class TextLine:
    text: str
    level: int = 0


@dataclass(frozen=True, slots=True)
class SlidePicture:
    name: str
    content_type: str
    blob: bytes


@dataclass(frozen=True, slots=True)
class SlideContent:
    number: int
    title: str
    body: list[TextLine] = field(default_factory=list)
    tables: list[list[str]] = field(default_factory=list)
    notes: str = ""
    pictures: list[SlidePicture] = field(default_factory=list)
    aspect_ratio: float = 16 / 9


def slides(path: Path | str) -> list[SlideContent]:
    """Reads every slide of a .pptx; refuses zip bombs and damaged files with UnsupportedFile."""
    check_zip_safety(path)
    try:
        presentation = Presentation(str(path))
        aspect = (presentation.slide_width or 16) / (presentation.slide_height or 9)
        return [_read_slide(slide, number, aspect) for number, slide in enumerate(presentation.slides, start=1)]
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, etree.XMLSyntaxError) as error:
        raise UnsupportedFile(DAMAGED) from error


def slide_count(path: Path | str) -> int:
    """Number of slides, without reading them; refuses zip bombs and damaged files like `slides`."""
    check_zip_safety(path)
    try:
        return len(Presentation(str(path)).slides)
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, etree.XMLSyntaxError) as error:
        raise UnsupportedFile(DAMAGED) from error


def slide_text(slide: SlideContent) -> str:
    """The searchable text of a slide: title, body lines, table rows, then speaker notes."""
    sections = [
        slide.title,
        "\n".join(line.text for line in slide.body),
        "\n\n".join("\n".join(rows) for rows in slide.tables),
        slide.notes,
    ]
    return "\n\n".join(section for section in sections if section.strip())


def _read_slide(slide: Slide, number: int, aspect: float) -> SlideContent:
    title, body, tables, pictures = "", [], [], []
    for shape in _reading_order(slide):
        if _is_title(shape) and not title:
            title = _frame_text(shape)
        elif isinstance(shape, Picture):
            pictures.extend(_picture(shape))
        elif getattr(shape, "has_table", False):
            tables.append(_table_rows(shape))
        elif shape.has_text_frame:
            body.extend(_frame_lines(shape))
    return SlideContent(
        number=number,
        title=title,
        body=body,
        tables=tables,
        notes=_notes(slide),
        pictures=pictures,
        aspect_ratio=aspect,
    )


def _reading_order(slide: Slide) -> list[BaseShape]:
    """Top to bottom, then left to right, with grouped shapes placed where they appear on the slide."""
    placed = list(_flatten(slide.shapes, lambda x, y: (x, y)))
    placed.sort(key=lambda item: (item[0][1] // ROW_BAND_EMU, item[0][0]))
    return [shape for _position, shape in placed]


def _flatten(shapes: Iterator[BaseShape], to_slide: Transform) -> Iterator[tuple[Point, BaseShape]]:
    for shape in shapes:
        if isinstance(shape, GroupShape):
            yield from _flatten(shape.shapes, _compose(to_slide, _group_transform(shape)))
        else:
            yield to_slide(shape.left or 0, shape.top or 0), shape


def _group_transform(group: GroupShape) -> Transform:
    """Maps a group's child coordinates to its parent's (children live in the group's own chOff/chExt space)."""
    xfrm = group._element.grpSpPr.xfrm
    parts = None if xfrm is None else (xfrm.off, xfrm.ext, xfrm.chOff, xfrm.chExt)
    if parts is None or None in parts or not xfrm.chExt.cx or not xfrm.chExt.cy:
        return lambda x, y: (x, y)
    scale_x, scale_y = xfrm.ext.cx / xfrm.chExt.cx, xfrm.ext.cy / xfrm.chExt.cy
    return lambda x, y: (xfrm.off.x + (x - xfrm.chOff.x) * scale_x, xfrm.off.y + (y - xfrm.chOff.y) * scale_y)


def _compose(outer: Transform, inner: Transform) -> Transform:
    return lambda x, y: outer(*inner(x, y))


def _is_title(shape: BaseShape) -> bool:
    return shape.is_placeholder and shape.placeholder_format.type in TITLE_TYPES


def _frame_text(shape: BaseShape) -> str:
    return " ".join(line.text for line in _frame_lines(shape))


def _frame_lines(shape: BaseShape) -> list[TextLine]:
    lines = []
    for paragraph in shape.text_frame.paragraphs:
        text = paragraph.text.replace("\v", "\n").strip()
        if text:
            lines.append(TextLine(text=text, level=paragraph.level))
    return lines


def _table_rows(shape: BaseShape) -> list[str]:
    rows = []
    for row in shape.table.rows:
        cells = ["" if cell.is_spanned else " ".join(cell.text.split()) for cell in row.cells]
        if any(cells):
            rows.append(" | ".join(cells))
    return rows


def _picture(shape: Picture) -> list[SlidePicture]:
    try:
        image = shape.image
    except (KeyError, ValueError, AttributeError):  # a linked, not embedded, picture has no bytes here
        return []
    return [SlidePicture(name=shape.name, content_type=image.content_type, blob=image.blob)]


def _notes(slide: Slide) -> str:
    if not slide.has_notes_slide or slide.notes_slide.notes_text_frame is None:
        return ""
    return slide.notes_slide.notes_text_frame.text.replace("\v", "\n").strip()


def render_slide_text_image(slide: SlideContent, *, width: int = 1600) -> Image.Image:
    """A clean text rendering of a slide (title large, bullets indented) for when LibreOffice is absent."""
    height = round(width / slide.aspect_ratio)
    image = Image.new("RGB", (width, height), "white")
    canvas = _Canvas(ImageDraw.Draw(image), width=width, height=height)
    canvas.paragraph(slide.title, font=_font("DejaVuSans-Bold.ttf", width // 25), fill=(20, 30, 60), gap=1.0)
    body_font = _font("DejaVuSans.ttf", width // 45)
    for line in slide.body:
        canvas.paragraph(line.text, font=body_font, indent=line.level, bullet="•" if line.level == 0 else "–")
    table_font = _font("DejaVuSansMono.ttf", width // 60)
    for rows in slide.tables:
        canvas.skip(0.5 * table_font.size)
        for row in rows:
            canvas.paragraph(row, font=table_font, gap=0.1)
    return image


def _font(name: str, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.truetype(str(FONT_DIR / name), size)
    except OSError:
        return ImageFont.load_default(size=size)


class _Canvas:
    """Writes wrapped paragraphs down the slide and stops with an ellipsis when the space runs out."""

    def __init__(self, draw: ImageDraw.ImageDraw, *, width: int, height: int) -> None:
        self.draw, self.width, self.height = draw, width, height
        self.margin = width // 20
        self.y = self.margin
        self.full = False

    def skip(self, pixels: float) -> None:
        self.y += round(pixels)

    def paragraph(
        self,
        text: str,
        *,
        font: ImageFont.FreeTypeFont,
        indent: int = 0,
        bullet: str = "",
        fill: tuple[int, int, int] = (0, 0, 0),
        gap: float = 0.4,
    ) -> None:
        if not text or self.full:
            return
        size = getattr(font, "size", 16)
        left = self.margin + round(indent * 1.5 * size) + (round(1.2 * size) if bullet else 0)
        if bullet:
            self.draw.text((left - round(1.2 * size), self.y), bullet, font=font, fill=fill)
        for line in _wrap(text, font, self.width - self.margin - left):
            if self.y + 2.4 * size > self.height - self.margin:
                self.draw.text((left, self.y), "…", font=font, fill=fill)
                self.full = True
                return
            self.draw.text((left, self.y), line, font=font, fill=fill)
            self.y += round(1.3 * size)
        self.y += round(gap * size)


def _wrap(text: str, font: ImageFont.FreeTypeFont, max_width: int) -> Iterator[str]:
    for source_line in text.split("\n"):
        line = ""
        for word in source_line.split():
            candidate = f"{line} {word}" if line else word
            if line and font.getlength(candidate) > max_width:
                yield line
                line = word
            else:
                line = candidate
        yield line
