"""Avatars on the thanks slide, fetched from a real local HTTP server: drawn when reachable,
cached, retried under the shared policy, bounded; initials whenever anything goes wrong."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from factories import sample_facts
from PIL import Image
from test_art import BRAND

from pipeline.art import render_artwork
from pipeline.art.avatars import MAX_BYTES, fetch_avatars
from pipeline.retry import RetryPolicy
from pipeline.structure import Contributor, Slide, SlideKind, Story

RED = (220, 30, 30)


def png(colour: tuple[int, int, int], size: int = 64) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (size, size), colour).save(out, "PNG")
    return out.getvalue()


class Server:
    def __init__(self) -> None:
        self.hits: dict[str, int] = {}
        self.requests: list[dict[str, str]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                server.hits[self.path] = server.hits.get(self.path, 0) + 1
                server.requests.append(dict(self.headers))
                if self.path == "/flaky" and server.hits[self.path] == 1:
                    self.send_response(503)
                    self.send_header("Retry-After", "0")
                    self.end_headers()
                    return
                body = {"/red": png(RED), "/flaky": png(RED),
                        "/huge": b"\x89PNG" + b"0" * (MAX_BYTES + 10),
                        "/text": b"not an image"}.get(self.path)
                if body is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture()
def server(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Server]:
    monkeypatch.setenv("RELEASECAST_CACHE", str(tmp_path / "cache"))
    running = Server()
    yield running
    running.httpd.shutdown()


POLICY = RetryPolicy(attempts=3, deadline=10, timeout=5, initial_wait=0.01, max_wait=0.05)


def test_avatars_are_fetched_once_then_cached(server: Server):
    people = [Contributor("ada", avatar_url=server.url + "/red"),
              Contributor("grace", avatar_url=server.url + "/flaky"),
              Contributor("newbie")]
    found = fetch_avatars(people, POLICY)
    assert set(found) == {"ada", "grace"}
    assert server.hits == {"/red": 1, "/flaky": 2}  # the 503 was retried
    assert all("authorization" not in {k.lower() for k in r} for r in server.requests)
    assert fetch_avatars(people, POLICY) == found
    assert server.hits == {"/red": 1, "/flaky": 2}, "the second time comes from the cache"


def test_unusable_avatars_fall_back_to_initials(server: Server):
    people = [Contributor("big", avatar_url=server.url + "/huge"),
              Contributor("txt", avatar_url=server.url + "/text"),
              Contributor("gone", avatar_url=server.url + "/missing"),
              Contributor("ftp", avatar_url="ftp://example.org/a.png"),
              Contributor("down", avatar_url="http://127.0.0.1:9/nothing")]
    assert fetch_avatars(people, POLICY) == {}


def test_the_thanks_slide_shows_the_picture(server: Server, tmp_path: Path):
    facts = sample_facts()
    facts.contributors = [Contributor("ada", avatar_url=server.url + "/red"),
                          Contributor("grace")]
    story = Story("t", "s", slides=[Slide(SlideKind.CONTRIBUTORS, "Thank you",
                                          ["@ada", "@grace"])])
    slide = Image.open(render_artwork(facts, story, BRAND, tmp_path / "art").slides[0])
    marker_column = slide.convert("RGB").crop((88, 600, 88 + 30 + 64 + 10, 1300))
    reds = sum(1 for r, g, b in marker_column.getdata() if r > 180 and g < 80 and b < 80)
    assert reds > 500, "ada's avatar is drawn"
    # grace has no picture: her initial avatar, in the brand's colours (no red)
    assert server.hits == {"/red": 1}
