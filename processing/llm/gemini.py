"""Gemini through google-genai: structured JSON with a response schema, streaming with generate_content_stream.

The SDK's own retries are left off (retry_options=None) so that 429 and 5xx follow the same schedule as the
OpenAI-compatible provider and the server's RetryInfo / Retry-After is honoured. google-genai 3.x sends
its requests through httpx2 (or httpx when GOOGLE_GENAI_HTTP_CLIENT=httpx), so both families are caught.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import logging
import time
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any, TypeVar

from google import genai
from google.genai import errors, types

from processing.llm import ProviderError
from processing.llm.backoff import (
    ATTEMPTS,
    BACKOFF_SECONDS,
    RETRY_STATUSES,
    parse_duration,
    parse_retry_after,
    retry_wait,
)
from processing.llm.json_output import parse_model_json

log = logging.getLogger(__name__)
PING = "Reply with the single word OK."
T = TypeVar("T")


def _http_modules() -> list[ModuleType]:
    modules = []
    for name in ("httpx2", "httpx"):
        with contextlib.suppress(ImportError):
            modules.append(importlib.import_module(name))
    return modules


_MODULES = _http_modules()
TRANSPORT_ERRORS: tuple[type[Exception], ...] = tuple(m.TransportError for m in _MODULES)
TIMEOUTS: tuple[type[Exception], ...] = tuple(m.TimeoutException for m in _MODULES)
CONNECT_TIMEOUTS: tuple[type[Exception], ...] = tuple(m.ConnectTimeout for m in _MODULES)
DONE = {types.FinishReason.STOP, types.FinishReason.MAX_TOKENS}


class GeminiProvider:
    name = "gemini"

    def __init__(
        self,
        *,
        api_key: str,
        model: str,
        timeout: float = 120.0,
        base_url: str | None = None,
        attempts: int = ATTEMPTS,
        backoff: float = BACKOFF_SECONDS,
    ) -> None:
        self.model = model
        self._api_key = api_key
        self._timeout = timeout
        self._base_url = base_url
        self._attempts = max(attempts, 1)
        self._backoff = backoff

    def generate_json(self, *, system: str, prompt: str, schema: dict) -> Any:
        config = types.GenerateContentConfig(
            system_instruction=system, response_mime_type="application/json", response_schema=schema
        )
        with self._client() as client:
            response = self._with_retries(
                lambda: client.models.generate_content(model=self.model, contents=prompt, config=config)
            )
        finish_reason = _finish_reason(response)
        if not response.text:
            _raise_if_blocked(response, finish_reason)
        return parse_model_json(response.text, source="Gemini", cut_off=finish_reason == types.FinishReason.MAX_TOKENS)

    def stream_text(
        self, *, system: str, prompt: str, should_stop: Callable[[], bool] = lambda: False
    ) -> Iterator[str]:
        config = types.GenerateContentConfig(system_instruction=system)
        with self._client() as client:

            def open_stream() -> tuple[Iterator[types.GenerateContentResponse], types.GenerateContentResponse | None]:
                chunks = client.models.generate_content_stream(model=self.model, contents=prompt, config=config)
                return chunks, next(chunks, None)  # the request (and any HTTP error) happens on the first next()

            chunks, first = self._with_retries(open_stream)
            if first is None:
                raise ProviderError("Gemini sent an empty stream.", reason="bad_output")
            yield from self._deltas(first, chunks, should_stop)

    def test_connection(self) -> str:
        started = time.monotonic()
        with self._client() as client:
            self._with_retries(lambda: client.models.generate_content(model=self.model, contents=PING))
        return f"Connected to {self.model} (answered in {time.monotonic() - started:.1f} s)"

    # --- requests -------------------------------------------------------------------------------------

    def _client(self) -> genai.Client:
        options = types.HttpOptions(base_url=self._base_url, timeout=max(int(self._timeout * 1000), 1))
        return genai.Client(api_key=self._api_key, vertexai=False, http_options=options)

    def _with_retries(self, call: Callable[[], T]) -> T:
        for attempt in range(1, self._attempts + 1):
            try:
                return call()
            except errors.APIError as exc:
                error, retry_after = self._api_error(exc), _retry_after(exc)
                if exc.code not in RETRY_STATUSES or attempt == self._attempts:
                    raise error from exc
            except (errors.UnknownApiResponseError, json.JSONDecodeError) as exc:
                raise ProviderError(
                    f"The Gemini endpoint answered with something that is not JSON ({str(exc)[:160]}).",
                    reason="bad_output",
                ) from exc
            except TRANSPORT_ERRORS as exc:
                error, retry_after = self._transport_error(exc), None
                if error.reason == "timeout" or attempt == self._attempts:
                    raise error from exc
            wait = retry_wait(attempt, backoff=self._backoff, retry_after=retry_after)
            log.info("Gemini: %s; trying again in %.1f s", error.message, wait)
            time.sleep(wait)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _deltas(
        self,
        first: types.GenerateContentResponse,
        rest: Iterator[types.GenerateContentResponse],
        should_stop: Callable[[], bool],
    ) -> Iterator[str]:
        finished = False
        chunk: types.GenerateContentResponse | None = first
        try:
            while chunk is not None:
                if should_stop():
                    return
                finish_reason = _finish_reason(chunk)
                if chunk.text:
                    yield chunk.text
                if finish_reason is not None:
                    _raise_if_blocked(chunk, finish_reason)
                    finished = True
                chunk = next(rest, None)
        except errors.APIError as exc:
            raise ProviderError(
                f"Gemini reported an error in the middle of the answer: {self._api_error(exc).message}",
                reason="unreachable",
            ) from exc
        except (errors.UnknownApiResponseError, json.JSONDecodeError) as exc:
            raise ProviderError("Gemini sent a stream event that is not JSON.", reason="bad_output") from exc
        except TIMEOUTS as exc:
            raise ProviderError(
                f"Gemini stopped sending for {self._timeout:g} s in the middle of the answer.", reason="timeout"
            ) from exc
        except TRANSPORT_ERRORS as exc:
            raise ProviderError(
                f"The connection to Gemini broke off in the middle of the answer ({exc}).", reason="unreachable"
            ) from exc
        if not finished:
            raise ProviderError("The Gemini stream ended before the answer was complete.", reason="unreachable")

    # --- errors ---------------------------------------------------------------------------------------

    def _api_error(self, exc: errors.APIError) -> ProviderError:
        code, status, message = exc.code, exc.status or "", exc.message or ""
        detail = f"{code} {status}: {message}".strip(": ")
        if code in (401, 403) or "API_KEY_INVALID" in str(exc.details) or "API key not valid" in message:
            # An unknown key is a 400 INVALID_ARGUMENT with reason API_KEY_INVALID on the real API.
            return ProviderError(f"Gemini refused the API key ({detail}). Check GEMINI_API_KEY.", reason="auth")
        if code == 429:
            return ProviderError(
                f"Gemini's rate limit or quota for this key is used up ({detail}). "
                "Wait a while, or check the plan of your API key.",
                reason="quota",
            )
        if code >= 500 or code == 408:
            return ProviderError(
                f"Gemini is unavailable ({detail}), {self._attempts} attempts in a row. Try again later.",
                reason="unreachable",
            )
        if code == 404:
            return ProviderError(
                f"Gemini does not know the model {self.model!r} ({detail}). Check GEMINI_MODEL.", reason="refused"
            )
        return ProviderError(f"Gemini refused the request ({detail}).", reason="refused")

    def _transport_error(self, exc: Exception) -> ProviderError:
        if isinstance(exc, TIMEOUTS) and not isinstance(exc, CONNECT_TIMEOUTS):
            return ProviderError(
                f"Gemini did not answer within {self._timeout:g} s (LECTERN_LLM_TIMEOUT_SECONDS).", reason="timeout"
            )
        where = self._base_url or "generativelanguage.googleapis.com"
        return ProviderError(
            f"Cannot reach Gemini at {where} ({type(exc).__name__}: {exc}). Check the network connection.",
            reason="unreachable",
        )


def _finish_reason(response: types.GenerateContentResponse) -> types.FinishReason | None:
    if response.candidates:
        return response.candidates[0].finish_reason
    return None


def _raise_if_blocked(response: types.GenerateContentResponse, finish_reason: types.FinishReason | None) -> None:
    feedback = response.prompt_feedback
    if feedback is not None and feedback.block_reason:
        raise ProviderError(f"Gemini blocked the request ({feedback.block_reason.value}).", reason="refused")
    if finish_reason is not None and finish_reason not in DONE:
        raise ProviderError(f"Gemini stopped without a usable answer ({finish_reason.value}).", reason="refused")


def _retry_after(exc: errors.APIError) -> float | None:
    """The wait the server asked for: a Retry-After header, or RetryInfo.retryDelay in the error details."""
    headers = getattr(exc.response, "headers", None)
    if headers is not None:
        seconds = parse_retry_after(headers.get("retry-after"))
        if seconds is not None:
            return seconds
    error = exc.details.get("error", exc.details) if isinstance(exc.details, dict) else None
    details = error.get("details") if isinstance(error, dict) else None
    for detail in details if isinstance(details, list) else []:
        if isinstance(detail, dict) and str(detail.get("@type", "")).endswith("RetryInfo"):
            return parse_duration(detail.get("retryDelay"))
    return None
