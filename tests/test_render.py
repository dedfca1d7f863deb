"""processing/render.py: cloze syntax, the cards of every note kind, sanitized HTML."""

from __future__ import annotations

import pytest

from models.note import NoteKind
from processing.errors import Invalid
from processing.render import RenderedCard, cloze_numbers, plain_text, render_cards, sanitize

HIDDEN = '<span class="cloze">[…]</span>'


def cloze(front: str, back: str = "") -> dict[int, RenderedCard]:
    return {card.ord: card for card in render_cards(kind=NoteKind.cloze, front=front, back=back)}


# --- cloze_numbers ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("{{c1::a}}", [1]),
        ("{{c2::a}} {{c1::b}} {{c2::c}}", [1, 2]),
        ("{{c10::x}} and {{c3::y::hint}}", [3, 10]),
        ("{{c100::x}}", [100]),
        ("multi\nline {{c1::spans\ntwo lines}}", [1]),
        ("{{c1::a::}}", [1]),
    ],
)
def test_cloze_numbers(text: str, numbers: list[int]) -> None:
    assert cloze_numbers(text) == numbers


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("no deletion here", "at least one deletion"),
        ("", "at least one deletion"),
        ("{{c1::unclosed", "Malformed cloze deletion near '{{c1::unclosed'"),
        ("{{c1::ok}} then {{c2::not closed", "Malformed cloze deletion near '{{c2::not closed'"),
        ("{{c::no number}}", "Malformed"),
        ("{{c1:one colon}}", "Malformed"),
        ("{{c0::zero}}", "start at 1"),
        ("{{c101::too far}}", "up to 100"),
        ("{{c1::}}", "c1 is empty"),
        ("{{c1::ok}} {{c2::  \n }}", "c2 is empty"),
    ],
)
def test_bad_cloze_says_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(Invalid) as caught:
        cloze_numbers(text)
    assert message in caught.value.detail
    assert caught.value.status_code == 422


# --- render_cards: every kind -----------------------------------------------------


def test_basic() -> None:
    [card] = render_cards(kind=NoteKind.basic, front="What is *osmosis*?", back="Water through\na membrane")
    assert card == RenderedCard(0, "Card", "<p>What is <em>osmosis</em>?</p>", "<p>Water through<br>\na membrane</p>")


def test_basic_back_may_be_empty() -> None:
    [card] = render_cards(kind=NoteKind.basic, front="Just a prompt", back="")
    assert card.back_html == ""


def test_reversed() -> None:
    forward, backward = render_cards(kind=NoteKind.reversed, front="**chien**", back="dog")
    assert forward == RenderedCard(0, "Front → back", "<p><strong>chien</strong></p>", "<p>dog</p>")
    assert backward == RenderedCard(1, "Back → front", "<p>dog</p>", "<p><strong>chien</strong></p>")
    with pytest.raises(Invalid, match="needs a back"):
        render_cards(kind=NoteKind.reversed, front="chien", back="  ")


def test_typein() -> None:
    [card] = render_cards(kind=NoteKind.typein, front="Capital of *France*?", back="  **Paris**,\n  France ")
    assert card.ord == 0 and card.label == "Type-in"
    assert card.answer == "Paris, France"
    assert card.back_html == "<p><strong>Paris</strong>,<br>\nFrance</p>"
    [entity] = render_cards(kind=NoteKind.typein, front="Q", back="Tom &amp; Jerry <b>x</b> $a<b$")
    assert entity.answer == "Tom & Jerry x a<b"


@pytest.mark.parametrize(
    ("back", "message"), [("", "expected answer"), ("<b> </b>", "expected answer"), ("x" * 501, "500")]
)
def test_typein_needs_a_short_answer(back: str, message: str) -> None:
    with pytest.raises(Invalid, match=message):
        render_cards(kind=NoteKind.typein, front="Q", back=back)


def test_cloze_cards_hide_only_their_own_number() -> None:
    cards = cloze("{{c1::Canberra}} is the capital of {{c2::Australia}}", back="Not *Sydney*")
    assert sorted(cards) == [1, 2]
    assert cards[1].label == "Cloze 1"
    assert cards[1].front_html == f"<p>{HIDDEN} is the capital of Australia</p>"
    assert cards[1].back_html == (
        '<p><span class="cloze">Canberra</span> is the capital of Australia</p>'
        '<hr class="extra-sep"><div class="extra"><p>Not <em>Sydney</em></p></div>'
    )
    assert cards[2].front_html == f"<p>Canberra is the capital of {HIDDEN}</p>"
    assert all(card.answer is None for card in cards.values())


def test_cloze_hint() -> None:
    card = cloze("{{c1::Paris::city}} is in {{c2::France::  }}")
    assert card[1].front_html == '<p><span class="cloze">[city]</span> is in France</p>'
    assert card[2].front_html == f"<p>Paris is in {HIDDEN}</p>"  # a blank hint is no hint
    assert "city" not in card[1].back_html


def test_cloze_hint_is_escaped() -> None:
    card = cloze("{{c1::x::<img src=y onerror=alert(1)>}}")[1]
    assert "<img" not in card.front_html
    assert "&lt;img" in card.front_html


@pytest.mark.parametrize("kind", list(NoteKind))
def test_empty_front_is_refused(kind: NoteKind) -> None:
    with pytest.raises(Invalid, match="cannot be empty"):
        render_cards(kind=kind, front=" \n\t", back="b")


# --- tricky clozes ----------------------------------------------------------------


def test_cloze_containing_math() -> None:
    card = cloze("Einstein: {{c1::$E=mc^2$}}")[1]
    assert card.front_html == f"<p>Einstein: {HIDDEN}</p>"
    assert card.back_html == '<p>Einstein: <span class="cloze"><span class="math inline">E=mc^2</span></span></p>'


