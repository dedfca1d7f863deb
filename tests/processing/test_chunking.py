"""Chunking on real tokenizer counts: page-aware, bounded, lossless, boundary-respecting."""

from __future__ import annotations

import pytest

from processing.chunking import Chunk, bundled_tokenizer, chunk_pages, normalize_text


def prose(topic: str, sentences: int, *, start: int = 0) -> str:
    return " ".join(
        f"The {topic} lecture point number {i} explains why {topic} matters in practice, "
        f"with an example about item {i % 7} and a short remark."
        for i in range(start, start + sentences)
    )


def real_token_count(text: str) -> int:
    return len(bundled_tokenizer().encode(text, add_special_tokens=False).ids)


def new_text(chunks: list[Chunk]) -> list[str]:
    """Each chunk's text without the overlap it repeats from the chunk before on its page."""
    pieces, previous = [], None
    for chunk in chunks:
        skip = previous.char_end - chunk.char_start if previous and previous.page == chunk.page else 0
        pieces.append(chunk.text[max(skip, 0) :])
        previous = chunk
    return pieces


def test_pages_are_never_mixed_and_each_chunk_knows_its_page() -> None:
    pages = [(3, prose("alpha", 40)), (4, prose("omega", 40))]
    chunks = chunk_pages(pages)
    assert {c.page for c in chunks} == {3, 4}
    for chunk in chunks:
        other = "omega" if chunk.page == 3 else "alpha"
        assert other not in chunk.text
    assert [c.index for c in chunks] == list(range(len(chunks)))
    assert [c.page for c in chunks] == sorted(c.page for c in chunks)


@pytest.mark.parametrize(("target", "maximum", "overlap"), [(200, 256, 30), (60, 80, 10), (20, 20, 0)])
def test_every_chunk_fits_and_counts_are_the_tokenizers(target: int, maximum: int, overlap: int) -> None:
    text = "\n\n".join(prose("graph", n, start=n * 10) for n in (1, 3, 12, 2, 30))
    chunks = chunk_pages([(1, text)], target_tokens=target, max_tokens=maximum, overlap_tokens=overlap)
    assert len(chunks) > 3
    for chunk in chunks:
        assert chunk.token_count <= maximum
        assert chunk.token_count == real_token_count(chunk.text)


def test_text_coverage_all_words_in_order_without_overlap() -> None:
    page = "Intro line\nwith a break.\n\n" + prose("entropy", 25) + "\n\n  \n" + prose("kernel", 9)
    chunks = chunk_pages([(1, page), (2, prose("loss", 30))])
    for number, raw in [(1, page), (2, prose("loss", 30))]:
        normalized = normalize_text(raw)
        on_page = [c for c in chunks if c.page == number]
        assert all(c.text == normalized[c.char_start : c.char_end] for c in on_page)
        assert " ".join(new_text(on_page)).split() == normalized.split()


def test_consecutive_chunks_overlap_on_a_page_but_not_across_pages() -> None:
    chunks = chunk_pages([(1, prose("tree", 40)), (2, prose("heap", 40))], overlap_tokens=30)
    for previous, chunk in zip(chunks, chunks[1:], strict=False):
        if chunk.page == previous.page:
            assert chunk.char_start < previous.char_end
            shared = previous.text[chunk.char_start - previous.char_start :]
            assert 0 < real_token_count(shared) <= 30
        else:
            assert chunk.char_start == 0


def test_splits_at_paragraphs_when_they_fit() -> None:
    paragraphs = [prose(topic, 5) for topic in ("sorting", "hashing", "parsing", "caching")]
    text = "\n\n".join(paragraphs)
    normalized = normalize_text(text)
    assert all(real_token_count(p) <= 200 for p in paragraphs)
    chunks = chunk_pages([(1, text)], overlap_tokens=0)
    assert len(chunks) > 1
    for chunk in chunks[:-1]:
        assert normalized[chunk.char_end : chunk.char_end + 2] == "\n\n"


def test_long_paragraph_splits_at_sentence_ends() -> None:
    chunks = chunk_pages([(1, prose("matrix", 60))], overlap_tokens=0)
    assert len(chunks) > 2
    assert all(c.text.endswith("remark.") for c in chunks)


def test_tiny_trailing_piece_joins_the_previous_chunk() -> None:
    text = prose("vector", 9) + " Short end."
    chunks = chunk_pages([(1, text)], overlap_tokens=0)
    assert chunks[-1].text.endswith("Short end.")
    assert chunks[-1].token_count > 50
    assert all(c.token_count <= 256 for c in chunks)


def test_hyphenation_at_line_ends_is_joined_and_whitespace_normalised() -> None:
    raw = "Pattern recog-\nnition   is\ttaught by Jean-\nPaul.\r\n\r\n\r\nNext  para-\n  graph here."
    assert normalize_text(raw) == "Pattern recognition is taught by Jean-Paul.\n\nNext paragraph here."
    [chunk] = chunk_pages([(1, raw)])
    assert "recognition" in chunk.text and "paragraph" in chunk.text


def test_empty_pages_are_skipped() -> None:
    chunks = chunk_pages([(1, ""), (2, "  \n\n\t "), (3, "Only this page has words."), (4, "\x00")])
    assert [(c.page, c.text) for c in chunks] == [(3, "Only this page has words.")]
    assert chunk_pages([]) == []


@pytest.mark.parametrize("line", ["x" * 30_000, "=" * 5_000, "αβγδ" * 3_000])
def test_one_huge_word_free_line_still_splits(line: str) -> None:
    chunks = chunk_pages([(7, line)])
    assert len(chunks) > 1
    assert all(c.page == 7 and 0 < c.token_count <= 256 for c in chunks)
    assert "".join(new_text(chunks)) == line


def test_bad_limits_are_refused() -> None:
    with pytest.raises(ValueError):
        chunk_pages([(1, "text")], target_tokens=300, max_tokens=256)
    with pytest.raises(ValueError):
        chunk_pages([(1, "text")], target_tokens=240, max_tokens=256, overlap_tokens=30)
