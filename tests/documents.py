"""Real input documents for the tests (a pytest plugin loaded by tests/conftest.py): PDFs made with fpdf2,
slides with python-pptx, images with Pillow."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pytest
from fpdf import FPDF
from fpdf.enums import TextMode
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from pptx import Presentation
from pptx.shapes.shapetree import GroupShapes, SlideShapes
from pptx.util import Inches, Pt

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
TEST_DPI = 150
PAGE_INCHES = (8.5, 5.5)  # half-letter keeps OCR in tests quick

TEXT_PAGES = [
    "Photosynthesis converts light energy into chemical energy stored in glucose molecules.",
    "Mitochondria produce adenosine triphosphate through oxidative phosphorylation.",
    "Enzymes lower the activation energy of biochemical reactions without being consumed.",
]
SCANNED_LINES = [
    ["Ribosomes translate messenger", "RNA into protein chains."],
    ["Chloroplasts contain chlorophyll", "pigments that absorb light."],
    ["Neurons transmit electrical", "signals along their axons."],
    ["Glucose is stored as glycogen", "in liver and muscle cells."],
]
JUNK_LAYER = "ÿþ&%$#@! (cid:12)(cid:34)(cid:56) ÿþ%%## (cid:3)(cid:44)"


def render_text(lines: list[str], *, dpi: int = TEST_DPI, noise: bool = False, angle: float = 0.0) -> Image.Image:
    """A page-sized grayscale 'scan' of the lines, in DejaVuSans at 16 pt."""
    size = (round(PAGE_INCHES[0] * dpi), round(PAGE_INCHES[1] * dpi))
    image = Image.new("L", size, 255)
    font = ImageFont.truetype(FONT, round(16 * dpi / 72))
    draw = ImageDraw.Draw(image)
    for index, line in enumerate(lines):
        draw.text((dpi // 2, dpi // 2 + index * round(0.45 * dpi)), line, font=font, fill=0)
    if angle:
        image = image.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
    if noise:
        image = _speckle(image, seed=len(lines))
    return image


def _speckle(image: Image.Image, *, seed: int) -> Image.Image:
    rng = random.Random(seed)
    pixels = image.load()
    for _ in range(image.width * image.height // 400):
        pixels[rng.randrange(image.width), rng.randrange(image.height)] = rng.choice((0, 128))
    return image.filter(ImageFilter.GaussianBlur(0.4))


def new_pdf() -> FPDF:
    pdf = FPDF(unit="in", format=PAGE_INCHES)
    pdf.set_auto_page_break(False)
    pdf.add_font("DejaVu", fname=FONT)
    pdf.set_font("DejaVu", size=14)
    return pdf


def add_text_page(pdf: FPDF, text: str) -> None:
    pdf.add_page()
    pdf.set_xy(0.5, 0.5)
    pdf.multi_cell(7.5, 0.3, text)


def add_scanned_page(pdf: FPDF, image: Image.Image, *, junk_layer: str = "") -> None:
    pdf.add_page()
    pdf.image(image, x=0, y=0, w=PAGE_INCHES[0], h=PAGE_INCHES[1])
    if junk_layer:
        pdf.text_mode = TextMode.INVISIBLE
        pdf.text(0.5, 1.0, junk_layer)
        pdf.text_mode = TextMode.FILL


def lecture_pdf(path: Path, pages: list[list[str]], *, heading: str) -> Path:
    """A text PDF with one heading ("<heading> <n>") and its sentences per page."""
    pdf = FPDF()
    pdf.set_font("Helvetica", size=13)
    for number, sentences in enumerate(pages, start=1):
        pdf.add_page()
        pdf.multi_cell(0, 9, f"{heading} {number}")
        pdf.ln(4)
        for sentence in sentences:
            pdf.multi_cell(0, 9, sentence)
            pdf.ln(3)
    pdf.output(str(path))
    return path


@pytest.fixture
def text_pdf_pages() -> list[str]:
    """The text on each page of `text_pdf`."""
    return TEXT_PAGES


@pytest.fixture
def page_inches() -> tuple[float, float]:
    """Width and height of every page of the test PDFs."""
    return PAGE_INCHES


@pytest.fixture
def scanned_pdf_lines() -> list[list[str]]:
    """The lines rendered on each page of `scanned_pdf`."""
    return SCANNED_LINES


@pytest.fixture
def text_pdf(tmp_path: Path) -> Path:
    pdf = new_pdf()
    for text in TEXT_PAGES:
        add_text_page(pdf, text)
    path = tmp_path / "text.pdf"
    pdf.output(str(path))
    return path


@pytest.fixture
def scanned_pdf(tmp_path: Path) -> Path:
    """Image-only pages with a little noise and a slight rotation, like a photocopy."""
    pdf = new_pdf()
    for index, lines in enumerate(SCANNED_LINES):
        add_scanned_page(pdf, render_text(lines, noise=True, angle=0.8 if index % 2 else -0.6))
    path = tmp_path / "scanned.pdf"
    pdf.output(str(path))
    return path


@pytest.fixture
def mixed_pdf(tmp_path: Path) -> Path:
    """Page 1 text, 2 scan without text, 3 scan under an invisible junk text layer, 4 text."""
    pdf = new_pdf()
    add_text_page(pdf, TEXT_PAGES[0])
    add_scanned_page(pdf, render_text(SCANNED_LINES[0]))
    add_scanned_page(pdf, render_text(SCANNED_LINES[1]), junk_layer=JUNK_LAYER)
    add_text_page(pdf, TEXT_PAGES[1])
    path = tmp_path / "mixed.pdf"
    pdf.output(str(path))
    return path


@pytest.fixture
def encrypted_pdf(tmp_path: Path) -> Path:
    pdf = new_pdf()
    pdf.set_encryption(owner_password="owner", user_password="secret")
    add_text_page(pdf, TEXT_PAGES[0])
    path = tmp_path / "locked.pdf"
    pdf.output(str(path))
    return path


@pytest.fixture
def text_image() -> Callable[..., Image.Image]:
    return render_text


@pytest.fixture
def sample_pptx(tmp_path: Path) -> Path:
    """One slide: title, bullets, a text box, a moved group, a table, a picture with text, notes; a second slide."""
    presentation = Presentation()
    presentation.slide_width, presentation.slide_height = Inches(13.333), Inches(7.5)
    slide = presentation.slides.add_slide(presentation.slide_layouts[1])
    slide.shapes.title.text = "Cell Biology"
    body = slide.placeholders[1]
    body.left, body.top, body.width, body.height = Inches(0.5), Inches(1.5), Inches(6), Inches(2)
    body.text_frame.text = "Cells are the unit of life"
    detail = body.text_frame.add_paragraph()
    detail.text, detail.level = "Prokaryotes lack a nucleus", 1
    _textbox(slide.shapes, "Right column note", left=7.5, top=1.5)
    _textbox(slide.shapes, "Footer source Alberts 2022", left=0.5, top=6.8)
    group = slide.shapes.add_group_shape()
    _textbox(group.shapes, "Grouped left", left=0.5, top=0.2)
    _textbox(group.shapes, "Grouped right", left=4.0, top=0.2)
    group.top = Inches(5.5)  # children keep their own coordinates; the group's transform moves them
    table = slide.shapes.add_table(2, 3, Inches(0.5), Inches(3.8), Inches(6), Inches(0.8)).table
    for column, (head, value) in enumerate([("Organelle", "Nucleus"), ("Role", "DNA storage"), ("Size", "6 µm")]):
        table.cell(0, column).text, table.cell(1, column).text = head, value
    picture = tmp_path / "diagram.png"
    render_text(["Golgi apparatus", "packages proteins"], dpi=150).crop((0, 0, 900, 250)).save(picture)
    slide.shapes.add_picture(str(picture), Inches(7.5), Inches(3.0), width=Inches(5))
    slide.notes_slide.notes_text_frame.text = "Remind students about the membrane quiz."
    second = presentation.slides.add_slide(presentation.slide_layouts[0])
    second.shapes.title.text = "Summary"
    path = tmp_path / "lecture.pptx"
    presentation.save(str(path))
    return path


def _textbox(shapes: SlideShapes | GroupShapes, text: str, *, left: float, top: float) -> None:
    box = shapes.add_textbox(Inches(left), Inches(top), Inches(3), Inches(0.5))
    box.text_frame.text = text
    box.text_frame.paragraphs[0].runs[0].font.size = Pt(18)


@pytest.fixture
def exif_image(tmp_path: Path) -> Callable[[str], Path]:
    """Factory: a 60×40 image, red left half, blue right half, stored with EXIF orientation 6 (turn 90° clockwise)."""

    def make(fmt: str) -> Path:
        image = Image.new("RGB", (60, 40), "blue")
        image.paste((255, 0, 0), (0, 0, 30, 40))
        exif = Image.Exif()
        exif[0x0112] = 6
        exif[0x010F] = "Test Camera"
        path = tmp_path / f"photo.{fmt.lower()}"
        image.save(path, format=fmt, exif=exif)
        return path

    return make
