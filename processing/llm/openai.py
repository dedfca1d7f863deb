"""Any OpenAI-compatible server (OpenAI, Ollama, llama.cpp server, vLLM, LM Studio) via POST /chat/completions.

JSON answers use `response_format: {"type": "json_object"}` plus the schema in the system message; servers
that reject response_format get the same request without it. Streaming reads server-sent events.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from processing.llm import ProviderError, public_url
from processing.llm.backoff import ATTEMPTS, BACKOFF_SECONDS, RETRY_STATUSES, parse_retry_after, retry_wait
from processing.llm.json_output import parse_model_json

log = logging.getLogger(__name__)
SOURCE = "The OpenAI-compatible server"
PING = "Reply with the single word OK."


class _ResponseFormatRejected(Exception):
    """The server answered 400 about response_format: send the request again without it."""


class OpenAIProvider:
    name = "openai"

    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: str = "",
        timeout: float = 120.0,
        attempts: int = ATTEMPTS,
        backoff: float = BACKOFF_SECONDS,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self._api_key = api_key
        self._timeout = timeout
        self._attempts = max(attempts, 1)
        self._backoff = backoff
        self._json_mode = True  # until the server says it does not know response_format

    @property
    def _where(self) -> str:
        return public_url(self.base_url)

    def generate_json(self, *, system: str, prompt: str, schema: dict) -> Any:
        instructions = f"{system}\n\nAnswer with one JSON object that follows this JSON Schema:\n{json.dumps(schema)}"
        body: dict[str, Any] = {"model": self.model, "messages": _messages(instructions, prompt), "stream": False}
        with self._client() as client:
            if self._json_mode:
                try:
                    return self._json_answer(client, {**body, "response_format": {"type": "json_object"}})
                except _ResponseFormatRejected:
                    log.info("%s does not accept response_format; asking for JSON in the prompt only", self._where)
                    self._json_mode = False
            return self._json_answer(client, body)

    def stream_text(
        self, *, system: str, prompt: str, should_stop: Callable[[], bool] = lambda: False
    ) -> Iterator[str]:
        body = {"model": self.model, "messages": _messages(system, prompt), "stream": True}
        with self._client() as client:
            response = self._send(client, body, stream=True)
            try:
                yield from self._deltas(response, should_stop)
            finally:
                response.close()

    def test_connection(self) -> str:
        started = time.monotonic()
        body = {"model": self.model, "messages": [{"role": "user", "content": PING}], "stream": False}
        with self._client() as client:
            self._message(self._send(client, body, stream=False))
        return f"Connected to {self.model} at {self._where} (answered in {time.monotonic() - started:.1f} s)"

    # --- requests -------------------------------------------------------------------------------------

    def _client(self) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
        return httpx.Client(headers=headers, timeout=httpx.Timeout(self._timeout), follow_redirects=True)

    def _json_answer(self, client: httpx.Client, body: dict[str, Any]) -> Any:
        content, finish_reason = self._message(self._send(client, body, stream=False))
        return parse_model_json(content, source=SOURCE, cut_off=finish_reason == "length")

    def _send(self, client: httpx.Client, body: dict[str, Any], *, stream: bool) -> httpx.Response:
        """The first successful response, retrying 429, 5xx and broken connections with backoff."""
        url = f"{self.base_url}/chat/completions"
        for attempt in range(1, self._attempts + 1):
            last = attempt == self._attempts
            try:
                response = client.send(client.build_request("POST", url, json=body), stream=stream)
            except httpx.TimeoutException as exc:
                if isinstance(exc, httpx.ConnectTimeout) and not last:
                    time.sleep(retry_wait(attempt, backoff=self._backoff))
                    continue
                raise self._transport_error(exc) from exc
            except httpx.TransportError as exc:
                if last:
                    raise self._transport_error(exc) from exc
                log.info("%s: %s; trying again", self._where, exc)
                time.sleep(retry_wait(attempt, backoff=self._backoff))
                continue
            if response.status_code < 400:
                return response
            response.read()
            response.close()
            if response.status_code in RETRY_STATUSES and not last:
                wait = retry_wait(
                    attempt, backoff=self._backoff, retry_after=parse_retry_after(response.headers.get("retry-after"))
                )
                log.info("%s answered %s; trying again in %.1f s", self._where, response.status_code, wait)
                time.sleep(wait)
                continue
            if response.status_code == 400 and "response_format" in body and "response_format" in response.text:
                raise _ResponseFormatRejected
            raise self._status_error(response)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _message(self, response: httpx.Response) -> tuple[str | None, str | None]:
        """(content, finish_reason) of the first choice of a non-streaming answer."""
        try:
            choice = response.json()["choices"][0]
            message = choice["message"]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise ProviderError(
                f"{SOURCE} at {self._where} did not answer in the chat-completions format ({response.text[:200]!r}).",
                reason="bad_output",
            ) from exc
        content = message.get("content")
        if not content and message.get("refusal"):
            raise ProviderError(f"The model declined to answer: {message['refusal']}", reason="refused")
        return content, choice.get("finish_reason")

    def _deltas(self, response: httpx.Response, should_stop: Callable[[], bool]) -> Iterator[str]:
        finished = False
        try:
            for line in response.iter_lines():
                if should_stop():
                    return
                if not line.startswith("data:"):
                    continue  # blank separators, ": keep-alive" comments, event: names
                data = line.removeprefix("data:").strip()
                if data == "[DONE]":
                    return
                event = _event(data)
                if "error" in event:
                    raise ProviderError(
                        f"{SOURCE} at {self._where} reported an error in the middle of the answer: "
                        f"{_error_text(event)}",
                        reason="unreachable",
                    )
                for choice in event.get("choices") or []:
                    text = (choice.get("delta") or {}).get("content")
                    if text:
                        yield text
                    finished = finished or bool(choice.get("finish_reason"))
        except httpx.TimeoutException as exc:
            raise ProviderError(
                f"{SOURCE} at {self._where} stopped sending for {self._timeout:g} s in the middle of the answer.",
                reason="timeout",
            ) from exc
        except httpx.TransportError as exc:
            raise ProviderError(
                f"The connection to {self._where} broke off in the middle of the answer ({exc}).", reason="unreachable"
            ) from exc
        if not finished:
            raise ProviderError(
                f"{SOURCE} at {self._where} ended the stream before the answer was complete.", reason="unreachable"
            )

    # --- errors ---------------------------------------------------------------------------------------

    def _transport_error(self, exc: httpx.TransportError) -> ProviderError:
        if isinstance(exc, httpx.TimeoutException) and not isinstance(exc, httpx.ConnectTimeout):
            return ProviderError(
                f"{SOURCE} at {self._where} did not answer within {self._timeout:g} s "
                "(LECTERN_LLM_TIMEOUT_SECONDS). A local model may need more time, or a smaller batch.",
                reason="timeout",
            )
        return ProviderError(
            f"Cannot reach the OpenAI-compatible server at {self._where} ({type(exc).__name__}: {exc}). "
            "Is it running, and is OPENAI_BASE_URL right?",
            reason="unreachable",
        )

    def _status_error(self, response: httpx.Response) -> ProviderError:
        status, detail = response.status_code, _error_text(_json_or_none(response)) or response.text[:200]
        if status in (401, 403):
            if not self._api_key:
                return ProviderError(f"{SOURCE} needs an API key ({status}). Set OPENAI_API_KEY.", reason="auth")
            return ProviderError(f"{SOURCE} refused the API key ({status}). Check OPENAI_API_KEY.", reason="auth")
        if status == 429:
            return ProviderError(
                f"{SOURCE} at {self._where} kept answering 429 Too Many Requests ({detail}): the rate limit or "
                "quota of this key is used up. Wait a while, or check the plan of your API key.",
                reason="quota",
            )
        if status >= 500:
            return ProviderError(
                f"{SOURCE} at {self._where} failed with {status} ({detail}) {self._attempts} times in a row.",
                reason="unreachable",
            )
        if status == 404:
            return ProviderError(
                f"{self._where}/chat/completions answered 404 ({detail}). Check OPENAI_BASE_URL (it usually ends "
                f"in /v1) and OPENAI_MODEL ({self.model!r}; with Ollama, pull the model first).",
                reason="refused",
            )
        return ProviderError(f"{SOURCE} at {self._where} refused the request ({status}: {detail}).", reason="refused")


def _messages(system: str, prompt: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": system}, {"role": "user", "content": prompt}]


def _event(data: str) -> dict[str, Any]:
    try:
        event = json.loads(data)
    except json.JSONDecodeError as exc:
        raise ProviderError(
            f"{SOURCE} sent a stream event that is not JSON: {data[:200]!r}", reason="bad_output"
        ) from exc
    if not isinstance(event, dict):
        raise ProviderError(f"{SOURCE} sent an unexpected stream event: {data[:200]!r}", reason="bad_output")
    return event


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _error_text(body: Any) -> str:
    """The message in OpenAI's {"error": {"message"}} and the variants other servers send."""
    if not isinstance(body, dict):
        return ""
    error = body.get("error", body)
    if isinstance(error, str):
        return error
    if isinstance(error, dict):
        for key in ("message", "detail", "msg"):
            if isinstance(error.get(key), str):
                return error[key]
    return str(body.get("detail") or body.get("message") or "")[:200]
