"""The printed page every Lectern document shares (fpdf2): DejaVu fonts for Unicode text, the title on
each page, "Page N of M" below, and text that wraps and moves to the next page whole — never a cut line.

Blocks that belong together (a question and its first option, a term and its definition) are measured
first with a dry run and start on a new page when they would not fit on this one.
"""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF
from fpdf.enums import MethodReturnValue, XPos, YPos

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONTS = {
    ("DejaVu", ""): "DejaVuSans.ttf",
    ("DejaVu", "B"): "DejaVuSans-Bold.ttf",
    ("DejaVu", "I"): "DejaVuSans-Oblique.ttf",
    ("DejaVuSerif", ""): "DejaVuSerif.ttf",
    ("DejaVuMono", ""): "DejaVuSansMono.ttf",
}
FALLBACK_FONTS = ["DejaVuSerif"]  # ⟨ ⟩ 𝔼 and a few more math letters that DejaVuSans lacks
MARGIN = 18.0  # mm
BODY_SIZE = 11.0
LINE_HEIGHT = 5.6  # mm for 11 pt text
GREY = (110, 110, 110)
RULE_GREY = (190, 190, 190)


class FontsMissing(RuntimeError):
    """The DejaVu fonts (Debian package fonts-dejavu-core) are not installed."""


def missing_fonts() -> list[str]:
    return [name for name in FONTS.values() if not (FONT_DIR / name).is_file()]


class DocumentPDF(FPDF):
    """An A4 document with a running title and page numbers; text helpers take plain Unicode text."""

    def __init__(self, *, title: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        missing = missing_fonts()
        if missing:
            raise FontsMissing(f"Fonts missing from {FONT_DIR}: {', '.join(missing)} (install fonts-dejavu-core)")
        for (family, style), filename in FONTS.items():
            self.add_font(family, style, str(FONT_DIR / filename))
        self.set_fallback_fonts(FALLBACK_FONTS, exact_match=False)
        self.doc_title = title
        self.set_title(title)
        self.set_creator("Lectern")
        self.set_margins(MARGIN, MARGIN + 4, MARGIN)
        self.set_auto_page_break(True, margin=MARGIN)
        self.alias_nb_pages()
        self.set_font("DejaVu", size=BODY_SIZE)

    # --- every page ----------------------------------------------------------------------------

    def header(self) -> None:
        self.set_y(8)
        self.set_font("DejaVu", size=8)
        self.set_text_color(*GREY)
        self.cell(0, 5, self.doc_title[:110], align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_draw_color(*RULE_GREY)
        self.line(self.l_margin, 14, self.w - self.r_margin, 14)
        self.set_text_color(0, 0, 0)
        self.set_y(self.t_margin)
        self.set_font("DejaVu", size=BODY_SIZE)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("DejaVu", size=8)
        self.set_text_color(*GREY)
        self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="C")
        self.set_text_color(0, 0, 0)

    # --- text ------------------------------------------------------------------------------------

    def title_block(self, title: str, subtitle: str = "") -> None:
        self.set_font("DejaVu", "B", 18)
        self.multi_cell(0, 8.5, title, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if subtitle:
            self.set_font("DejaVu", size=10)
            self.set_text_color(*GREY)
            self.multi_cell(0, 5.5, subtitle, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.set_text_color(0, 0, 0)
        self.ln(4)
        self.set_font("DejaVu", size=BODY_SIZE)

    def heading(self, text: str, *, size: float = 14, space_after: float = 2) -> None:
        """A section heading that never sits alone at the bottom of a page (it keeps a few lines after it)."""
        self.keep_together(size * 0.6 + 4 * LINE_HEIGHT)
        self.ln(2)
        self.set_font("DejaVu", "B", size)
        self.multi_cell(0, size * 0.55, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(space_after)
        self.set_font("DejaVu", size=BODY_SIZE)

    def text_height(self, text: str, *, width: float, style: str = "", size: float = BODY_SIZE) -> float:
        """How tall `text` would be as a wrapped paragraph `width` mm wide (nothing is drawn)."""
        self.set_font("DejaVu", style, size)
        height = self.multi_cell(
            width, _line_height(size), text, align="L", dry_run=True, output=MethodReturnValue.HEIGHT
        )
        self.set_font("DejaVu", size=BODY_SIZE)
        return float(height)

    def paragraph(
        self,
        text: str,
        *,
        indent: float = 0,
        style: str = "",
        size: float = BODY_SIZE,
        label: str = "",
        label_width: float = 0,
        grey: bool = False,
    ) -> None:
        """Wrapped text from `indent` mm; with a `label` ("12.", "B."), a hanging indent after it."""
        self.set_font("DejaVu", style, size)
        if grey:
            self.set_text_color(*GREY)
        line = _line_height(size)
        x = self.l_margin + indent
        if label:
            self.set_x(x)
            self.cell(label_width, line, label, new_x=XPos.RIGHT, new_y=YPos.TOP)
            x += label_width
        self.set_x(x)
        self.multi_cell(self.w - self.r_margin - x, line, text or " ", align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(0, 0, 0)
        self.set_font("DejaVu", size=BODY_SIZE)

    def width_from(self, indent: float) -> float:
        return self.epw - indent

    def keep_together(self, height: float) -> None:
        """Starts a new page unless `height` mm fit below the cursor (a block taller than a page starts
        at the top of one and then breaks between its lines)."""
        if self.will_page_break(min(height, self.eph - 1)):
            self.add_page()

    def ruled_lines(self, count: int, *, indent: float = 0, gap: float = 8.0) -> None:
        """Ruled space to write an answer in."""
        self.set_draw_color(*RULE_GREY)
        for _ in range(count):
            if self.will_page_break(gap):
                self.add_page()
            self.set_y(self.get_y() + gap)
            self.line(self.l_margin + indent, self.get_y(), self.w - self.r_margin, self.get_y())
        self.set_draw_color(0, 0, 0)
        self.ln(2)


def _line_height(size: float) -> float:
    return LINE_HEIGHT * size / BODY_SIZE


def save(pdf: DocumentPDF, path: Path) -> int:
    """Writes the document; returns its number of pages."""
    pdf.output(str(path))
    return pdf.pages_count
