"""Card Markdown (with $…$ / $$…$$ LaTeX and cloze deletions) as plain Unicode text for printing.

LaTeX becomes what a reader would write by hand: \\alpha → α, x^2 → x², x_i → xᵢ (or x^(…) / x_(…)
where Unicode has no script glyph), \\frac{a}{b} → a/b ((a+1)/(b) for longer parts), \\sqrt{x} → √x,
\\mathbb{R} → ℝ; commands it does not know keep their name and lose the backslash. Markdown loses
its markup (bold, links, images, tables) and keeps its lines and list bullets.
"""

from __future__ import annotations

import html
import re
import unicodedata

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.dollarmath import dollarmath_plugin

from processing.render import find_deletions

BLANK = "_____"
_BLANK_MARK = "\ue010"  # stands for a blank while the Markdown is read (five underscores would be a rule)

_md = (
    MarkdownIt("commonmark", {"html": True, "breaks": True})
    .enable(["table", "strikethrough"])
    .use(dollarmath_plugin, double_inline=True)
)


def _names(words: str) -> frozenset[str]:
    return frozenset(words.split())


GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ϵ", "varepsilon": "ε", "zeta": "ζ",
    "eta": "η", "theta": "θ", "vartheta": "ϑ", "iota": "ι", "kappa": "κ", "lambda": "λ", "mu": "μ", "nu": "ν",
    "xi": "ξ", "pi": "π", "varpi": "ϖ", "rho": "ρ", "varrho": "ϱ", "sigma": "σ", "varsigma": "ς", "tau": "τ",
    "upsilon": "υ", "phi": "ϕ", "varphi": "φ", "chi": "χ", "psi": "ψ", "omega": "ω",
    "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ", "Pi": "Π", "Sigma": "Σ",
    "Upsilon": "Υ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω",
}  # fmt: skip
SYMBOLS = {
    "sum": "∑", "prod": "∏", "int": "∫", "iint": "∬", "oint": "∮", "leq": "≤", "le": "≤", "geq": "≥", "ge": "≥",
    "neq": "≠", "ne": "≠", "approx": "≈", "equiv": "≡", "sim": "∼", "simeq": "≃", "cong": "≅", "propto": "∝",
    "in": "∈", "notin": "∉", "ni": "∋", "subset": "⊂", "subseteq": "⊆", "supset": "⊃", "supseteq": "⊇",
    "cup": "∪", "cap": "∩", "setminus": "∖", "emptyset": "∅", "varnothing": "∅", "infty": "∞",
    "partial": "∂", "nabla": "∇", "forall": "∀", "exists": "∃", "neg": "¬", "lnot": "¬", "land": "∧",
    "wedge": "∧", "lor": "∨", "vee": "∨", "to": "→", "rightarrow": "→", "leftarrow": "←", "gets": "←",
    "leftrightarrow": "↔", "Rightarrow": "⇒", "implies": "⇒", "Leftarrow": "⇐", "Leftrightarrow": "⇔",
    "iff": "⇔", "mapsto": "↦", "uparrow": "↑", "downarrow": "↓", "cdot": "·", "times": "×", "div": "÷",
    "pm": "±", "mp": "∓", "ast": "∗", "star": "⋆", "circ": "∘", "bullet": "•", "oplus": "⊕", "otimes": "⊗",
    "ldots": "…", "dots": "…", "cdots": "⋯", "vdots": "⋮", "ddots": "⋱", "mid": "|", "vert": "|",
    "Vert": "‖", "|": "‖", "langle": "⟨", "rangle": "⟩", "lceil": "⌈", "rceil": "⌉", "lfloor": "⌊",
    "rfloor": "⌋", "ell": "ℓ", "hbar": "ℏ", "prime": "′", "top": "⊤", "bot": "⊥", "perp": "⊥",
    "parallel": "∥", "angle": "∠", "degree": "°", "triangle": "△", "Re": "ℜ", "Im": "ℑ", "aleph": "ℵ",
    "ll": "≪", "gg": "≫", "lt": "<", "gt": ">", "sqcup": "⊔", "models": "⊨", "vdash": "⊢",
    "{": "{", "}": "}", "%": "%", "$": "$", "&": "&", "#": "#", "_": "_",
}  # fmt: skip
SPACES = {",": " ", ";": " ", ":": " ", "!": "", " ": " ", "quad": "  ", "qquad": "  ", "\\": "; ", "newline": "; "}
FUNCTIONS = _names(
    "log ln exp sin cos tan cot sec csc arcsin arccos arctan sinh cosh tanh lim liminf limsup max min sup inf"
    " arg argmax argmin det dim ker deg gcd Pr mod bmod"
)
DROPPED = _names("left right big Big bigg Bigg bigl bigr Bigl Bigr displaystyle textstyle limits nolimits middle")
DOUBLE_STRUCK = {"R": "ℝ", "N": "ℕ", "Z": "ℤ", "Q": "ℚ", "C": "ℂ", "P": "ℙ", "E": "𝔼", "H": "ℍ", "1": "𝟙"}
SCRIPT = {"L": "ℒ", "H": "ℋ", "F": "ℱ", "B": "ℬ", "E": "ℰ", "M": "ℳ", "R": "ℛ", "I": "ℐ", "O": "𝒪", "N": "𝒩"}
ACCENTS = {"hat": "\u0302", "widehat": "\u0302", "bar": "\u0304", "overline": "\u0305", "tilde": "\u0303",
           "widetilde": "\u0303", "vec": "\u20d7", "dot": "\u0307", "ddot": "\u0308"}  # fmt: skip
