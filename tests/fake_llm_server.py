"""Local HTTP servers speaking the real wire formats of the AI services releasecast calls.

One threaded server answers all of them, so the real client libraries (google-genai, openai,
httpx) can be pointed at it with their ``base_url`` option:

* Gemini REST ``POST /v1beta/models/{model}:generateContent`` (``x-goog-api-key`` header);
* OpenAI ``POST /v1/chat/completions`` and ``POST /v1/audio/speech`` (``Authorization: Bearer``);
* Coqui ``tts-server`` ``GET /api/tts?text=...&speaker_id=...&language_id=...`` (WAV).

Each route has a queue of scripted :class:`Reply` objects (errors, delays, raw bodies); when the
queue is empty the route's default answers: a callable for the chat routes (the test decides
what the "model" says) and real speech synthesized with espeak-ng for the speech routes.
Every request is recorded for assertions.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from local_server import LocalServer

GEMINI = "gemini"
CHAT = "chat"
SPEECH = "speech"
COQUI = "coqui"

_GEMINI_PATH = re.compile(r"^/v1(?:beta)?/models/(?P<model>[^/:]+):generateContent$")


@dataclass
class Reply:
    """One scripted answer. ``delay`` first sleeps (longer than the client's timeout = a hang)."""

    status: int = 200
    text: str | None = None  # for chat routes: what the model says
    body: bytes | None = None  # raw body, sent as is (malformed JSON, odd content types)
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    error_details: list[dict] = field(default_factory=list)  # Gemini google.rpc details


@dataclass
class Recorded:
    route: str
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    at: float

    def json(self) -> dict:
        return json.loads(self.body)


def espeak_wav(text: str, language: str = "en") -> bytes:
    """Real speech for the fake speech servers (what a TTS server would return)."""
    exe = shutil.which("espeak-ng") or "espeak-ng"
    voice = language.split("-")[0] or "en"
    # -w, not --stdout: a file gets a WAV header with real sizes, as a server would send
    with tempfile.TemporaryDirectory() as tmp:
        out = f"{tmp}/speech.wav"
        subprocess.run([exe, "-v", voice, "-w", out, text], capture_output=True, check=True)
        with open(out, "rb") as handle:
            return handle.read()


_GOOGLE_STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
                  404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL",
                  503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED"}


class FakeAIServer:
    def __init__(self) -> None:
        self.queues: dict[str, deque[Reply]] = {r: deque() for r in (GEMINI, CHAT, SPEECH, COQUI)}
        self.requests: list[Recorded] = []
        # what the model says when nothing is scripted: request JSON -> text
        self.answer: Callable[[str, dict], str] = lambda route, payload: "{}"
        self.expected_key: str | None = None  # when set, other keys get the service's 401/400
        self._lock = threading.Lock()
        self._httpd = LocalServer(self._handler_class())

    # -- lifecycle -------------------------------------------------------------------------
    def __enter__(self) -> FakeAIServer:
        self._httpd.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.stop()

    @property
    def url(self) -> str:
        return self._httpd.url

    def script(self, route: str, *replies: Reply) -> None:
        with self._lock:
            self.queues[route].extend(replies)

    def reset(self) -> None:
        with self._lock:
            for queue in self.queues.values():
                queue.clear()
            self.requests.clear()
        self.expected_key = None

    def calls(self, route: str) -> list[Recorded]:
        return [r for r in self.requests if r.route == route]

    def _next(self, route: str) -> Reply | None:
        with self._lock:
            return self.queues[route].popleft() if self.queues[route] else None

    # -- HTTP ------------------------------------------------------------------------------
    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # keep pytest output clean
                pass

            def do_GET(self) -> None:
                server._dispatch(self, "GET")

            def do_POST(self) -> None:
                server._dispatch(self, "POST")

        return Handler

    def _route(self, method: str, path: str) -> str | None:
        if method == "POST" and _GEMINI_PATH.match(path):
            return GEMINI
        if method == "POST" and path == "/v1/chat/completions":
            return CHAT
        if method == "POST" and path == "/v1/audio/speech":
            return SPEECH
        if path == "/api/tts":
            return COQUI
        return None

    def _dispatch(self, h: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(h.path)
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        route = self._route(method, parts.path)
        if route is None:
            self._send(h, 404, b'{"error": "not found"}', "application/json")
            return
        with self._lock:
            self.requests.append(Recorded(route, method, parts.path, parse_qs(parts.query),
                                          {k.lower(): v for k, v in h.headers.items()}, body,
                                          time.monotonic()))
        if self.expected_key and not self._key_ok(route, h):
            self._error(h, route, Reply(status=401 if route != GEMINI else 400,
                                        error_details=_bad_key_details()))
            return
        reply = self._next(route) or Reply()
        if reply.delay:
            time.sleep(reply.delay)
        try:
            if reply.body is not None:
                ctype = reply.headers.get("Content-Type", "application/json")
                self._send(h, reply.status, reply.body, ctype, reply.headers)
            elif reply.status != 200:
                self._error(h, route, reply)
            else:
                self._success(h, route, parts, body, reply)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout test): nothing to answer

    def _key_ok(self, route: str, h: BaseHTTPRequestHandler) -> bool:
        if route == GEMINI:
            return h.headers.get("x-goog-api-key") == self.expected_key
        if route in (CHAT, SPEECH):
            return h.headers.get("Authorization") == f"Bearer {self.expected_key}"
        return True

    def _send(self, h: BaseHTTPRequestHandler, status: int, body: bytes, ctype: str,
              headers: dict[str, str] | None = None) -> None:
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            if key.lower() != "content-type":
                h.send_header(key, value)
        h.end_headers()
        h.wfile.write(body)

    def _error(self, h: BaseHTTPRequestHandler, route: str, reply: Reply) -> None:
        if route == GEMINI:
            message = ("API key not valid. Please pass a valid API key."
                       if reply.error_details == _bad_key_details() else "scripted failure")
            payload = {"error": {"code": reply.status, "message": message,
                                 "status": _GOOGLE_STATUS.get(reply.status, "UNKNOWN"),
                                 "details": reply.error_details}}
        elif route == COQUI:
            payload = {"error": "scripted failure"}
        else:
            kind = {401: "invalid_request_error", 429: "rate_limit_exceeded"}.get(
                reply.status, "server_error")
            payload = {"error": {"message": "scripted failure", "type": kind,
                                 "param": None, "code": None}}
        self._send(h, reply.status, json.dumps(payload).encode(), "application/json",
                   reply.headers)

    def _success(self, h: BaseHTTPRequestHandler, route: str, parts, body: bytes,
                 reply: Reply) -> None:
        if route in (GEMINI, CHAT):
            payload = json.loads(body)
            text = reply.text if reply.text is not None else self.answer(route, payload)
            if route == GEMINI:
                model = _GEMINI_PATH.match(parts.path)["model"]
                answer = _gemini_response(model, text)
            else:
                answer = _chat_response(payload.get("model", "unknown"), text)
            self._send(h, 200, json.dumps(answer).encode(), "application/json", reply.headers)
            return
        if route == SPEECH:
            payload = json.loads(body)
            if payload.get("response_format", "mp3") != "wav":
                self._send(h, 400, b'{"error": {"message": "only wav here"}}',
                           "application/json")
                return
            language = payload.get("voice", "en") if payload.get("voice", "").isalpha() else "en"
            audio = espeak_wav(payload["input"], language if len(language) <= 3 else "en")
            self._send(h, 200, audio, "audio/wav", reply.headers)
            return
        query = parse_qs(parts.query)
        text = (query.get("text") or [""])[0]
        if not text.strip():
            self._send(h, 400, b'{"error": "Text parameter is required"}', "application/json")
            return
        language = (query.get("language_id") or ["en"])[0] or "en"
        self._send(h, 200, espeak_wav(text, language), "audio/wav", reply.headers)


def _bad_key_details() -> list[dict]:
    return [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID",
             "domain": "googleapis.com",
             "metadata": {"service": "generativelanguage.googleapis.com"}}]


def _gemini_response(model: str, text: str) -> dict:
    return {
        "candidates": [{"content": {"parts": [{"text": text}], "role": "model"},
                        "finishReason": "STOP", "index": 0}],
        "usageMetadata": {"promptTokenCount": 100, "candidatesTokenCount": 50,
                          "totalTokenCount": 150},
        "modelVersion": model,
        "responseId": "fake-response",
    }


def _chat_response(model: str, text: str) -> dict:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text,
                                             "refusal": None},
                     "logprobs": None, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 50, "total_tokens": 150},
    }


def prompt_text(route: str, payload: dict) -> str:
    """All the text a request sent to the model (system and user), for fake answers to read."""
    if route == GEMINI:
        chunks = [p.get("text", "") for c in payload.get("contents", [])
                  for p in c.get("parts", [])]
        system = payload.get("systemInstruction") or payload.get("system_instruction") or {}
        chunks += [p.get("text", "") for p in system.get("parts", [])]
        return "\n".join(chunks)
    return "\n".join(str(m.get("content", "")) for m in payload.get("messages", []))
