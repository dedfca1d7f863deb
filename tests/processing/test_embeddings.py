"""The embedder on the real bundled model: ONNX int8 export once, reuse, torch fallback, threads."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from processing.embeddings import EXPORT_DIR_NAME, Embedder

TEXTS = [
    "The mitochondria is the powerhouse of the cell.",
    "Gradient descent updates weights against the gradient of the loss.",
    "Photosynthesis turns light, water and carbon dioxide into glucose.",
    "The French Revolution began in 1789.",
    "A hash table maps keys to buckets with a hash function.",
]


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def embedder(models_dir: Path) -> Embedder:
    """Exports the int8 model once for the whole session."""
    embedder = Embedder(models_dir)
    embedder.load()
    return embedder


@pytest.fixture(scope="session")
def torch_embedder(tmp_path_factory: pytest.TempPathFactory) -> Embedder:
    return Embedder(tmp_path_factory.mktemp("unused"), backend="torch")


def test_onnx_int8_backend_is_used_and_shapes_are_right(embedder: Embedder) -> None:
    assert embedder.ready and embedder.backend_in_use == "onnx-int8"
    vectors = embedder.encode(TEXTS)
    assert vectors.shape == (5, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    query = embedder.encode_query("cell energy")
    assert query.shape == (384,) and query.dtype == np.float32
    assert embedder.encode([]).shape == (0, 384)
    with pytest.raises(TypeError):
        embedder.encode("one string, not a list")


def test_order_is_kept_and_long_text_is_truncated_not_refused(embedder: Embedder) -> None:
    texts = ["short", "a much longer sentence about sorting algorithms " * 60, "medium length text here"]
    together = embedder.encode(texts, batch_size=2)
    alone = np.stack([embedder.encode_query(t) for t in texts])
    # int8 activations are scaled per batch, so batch-mates shift a vector slightly; never its place.
    assert list(np.argmax(together @ alone.T, axis=1)) == [0, 1, 2]
    assert np.all(np.sum(together * alone, axis=1) > 0.97)


def test_a_sentence_is_closer_to_its_paraphrase_than_to_unrelated_text(embedder: Embedder) -> None:
    sentence, paraphrase, unrelated = embedder.encode(
        [
            "The cat is sleeping on the warm windowsill.",
            "A kitten naps on the sunny window ledge.",
            "Interest rates were raised by the central bank.",
        ]
    )
    assert sentence @ paraphrase > sentence @ unrelated + 0.3


def test_int8_agrees_with_fp32_torch(embedder: Embedder, torch_embedder: Embedder) -> None:
    cosines = np.sum(embedder.encode(TEXTS) * torch_embedder.encode(TEXTS), axis=1)
    assert torch_embedder.backend_in_use == "torch"
    assert np.all(cosines > 0.97), cosines


def test_export_is_made_once_and_reused(embedder: Embedder, models_dir: Path) -> None:
    exported = embedder.onnx_path
    assert exported.parent == models_dir / EXPORT_DIR_NAME
    assert [p.name for p in exported.parent.iterdir()] == [exported.name]  # no temp leftovers
    before = exported.stat().st_mtime_ns

    again = Embedder(models_dir)
    assert not again.ready  # constructing loads nothing
    again.start_loading_in_background().join(timeout=120)
    assert again.ready and again.backend_in_use == "onnx-int8"
    assert exported.stat().st_mtime_ns == before
    assert sorted(models_dir.rglob("*")) == [exported.parent, exported]
    np.testing.assert_allclose(again.encode(TEXTS), embedder.encode(TEXTS), atol=1e-6)


def test_corrupt_onnx_model_falls_back_to_torch_with_a_warning(
    tmp_path: Path, embedder: Embedder, caplog: pytest.LogCaptureFixture
) -> None:
    broken = Embedder(tmp_path)
    broken.onnx_path.parent.mkdir(parents=True)
    broken.onnx_path.write_bytes(b"this is not an onnx model")
    with caplog.at_level(logging.WARNING, logger="processing.embeddings"):
        vectors = broken.encode(TEXTS[:2])
    assert broken.backend_in_use == "torch"
    assert any("torch" in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)
    assert vectors.shape == (2, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.all(np.sum(vectors * embedder.encode(TEXTS[:2]), axis=1) > 0.97)


@pytest.mark.parametrize("backend", ["onnx-int8", "torch"])
def test_parallel_encodes_match_sequential_ones(backend: str, embedder: Embedder, torch_embedder: Embedder) -> None:
    model = embedder if backend == "onnx-int8" else torch_embedder
    batches = [[f"{text} Variant {i}." for text in TEXTS] for i in range(8)]
    sequential = [model.encode(batch) for batch in batches]
    with ThreadPoolExecutor(max_workers=4) as pool:
        parallel = list(pool.map(model.encode, batches))
    for one, other in zip(sequential, parallel, strict=True):
        np.testing.assert_allclose(one, other, atol=1e-6)
