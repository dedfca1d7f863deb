"""The OpenAI-compatible provider against a local server speaking /v1/chat/completions (JSON and SSE)."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import pytest

from config import Settings
from processing.llm import ProviderError, describe, provider_from_settings
from processing.llm.openai import OpenAIProvider
from tests.llm_servers import LLMServer, Reply, openai_answer, openai_error, openai_json, openai_stream

SCHEMA = {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}


@pytest.fixture
def server() -> Iterator[LLMServer]:
    with LLMServer() as running:
        yield running


def provider(server: LLMServer, **overrides: object) -> OpenAIProvider:
    options: dict = dict(base_url=f"{server.url}/v1", model="test-model", api_key="sk-test", timeout=2.0, backoff=0.01)
    return OpenAIProvider(**(options | overrides))


def ask(model: OpenAIProvider) -> object:
    return model.generate_json(system="You answer questions.", prompt="What is ATP?", schema=SCHEMA)


def test_json_answer_and_the_request_it_sends(server: LLMServer) -> None:
    server.reply(openai_json({"answer": "the cell's energy currency"}))
    assert ask(provider(server)) == {"answer": "the cell's energy currency"}
    [request] = server.requests
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer sk-test"
    assert request.body["model"] == "test-model"
    assert request.body["response_format"] == {"type": "json_object"}
    assert request.body["stream"] is False
    system, user = request.body["messages"]
    assert system["role"] == "system" and system["content"].startswith("You answer questions.")
    assert json.dumps(SCHEMA) in system["content"]
    assert user == {"role": "user", "content": "What is ATP?"}


def test_no_key_sends_no_authorization_header(server: LLMServer) -> None:
    server.reply(openai_json({"answer": "x"}))
    ask(provider(server, api_key=""))
    assert "authorization" not in server.requests[0].headers


def test_server_without_response_format_gets_the_request_again_without_it(server: LLMServer) -> None:
    server.reply(
        openai_error(400, "'response_format.type' must be 'json_schema' or 'text'"),
        openai_answer('Here you are:\n```json\n{"answer": "fenced"}\n```'),
        openai_json({"answer": "second call"}),
    )
    model = provider(server)
    assert ask(model) == {"answer": "fenced"}
    assert ask(model) == {"answer": "second call"}
    assert [("response_format" in r.body) for r in server.requests] == [True, False, False]


def test_429_is_retried_after_the_servers_retry_after(server: LLMServer) -> None:
    server.reply(openai_error(429, "Rate limit reached", headers={"Retry-After": "1"}), openai_json({"answer": "ok"}))
    started = time.monotonic()
    assert ask(provider(server)) == {"answer": "ok"}
    assert 0.9 <= time.monotonic() - started < 5
    assert len(server.requests) == 2


def test_429_after_every_retry_is_a_quota_error(server: LLMServer) -> None:
    server.reply(*[openai_error(429, "You exceeded your current quota") for _ in range(3)])
    with pytest.raises(ProviderError) as caught:
        ask(provider(server))
    assert caught.value.reason == "quota"
    assert "429" in caught.value.message and "quota" in caught.value.message
    assert len(server.requests) == 3


def test_server_errors_are_retried_then_reported(server: LLMServer) -> None:
    server.reply(openai_error(503, "loading model"), openai_error(500, "oops"), openai_json({"answer": "ok"}))
    assert ask(provider(server)) == {"answer": "ok"}
    server.reply(*[openai_error(502, "bad gateway") for _ in range(3)])
    with pytest.raises(ProviderError) as caught:
        ask(provider(server))
    assert caught.value.reason == "unreachable"
    assert "502" in caught.value.message
    assert len(server.requests) == 6


def test_401_is_an_auth_error_without_retries(server: LLMServer) -> None:
    server.reply(openai_error(401, "Incorrect API key provided"))
    with pytest.raises(ProviderError) as caught:
        ask(provider(server))
    assert caught.value.reason == "auth"
    assert str(caught.value) == "The OpenAI-compatible server refused the API key (401). Check OPENAI_API_KEY."
    assert len(server.requests) == 1


def test_unknown_model_is_refused_with_a_hint(server: LLMServer) -> None:
    server.reply(openai_error(404, 'model "llama9" not found, try pulling it first'))
    with pytest.raises(ProviderError) as caught:
        ask(provider(server, model="llama9"))
    assert caught.value.reason == "refused"
    assert "OPENAI_MODEL" in caught.value.message and "llama9" in caught.value.message


@pytest.mark.parametrize(
    ("content", "finish_reason", "expected"),
    [
        ('{"answer": "the cell\'s ener', "length", "cut off"),
        ("I cannot answer in JSON, sorry.", "stop", "not valid JSON"),
        ("", "stop", "empty answer"),
    ],
)
def test_unusable_answers_are_bad_output(server: LLMServer, content: str, finish_reason: str, expected: str) -> None:
    server.reply(openai_answer(content, finish_reason=finish_reason))
    with pytest.raises(ProviderError) as caught:
        ask(provider(server))
    assert caught.value.reason == "bad_output"
    assert expected in caught.value.message


def test_a_server_that_never_answers_times_out(server: LLMServer) -> None:
    server.reply(Reply(hang=True))
    started = time.monotonic()
    with pytest.raises(ProviderError) as caught:
        ask(provider(server, timeout=0.5))
    assert caught.value.reason == "timeout"
    assert "0.5 s" in caught.value.message
    assert time.monotonic() - started < 2
    assert len(server.requests) == 1  # a timeout is not retried: it would only multiply the wait


def test_nothing_listening_is_unreachable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    model = OpenAIProvider(base_url=f"http://127.0.0.1:{port}/v1", model="m", backoff=0.01)
    with pytest.raises(ProviderError) as caught:
        ask(model)
    assert caught.value.reason == "unreachable"
    assert f"http://127.0.0.1:{port}/v1" in caught.value.message


def test_stream_yields_deltas_in_order(server: LLMServer) -> None:
    server.reply(openai_stream(["Mito", "chondria ", "make ", "ATP."]))
    deltas = list(provider(server).stream_text(system="Be brief.", prompt="What makes ATP?"))
    assert deltas == ["Mito", "chondria ", "make ", "ATP."]
    body = server.requests[0].body
    assert body["stream"] is True and "response_format" not in body
    assert body["messages"][0] == {"role": "system", "content": "Be brief."}


def test_stream_cut_off_halfway_raises_after_the_partial_answer(server: LLMServer) -> None:
    server.reply(openai_stream(["The Krebs ", "cycle "], cut=True))
    received: list[str] = []
    with pytest.raises(ProviderError) as caught:
        for delta in provider(server).stream_text(system="s", prompt="p"):
            received.append(delta)
    assert received == ["The Krebs ", "cycle "]
    assert caught.value.reason == "unreachable"
    assert "middle of the answer" in caught.value.message


def test_stream_stops_when_asked(server: LLMServer) -> None:
    server.reply(openai_stream(["one ", "two ", "three ", "four"]))
    received: list[str] = []
    for delta in provider(server).stream_text(system="s", prompt="p", should_stop=lambda: len(received) >= 2):
        received.append(delta)
    assert received == ["one ", "two "]


def test_stream_errors_before_the_first_delta_are_mapped(server: LLMServer) -> None:
    server.reply(openai_error(403, "forbidden"))
    with pytest.raises(ProviderError) as caught:
        list(provider(server).stream_text(system="s", prompt="p"))
    assert caught.value.reason == "auth"


def test_connection_test_names_model_and_time(server: LLMServer) -> None:
    server.reply(openai_answer("OK"))
    message = provider(server).test_connection()
    assert message.startswith(f"Connected to test-model at {server.url}/v1 (answered in ")
    assert message.endswith(" s)")


def test_settings_choose_and_describe_the_provider() -> None:
    assert provider_from_settings(Settings()) is None
    assert describe(Settings()) == {"provider": "builtin", "model": None, "base_url": None}
    settings = Settings(
        llm="openai",
        openai_model="qwen3:8b",
        openai_base_url="http://me:sk-secret@gpu.local:8080/v1/",
        llm_timeout_seconds=9,
    )
    chosen = provider_from_settings(settings)
    assert isinstance(chosen, OpenAIProvider)
    assert (chosen.name, chosen.model, chosen.base_url) == (
        "openai",
        "qwen3:8b",
        "http://me:sk-secret@gpu.local:8080/v1",
    )
    assert describe(settings) == {"provider": "openai", "model": "qwen3:8b", "base_url": "http://gpu.local:8080/v1/"}
    gemini = Settings(llm="gemini", gemini_api_key="AIza-secret", gemini_model="gemini-2.5-flash")
    assert provider_from_settings(gemini).name == "gemini"
    assert "AIza-secret" not in json.dumps(describe(gemini))
