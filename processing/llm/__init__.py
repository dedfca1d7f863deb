"""Language-model providers behind one small interface: Gemini (google-genai) or any OpenAI-compatible server.

Card generation, chat and type-in feedback code against `Provider`; `provider_from_settings` picks the
configured one (None means the offline builtin path). Every failure a user can act on arrives as a
`ProviderError` whose message can be shown as is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Literal, Protocol
from urllib.parse import urlsplit, urlunsplit

if TYPE_CHECKING:
    from config import Settings

Reason = Literal["auth", "quota", "unreachable", "timeout", "bad_output", "refused"]
REASONS: frozenset[str] = frozenset({"auth", "quota", "unreachable", "timeout", "bad_output", "refused"})
GEMINI_BASE_URL = "https://generativelanguage.googleapis.com/"


class ProviderError(Exception):
    """Human message for the user; `reason` in {"auth", "quota", "unreachable", "timeout", "bad_output", "refused"}.

    auth: the key was rejected. quota: rate limit or quota still exhausted after retries. unreachable: no
    connection, a server error after retries, or a stream that broke off. timeout: no answer within
    LECTERN_LLM_TIMEOUT_SECONDS. bad_output: the answer is empty, not JSON or cut off. refused: the server
    or model declined this request (unknown model, request rejected, safety block).
    """

    def __init__(self, message: str, *, reason: str) -> None:
        if reason not in REASONS:
            raise ValueError(f"unknown ProviderError reason {reason!r}")
        super().__init__(message)
        self.message = message
        self.reason = reason


class Provider(Protocol):
    name: str  # "gemini" | "openai"
    model: str

    def generate_json(self, *, system: str, prompt: str, schema: dict) -> Any:
        """The model's answer parsed as JSON (a dict or list); raises ProviderError."""
        ...

    def stream_text(
        self, *, system: str, prompt: str, should_stop: Callable[[], bool] = lambda: False
    ) -> Iterator[str]:
        """Text deltas in order; raises ProviderError (also mid-stream, after earlier deltas were yielded)."""
        ...

    def test_connection(self) -> str:
        """A short human success message, e.g. "Connected to gemini-2.5-flash (answered in 0.8 s)"."""
        ...


def provider_from_settings(settings: Settings) -> Provider | None:
    """The configured provider, or None for the builtin offline generator. Imports its client lazily."""
    if settings.llm == "gemini":
        from processing.llm.gemini import GeminiProvider

        return GeminiProvider(
            api_key=settings.gemini_api_key,
            model=settings.gemini_model,
            timeout=settings.llm_timeout_seconds,
            base_url=settings.gemini_base_url or None,
        )
    if settings.llm == "openai":
        from processing.llm.openai import OpenAIProvider

        return OpenAIProvider(
            base_url=settings.openai_base_url,
            api_key=settings.openai_api_key,
            model=settings.openai_model,
            timeout=settings.llm_timeout_seconds,
        )
    return None


def describe(settings: Settings) -> dict:
    """What the settings page shows about the active provider; never a key (nor credentials in a URL)."""
    if settings.llm == "gemini":
        base_url = public_url(settings.gemini_base_url) if settings.gemini_base_url else GEMINI_BASE_URL
        return {"provider": "gemini", "model": settings.gemini_model, "base_url": base_url}
    if settings.llm == "openai":
        return {"provider": "openai", "model": settings.openai_model, "base_url": public_url(settings.openai_base_url)}
    return {"provider": "builtin", "model": None, "base_url": None}


def public_url(url: str) -> str:
    """The URL without user:password@ (someone may have put a key there)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))
