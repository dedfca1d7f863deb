"""Local stand-ins for model APIs: a threaded HTTP server on 127.0.0.1 answering from a script.

It speaks the real wire formats (OpenAI chat completions, JSON and server-sent events; Gemini
generateContent and streamGenerateContent?alt=sse), so the providers run their real HTTP clients
against it. Each request takes the next scripted `Reply` and is recorded for assertions.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # JSON-serialisable, or bytes sent as they are
    headers: dict[str, str] = field(default_factory=dict)
    events: list[str] | None = None  # server-sent events: the `data:` payloads, sent chunked
    cut: bool = False  # close the connection after the events, without ending the chunked body
    hang: bool = False  # never answer (until the server stops)
    event_delay: float = 0.0


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: Any  # parsed JSON, or None


class LLMServer:
    """`with LLMServer() as server:` … `server.reply(Reply(...))`; `server.requests` lists what arrived."""

    def __init__(self) -> None:
        self.replies: deque[Reply] = deque()
        self.requests: list[Received] = []
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def reply(self, *replies: Reply) -> None:
        with self._lock:
            self.replies.extend(replies)

    def next_reply(self, request: Received) -> Reply:
        with self._lock:
            self.requests.append(request)
            if self.replies:
                return self.replies.popleft()
        # 410 is not retried by the providers, so a missing reply fails the test fast and legibly.
        return Reply(status=410, body={"error": {"message": "the test scripted no reply for this request"}})

    def __enter__(self) -> LLMServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


def _handler_for(server: LLMServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive and chunked bodies, like the real APIs

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except json.JSONDecodeError:
                body = None
            headers = {name.lower(): value for name, value in self.headers.items()}
            self._answer(server.next_reply(Received("POST", self.path, headers, body)))

        do_GET = do_POST

        def _answer(self, reply: Reply) -> None:
            if reply.hang:
                server.stopping.wait()
                self.close_connection = True
                return
            try:
                if reply.events is None:
                    self._send_body(reply)
                else:
                    self._send_events(reply)
            except OSError:
                self.close_connection = True  # the client gave up first (a timeout test)

        def _send_body(self, reply: Reply) -> None:
            payload = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def _send_events(self, reply: Reply) -> None:
            self.send_response(reply.status)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            for data in reply.events or []:
                chunk = f"data: {data}\r\n\r\n".encode()
                self.wfile.write(f"{len(chunk):X}\r\n".encode() + chunk + b"\r\n")
                self.wfile.flush()
                time.sleep(reply.event_delay)
            if reply.cut:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)  # mid-body: no terminating zero-length chunk
                return
            self.wfile.write(b"0\r\n\r\n")

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
            pass

    return Handler


# --- OpenAI chat completions ---------------------------------------------------------------------------


def openai_answer(content: str | None, *, finish_reason: str = "stop", model: str = "test-model") -> Reply:
    return Reply(
        body={
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": model,
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish_reason}
            ],
            "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
        }
    )


def openai_json(value: Any, **kwargs: Any) -> Reply:
    return openai_answer(json.dumps(value), **kwargs)


def openai_stream(deltas: Iterable[str], *, cut: bool = False, model: str = "test-model") -> Reply:
    """A role chunk, one chunk per delta, then (unless cut) a finish chunk and [DONE]."""

    def chunk(delta: dict[str, str], finish_reason: str | None = None) -> str:
        choice = {"index": 0, "delta": delta, "finish_reason": finish_reason}
        return json.dumps(
            {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": model, "choices": [choice]}
        )

    events = [chunk({"role": "assistant", "content": ""})] + [chunk({"content": text}) for text in deltas]
    if not cut:
        events += [chunk({}, "stop"), "[DONE]"]
    return Reply(events=events, cut=cut)


def openai_error(status: int, message: str, *, headers: dict[str, str] | None = None) -> Reply:
    error = {"message": message, "type": "invalid_request_error", "param": None, "code": None}
    return Reply(status=status, body={"error": error}, headers=headers or {})


# --- Gemini (generativelanguage.googleapis.com) -----------------------------------------------------------


def gemini_chunk(text: str, *, finish_reason: str | None = "STOP", model: str = "gemini-test") -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"parts": [{"text": text}], "role": "model"}, "index": 0}
    if finish_reason:
        candidate["finishReason"] = finish_reason
    return {
        "candidates": [candidate],
        "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 10, "totalTokenCount": 20},
        "modelVersion": model,
        "responseId": "resp-1",
    }


def gemini_answer(text: str, *, finish_reason: str = "STOP") -> Reply:
    return Reply(body=gemini_chunk(text, finish_reason=finish_reason))


def gemini_json(value: Any, **kwargs: Any) -> Reply:
    return gemini_answer(json.dumps(value), **kwargs)


def gemini_stream(deltas: list[str], *, cut: bool = False) -> Reply:
    """One event per delta; the last one carries finishReason STOP (unless the stream is cut)."""
    events = [
        json.dumps(gemini_chunk(text, finish_reason="STOP" if i == len(deltas) - 1 and not cut else None))
        for i, text in enumerate(deltas)
    ]
    return Reply(events=events, cut=cut)


def gemini_error(
    code: int, status: str, message: str, *, details: list[dict] | None = None, headers: dict[str, str] | None = None
) -> Reply:
    error: dict[str, Any] = {"code": code, "message": message, "status": status}
    if details:
        error["details"] = details
    return Reply(status=code, body={"error": error}, headers=headers or {})
