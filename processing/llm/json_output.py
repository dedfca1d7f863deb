"""Read a model's JSON answer: tolerant of code fences and a sentence around it, strict about truncation."""

from __future__ import annotations

import json
import re
from typing import Any

from processing.llm import ProviderError

CODE_FENCE = re.compile(r"^```[\w-]*\s*\n?(.*?)\n?```\s*$", re.DOTALL)


def parse_model_json(text: str | None, *, source: str, cut_off: bool = False) -> Any:
    """The JSON value in `text`; `source` names the provider in messages, `cut_off` says the model hit its
    output limit. Raises ProviderError(reason="bad_output")."""
    if text is None or not text.strip():
        raise ProviderError(f"{source} returned an empty answer.", reason="bad_output")
    candidate = text.strip()
    fenced = CODE_FENCE.match(candidate)
    if fenced:
        candidate = fenced.group(1).strip()
    try:
        return json.loads(candidate)
    except json.JSONDecodeError as exc:
        error = exc
    # Servers without a JSON mode often wrap the object in a sentence: decode from its first bracket.
    start = min((i for i in (candidate.find("{"), candidate.find("[")) if i >= 0), default=-1)
    if start >= 0:
        try:
            value, _ = json.JSONDecoder().raw_decode(candidate, start)
            return value
        except json.JSONDecodeError as exc:
            error = exc
    if cut_off:
        message = f"{source}'s answer was cut off before its JSON was complete (the model hit its output limit)."
    else:
        message = f"{source} answered with text that is not valid JSON ({error.msg} at character {error.pos})."
    raise ProviderError(message, reason="bad_output")
