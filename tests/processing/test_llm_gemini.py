"""The Gemini provider: the real google-genai client pointed at a local server speaking the Gemini REST API."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from processing.llm import ProviderError
from processing.llm.gemini import GeminiProvider
from tests.llm_servers import LLMServer, Reply, gemini_answer, gemini_error, gemini_json, gemini_stream

SCHEMA = {
    "type": "object",
    "properties": {"terms": {"type": "array", "items": {"type": "string"}}},
    "required": ["terms"],
}
RETRY_INFO = {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "1s"}


@pytest.fixture
def server() -> Iterator[LLMServer]:
    with LLMServer() as running:
        yield running


def provider(server: LLMServer, **overrides: object) -> GeminiProvider:
    options: dict = dict(api_key="AIza-test", model="gemini-test", base_url=server.url, timeout=2.0, backoff=0.01)
    return GeminiProvider(**(options | overrides))


def ask(model: GeminiProvider) -> object:
    return model.generate_json(system="List key terms.", prompt="Mitochondria make ATP.", schema=SCHEMA)


def test_json_answer_and_the_request_it_sends(server: LLMServer) -> None:
    server.reply(gemini_json({"terms": ["mitochondria", "ATP"]}))
    assert ask(provider(server)) == {"terms": ["mitochondria", "ATP"]}
    [request] = server.requests
    assert request.path.endswith("/models/gemini-test:generateContent")  # /v1/ with google-genai 3.3
    assert request.headers["x-goog-api-key"] == "AIza-test"
    assert request.body["contents"] == [{"parts": [{"text": "Mitochondria make ATP."}], "role": "user"}]
    assert request.body["systemInstruction"]["parts"] == [{"text": "List key terms."}]
    config = request.body["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    assert config["responseSchema"]["type"] == "OBJECT"
    assert config["responseSchema"]["properties"]["terms"]["items"] == {"type": "STRING"}


def test_429_is_retried_after_the_retry_info_delay(server: LLMServer) -> None:
    server.reply(
        gemini_error(429, "RESOURCE_EXHAUSTED", "Quota exceeded", details=[RETRY_INFO]),
        gemini_json({"terms": []}),
    )
    started = time.monotonic()
    assert ask(provider(server)) == {"terms": []}
    assert 0.9 <= time.monotonic() - started < 5
    assert len(server.requests) == 2


def test_429_after_every_retry_is_a_quota_error(server: LLMServer) -> None:
    server.reply(*[gemini_error(429, "RESOURCE_EXHAUSTED", "Quota exceeded for metric") for _ in range(3)])
    with pytest.raises(ProviderError) as caught:
        ask(provider(server))
    assert caught.value.reason == "quota"
    assert "RESOURCE_EXHAUSTED" in caught.value.message
    assert len(server.requests) == 3


@pytest.mark.parametrize(
    "reply",
    [
        gemini_error(
            400,
            "INVALID_ARGUMENT",
            "API key not valid. Please pass a valid API key.",
            details=[{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"}],
        ),
        gemini_error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials."),
        gemini_error(403, "PERMISSION_DENIED", "Your API key was reported as leaked."),
    ],
)
def test_a_rejected_key_is_an_auth_error_without_retries(server: LLMServer, reply: Reply) -> None:
    server.reply(reply)
    with pytest.raises(ProviderError) as caught:
        ask(provider(server))
    assert caught.value.reason == "auth"
    assert "GEMINI_API_KEY" in caught.value.message
    assert len(server.requests) == 1


def test_server_errors_are_retried_then_reported(server: LLMServer) -> None:
    server.reply(*[gemini_error(503, "UNAVAILABLE", "The model is overloaded.") for _ in range(3)])
    with pytest.raises(ProviderError) as caught:
        ask(provider(server))
    assert caught.value.reason == "unreachable"
    assert "overloaded" in caught.value.message
    assert len(server.requests) == 3


def test_unknown_model_is_refused(server: LLMServer) -> None:
    server.reply(gemini_error(404, "NOT_FOUND", "models/gemini-9 is not found for API version v1"))
    with pytest.raises(ProviderError) as caught:
        ask(provider(server, model="gemini-9"))
    assert caught.value.reason == "refused"
    assert "GEMINI_MODEL" in caught.value.message


def test_truncated_json_is_bad_output(server: LLMServer) -> None:
    server.reply(gemini_answer('{"terms": ["mitoch', finish_reason="MAX_TOKENS"))
    with pytest.raises(ProviderError) as caught:
        ask(provider(server))
    assert caught.value.reason == "bad_output"
    assert "cut off" in caught.value.message


def test_a_safety_stop_without_text_is_refused(server: LLMServer) -> None:
    server.reply(gemini_answer("", finish_reason="SAFETY"))
    with pytest.raises(ProviderError) as caught:
        ask(provider(server))
    assert caught.value.reason == "refused"
    assert "SAFETY" in caught.value.message


def test_a_server_that_never_answers_times_out(server: LLMServer) -> None:
    server.reply(Reply(hang=True))
    started = time.monotonic()
    with pytest.raises(ProviderError) as caught:
        ask(provider(server, timeout=0.5))
    assert caught.value.reason == "timeout"
    assert time.monotonic() - started < 2
    assert server.requests[0].headers["x-server-timeout"] == "1"  # the SDK tells the server its deadline


def test_nothing_listening_is_unreachable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    model = GeminiProvider(api_key="k", model="m", base_url=f"http://127.0.0.1:{port}", backoff=0.01)
    with pytest.raises(ProviderError) as caught:
        ask(model)
    assert caught.value.reason == "unreachable"
    assert f"127.0.0.1:{port}" in caught.value.message


def test_stream_yields_deltas_in_order(server: LLMServer) -> None:
    server.reply(gemini_stream(["Mito", "chondria ", "make ATP."]))
    assert list(provider(server).stream_text(system="Be brief.", prompt="Who makes ATP?")) == [
        "Mito",
        "chondria ",
        "make ATP.",
    ]
    [request] = server.requests
    assert request.path.endswith("/models/gemini-test:streamGenerateContent?alt=sse")
    assert request.body["systemInstruction"]["parts"] == [{"text": "Be brief."}]


def test_stream_cut_off_halfway_raises_after_the_partial_answer(server: LLMServer) -> None:
    server.reply(gemini_stream(["The Krebs ", "cycle "], cut=True))
    received: list[str] = []
    with pytest.raises(ProviderError) as caught:
        for delta in provider(server).stream_text(system="s", prompt="p"):
            received.append(delta)
    assert received == ["The Krebs ", "cycle "]
    assert caught.value.reason == "unreachable"
    assert "middle of the answer" in caught.value.message


def test_stream_retries_a_429_before_the_first_delta(server: LLMServer) -> None:
    server.reply(gemini_error(429, "RESOURCE_EXHAUSTED", "slow down"), gemini_stream(["ok"]))
    assert list(provider(server).stream_text(system="s", prompt="p")) == ["ok"]
    assert len(server.requests) == 2


def test_stream_stops_when_asked(server: LLMServer) -> None:
    server.reply(gemini_stream(["one ", "two ", "three ", "four"]))
    received: list[str] = []
    for delta in provider(server).stream_text(system="s", prompt="p", should_stop=lambda: len(received) >= 2):
        received.append(delta)
    assert received == ["one ", "two "]


def test_connection_test_names_model_and_time(server: LLMServer) -> None:
    server.reply(gemini_answer("OK"))
    message = provider(server).test_connection()
    assert message.startswith("Connected to gemini-test (answered in ")
    assert server.requests[0].path.endswith(":generateContent")


def test_a_body_that_is_not_json_is_bad_output(server: LLMServer) -> None:
    server.reply(Reply(body=b"<html>proxy error page</html>"))
    with pytest.raises(ProviderError) as caught:
        ask(provider(server))
    assert caught.value.reason == "bad_output"