def test_cloze_around_display_math_and_markdown() -> None:
    card = cloze("**Energy**: {{c1::*kinetic* $\\frac12 mv^2$}}\n\n$$F = ma$$")[1]
    assert card.front_html.startswith(f"<p><strong>Energy</strong>: {HIDDEN}</p>")
    assert (
        '<span class="cloze"><em>kinetic</em> <span class="math inline">\\frac12 mv^2</span></span>' in card.back_html
    )
    assert '<div class="math block">\nF = ma\n</div>' in card.front_html


def test_cloze_answer_with_markdown() -> None:
    card = cloze("The {{c1::**mitochondrion** (`mt`)}} makes ATP")[1]
    assert card.back_html == (
        '<p>The <span class="cloze"><strong>mitochondrion</strong> (<code>mt</code>)</span> makes ATP</p>'
    )
    assert "mitochondrion" not in card.front_html


def test_two_clozes_with_the_same_number() -> None:
    cards = cloze("{{c1::Na}} and {{c1::Cl}} make {{c2::salt}}")
    assert sorted(cards) == [1, 2]
    assert cards[1].front_html == f"<p>{HIDDEN} and {HIDDEN} make salt</p>"
    assert cards[1].back_html == '<p><span class="cloze">Na</span> and <span class="cloze">Cl</span> make salt</p>'
    assert cards[2].front_html == f"<p>Na and Cl make {HIDDEN}</p>"


def test_cloze_with_nested_braces_in_math() -> None:
    """LaTeX braces inside a deletion (`x^{2}}` ends in two closing braces) belong to the answer."""
    cards = cloze("Derivative: {{c1::$\\frac{1}{x^{2}}$}} done")
    assert sorted(cards) == [1]
    card = cards[1]
    assert card.front_html == f"<p>Derivative: {HIDDEN} done</p>"
    assert card.back_html == (
        '<p>Derivative: <span class="cloze"><span class="math inline">\\frac{1}{x^{2}}</span></span> done</p>'
    )


def test_braces_that_are_not_clozes_are_text() -> None:
    cards = cloze("A set {a, {b}} and {{c1::x}}")
    assert cards[1].front_html == f"<p>A set {{a, {{b}}}} and {HIDDEN}</p>"


def test_private_use_placeholders_in_the_text_do_not_crash() -> None:
    cards = cloze("{{c1::secret}} and \ue0005\ue001 stray")
    assert "secret" not in cards[1].front_html
    assert cards[1].back_html.count("secret") == 1


def test_private_use_placeholders_in_the_text_do_not_leak_other_deletions() -> None:
    cards = cloze("{{c1::alpha}} {{c2::beta}} then \ue0000\ue001 and \ue0001\ue001 end")
    for card in cards.values():
        for html in (card.front_html, card.back_html):
            assert html.count("alpha") <= 1 and html.count("beta") <= 1, html
            assert html.count('class="cloze"') == 1, html


def test_lone_private_use_characters_are_kept_as_text() -> None:
    card = cloze("odd \ue000 and \ue001 chars {{c1::x}}")[1]
    assert card.front_html == f"<p>odd \ue000 and \ue001 chars {HIDDEN}</p>"


# --- sanitize ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("<script>alert(1)</script>ok", "ok"),
        ("<style>p{}</style>ok", "ok"),
        ('<img src="a.png" onerror="alert(1)">', '<img src="a.png">'),
        ('<a href="javascript:alert(1)">x</a>', '<a rel="noopener noreferrer nofollow">x</a>'),
        ('<a href="JaVaScRiPt:alert(1)">x</a>', '<a rel="noopener noreferrer nofollow">x</a>'),
        (
            '<a href="https://example.org" target="_blank">x</a>',
            '<a href="https://example.org" rel="noopener noreferrer nofollow">x</a>',
        ),
        ('<img src="data:image/png;base64,AAAA">', "<img>"),
        ('<span class="math inline" style="color:red">x</span>', '<span class="math inline">x</span>'),
        ('<span class="math evil">x</span>', '<span class="math">x</span>'),
        ('<p class="math">x</p>', "<p>x</p>"),
        ('<div class="math block" onclick="x()">y</div>', '<div class="math block">y</div>'),
        ("<iframe src='https://evil.example'></iframe><object></object>t", "t"),
        ("<svg><script>alert(1)</script></svg>t", "t"),
        (
            '<table><tr><td align="left">c</td></tr></table>',
            '<table><tbody><tr><td align="left">c</td></tr></tbody></table>',
        ),
    ],
)
def test_sanitize(raw: str, clean: str) -> None:
    assert sanitize(raw) == clean


def test_markdown_cannot_smuggle_script() -> None:
    [card] = render_cards(
        kind=NoteKind.basic,
        front="[click](javascript:alert(1)) <a href='jav&#x09;ascript:alert(2)'>t</a>\n\n`<script>`",
        back="![x](javascript:alert(3))",
    )
    for html in (card.front_html, card.back_html):
        assert 'href="javascript' not in html.lower() and 'src="javascript' not in html.lower()
        assert "<script" not in html
    assert "<code>&lt;script&gt;</code>" in card.front_html


def test_math_is_escaped_not_interpreted() -> None:
    [card] = render_cards(kind=NoteKind.basic, front="$a<b>c$ and $$x<script>$$", back="")
    assert '<span class="math inline">a&lt;b&gt;c</span>' in card.front_html
    assert "<script" not in card.front_html and "<b>" not in card.front_html


def test_plain_text() -> None:
    assert plain_text("  *Hello*\n\n**World**  ") == "Hello World"
    assert plain_text("<script>evil()</script>safe") == "safe"