TEXT_COMMANDS = _names(
    "text textrm textbf textit mathrm mathbf mathit mathsf mathtt boldsymbol bm operatorname emph mbox"
)
SUPERSCRIPTS = dict(zip("0123456789+-=()niabcdefghjklmoprstuvwxyzABDEGHIJKLMNOPRTUVW",
                        "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱᵃᵇᶜᵈᵉᶠᵍʰʲᵏˡᵐᵒᵖʳˢᵗᵘᵛʷˣʸᶻᴬᴮᴰᴱᴳᴴᴵᴶᴷᴸᴹᴺᴼᴾᴿᵀᵁⱽᵂ", strict=True))  # fmt: skip
SUBSCRIPTS = dict(zip("0123456789+-=()aehijklmnoprstuvxβγρφχ", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓᵦᵧᵨᵩᵪ", strict=True))
SUPERSCRIPTS |= {"′": "′", "*": "*", "∗": "∗", "T": "ᵀ", "'": "′"}
_COMMAND = re.compile(r"\\([A-Za-z]+|.)")
_WHITESPACE = re.compile(r"[ \t]+")
_SCRIPT_GLYPHS = "".join(sorted(set(SUPERSCRIPTS.values()) | set(SUBSCRIPTS.values())))
# One number, one word or one symbol, with any scripts: a/b and 1/x² need no parentheses.
_ATOM = re.compile(rf"(?:\d+(?:\.\d+)?|[^\W\d_]+|[^\s+\-−±=<>≤≥/·×÷,()])[{re.escape(_SCRIPT_GLYPHS)}]*")


# --- LaTeX -----------------------------------------------------------------------------------


class _Latex:
    """A small recursive reader of math-mode LaTeX that writes Unicode as it goes."""

    def __init__(self, source: str) -> None:
        self.s, self.i = source, 0

    def sequence(self, closing: str | None = None) -> str:
        out: list[str] = []
        while self.i < len(self.s):
            ch = self.s[self.i]
            if closing is not None and ch == closing:
                self.i += 1
                return "".join(out)
            if ch in "^_":
                self.i += 1
                out.append(_script(self.argument(), superscript=ch == "^"))
            else:
                out.append(self.atom())
        return "".join(out)

    def atom(self) -> str:
        ch = self.s[self.i]
        if ch == "\\":
            return self.command()
        self.i += 1
        if ch == "{":
            return self.sequence("}")
        if ch == "}":
            return ""  # a stray closing brace
        if ch == "~":
            return " "
        if ch == "&":
            return " "
        if ch == "'":
            return "′"
        return ch

    def argument(self) -> str:
        while self.i < len(self.s) and self.s[self.i] in " \t\n":
            self.i += 1
        if self.i >= len(self.s):
            return ""
        if self.s[self.i] == "{":
            self.i += 1
            return self.sequence("}")
        return self.atom()

    def optional(self) -> str | None:
        if self.s.startswith("[", self.i):
            end = self.s.find("]", self.i)
            if end > 0:
                inner = self.s[self.i + 1 : end]
                self.i = end + 1
                return latex_to_text(inner)
        return None

    def command(self) -> str:
        match = _COMMAND.match(self.s, self.i)
        if match is None:  # a lone backslash at the end
            self.i += 1
            return ""
        name = match.group(1)
        self.i = match.end()
        return self.expand(name)

    def expand(self, name: str) -> str:  # noqa: PLR0911 - one branch per family of commands
        if name in GREEK:
            return GREEK[name]
        if name in SYMBOLS:
            return SYMBOLS[name]
        if name in SPACES:
            return SPACES[name]
        if name in DROPPED:
            return ""
        if name in FUNCTIONS:
            return f"{name} " if name not in ("lim", "max", "min", "sup", "inf") else name
        if name in ("frac", "dfrac", "tfrac", "cfrac"):
            top, bottom = self.argument(), self.argument()
            return f"{_grouped(top)}/{_grouped(bottom)}"
        if name == "binom":
            top, bottom = self.argument(), self.argument()
            return f"C({top}, {bottom})"
        if name == "sqrt":
            degree = self.optional()
            body = self.argument()
            root = {"2": "", "3": "∛", "4": "∜"}.get(degree or "2")
            if root is None:
                root = _script(degree or "", superscript=True) + "√"
            return (root or "√") + _grouped(body)
        if name == "mathbb":
            body = self.argument()
            return "".join(DOUBLE_STRUCK.get(ch, ch) for ch in body)
        if name in ("mathcal", "mathscr"):
            body = self.argument()
            return "".join(SCRIPT.get(ch, ch) for ch in body)
        if name in ACCENTS:
            body = self.argument()
            return body + ACCENTS[name] if len(body) == 1 else f"({body}){ACCENTS[name]}"
        if name in TEXT_COMMANDS:
            return self.argument()
        if name in ("begin", "end"):
            self.argument()  # the environment's name
            return " "
        if name in ("not",):
            return self.argument() + "\u0338"
        return name  # unknown: its name reads better than nothing (\argmax → argmax)


def _grouped(text: str) -> str:
    """A fraction's or root's part: as it is when it is one symbol or number, else in parentheses."""
    text = text.strip()
    return text if _ATOM.fullmatch(text) else f"({text})"


def _script(text: str, *, superscript: bool) -> str:
    """x^2 → ², x^{-1} → ⁻¹; without a glyph for every character: ^q or ^(…)."""
    table, marker = (SUPERSCRIPTS, "^") if superscript else (SUBSCRIPTS, "_")
    text = text.strip()
    if not text:
        return ""
    if all(ch in table for ch in text):
        return "".join(table[ch] for ch in text)
    return f"{marker}{text}" if len(text) == 1 else f"{marker}({text})"


def latex_to_text(tex: str) -> str:
    """Math-mode LaTeX as one line of Unicode text."""
    # NFC: an accent on a letter that has a precomposed form prints as that one glyph (ŷ, not y + ̂)
    return unicodedata.normalize("NFC", " ".join(_Latex(tex).sequence().split()))


# --- Markdown ------------------------------------------------------------------------------------


def _inline(token: Token) -> str:
    out: list[str] = []
    link_stack: list[tuple[str, int]] = []
    for child in token.children or []:
        kind = child.type
        if kind == "text":
            out.append(child.content)
        elif kind in ("softbreak", "hardbreak"):
            out.append("\n")
        elif kind == "code_inline":
            out.append(child.content)
        elif kind in ("math_inline", "math_inline_double", "math_single"):
            out.append(latex_to_text(child.content))
        elif kind == "image":
            alt = child.content.strip()
            out.append(f"[image: {alt}]" if alt else "[image]")
        elif kind == "link_open":
            link_stack.append((str(child.attrs.get("href", "")), len(out)))
        elif kind == "link_close" and link_stack:
            href, start = link_stack.pop()
            label = "".join(out[start:]).strip()
            if href.startswith(("http://", "https://")) and href.rstrip("/") != label.rstrip("/"):
                out.append(f" ({href})")
        elif kind == "html_inline":
            out.append("\n" if re.match(r"<br\s*/?>", child.content, re.I) else "")
    return "".join(out)


def markdown_to_text(markdown: str) -> str:
    """The visible text of a card field: one line per paragraph, list item, table row or formula."""
    lines: list[str] = []
    prefixes: list[str] = []  # the bullet or number each open list item starts with
    counters: list[int] = []
    pending = ""
    row: list[str] = []
    in_cell = False
    for token in _md.parse(markdown):
        kind = token.type
        if kind in ("bullet_list_open", "ordered_list_open"):
            counters.append(int(token.attrs.get("start", 1) or 1) if kind == "ordered_list_open" else 0)
        elif kind in ("bullet_list_close", "ordered_list_close"):
            counters.pop()
        elif kind == "list_item_open":
            if token.markup in (".", ")"):
                pending = f"{token.info or counters[-1]}. "
                counters[-1] += 1
            else:
                pending = "• "
            prefixes.append("  " * (len(counters) - 1))
        elif kind == "list_item_close":
            prefixes.pop()
        elif kind == "tr_open":
            row = []
        elif kind in ("th_open", "td_open", "th_close", "td_close"):
            in_cell = kind.endswith("_open")
        elif kind == "tr_close":
            lines.append(" | ".join(row))
        elif kind == "inline":
            text = _inline(token)
            if in_cell:
                row.append(" ".join(text.split()))
                continue
            indent = prefixes[-1] if prefixes else ""
            for n, line in enumerate(text.split("\n")):
                lead = (indent + pending) if n == 0 else indent + " " * len(pending)
                lines.append(lead + line.strip())
            pending = ""
        elif kind in ("math_block", "math_block_eqno"):
            lines.append(latex_to_text(token.content))
        elif kind in ("fence", "code_block"):
            lines.extend(token.content.rstrip("\n").split("\n"))
        elif kind == "hr":
            lines.append("—")
        elif kind == "html_block":
            stripped = re.sub(r"<[^>]+>", " ", token.content)
            lines.extend(line.strip() for line in stripped.split("\n") if line.strip())
    text = "\n".join(_WHITESPACE.sub(" ", html.unescape(line)).rstrip() for line in lines)
    return text.replace(_BLANK_MARK, BLANK).strip()


def cloze_question(front: str, number: int) -> tuple[str, str]:
    """(question, answer) of cloze number `number`: its deletions blanked (a hint kept beside the blank),
    the other deletions shown as their answers."""
    out, last, answers = [], 0, []
    for deletion in find_deletions(front):
        out.append(front[last : deletion.start])
        if deletion.number == number:
            hint = (deletion.hint or "").strip()
            out.append(_BLANK_MARK + (f" ({hint})" if hint else ""))
            answers.append(markdown_to_text(deletion.answer))
        else:
            out.append(deletion.answer)
        last = deletion.end
    out.append(front[last:])
    return markdown_to_text("".join(out)), "; ".join(dict.fromkeys(a for a in answers if a))


def cloze_text(front: str) -> str:
    """A cloze note's text with every deletion shown as its answer."""
    out, last = [], 0
    for deletion in find_deletions(front):
        out += [front[last : deletion.start], deletion.answer]
        last = deletion.end
    out.append(front[last:])
    return markdown_to_text("".join(out))


def normalise(text: str) -> str:
    """For comparing answers: compatibility forms (x² ~ x2), case, punctuation and spacing ignored."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = re.sub(r"[^\w+\-*/=<>≤≥≠%.]+", " ", folded)
    return " ".join(folded.strip(" .").split())
