"""A local YouTube Data API v3 and Google OAuth token endpoint, over TLS, for the upload tests.

It speaks the documented wire protocol that google-api-python-client uses, so the real client
library (and google-auth's refresh) talk to it unchanged:

* ``POST /token``: the OAuth 2.0 refresh-token grant (``invalid_grant`` for a revoked token)
  and the installed-app authorization-code grant with PKCE;
* ``POST /upload/youtube/v3/videos?uploadType=resumable``: starts a resumable session,
  ``200`` with ``Location``; chunk ``PUT``s with ``Content-Range: bytes a-b/total`` answered by
  ``308`` with ``Range: bytes=0-n`` until the last byte, then ``200`` with the video resource;
  a status query (``Content-Range: bytes */total``, empty body) answers the same way;
* ``captions.insert`` (multipart), ``captions.list``, ``thumbnails.set`` (media upload),
  ``playlistItems.insert``/``list``, ``channels.list(mine)`` and ``videos.list``.

Faults are injected per request kind and ordinal (``fail("chunk", 2, "503")``): a connection
reset halfway through a chunk's body, 500/503 answers, an access token that expires (401), a
stall past the client's timeout, a lost response after the server stored everything, and the
quota/limit errors of the real API. The server records what it received at which offset, so
tests can prove that bytes it had acknowledged were never sent again.

TLS uses a throw-away certificate authority (``trustme``): the client library sends uploads to
``https://`` whatever endpoint it is given, and trusting a test CA is the honest way to let it.
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
import hashlib
import json
import os
import re
import secrets
import socket
import ssl
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import trustme
from local_server import LocalServer

STALL_SECONDS = 2.5  # how long a "stall" fault keeps the answer back
GRANULARITY = 256 * 1024  # non-final chunks must be multiples of this (as on Google's servers)
FORCE_SSL = "https://www.googleapis.com/auth/youtube.force-ssl"
UPLOAD_ONLY = "https://www.googleapis.com/auth/youtube.upload"
# Which scopes each method accepts (from the discovery document's "scopes" lists).
_WRITE_SCOPES = {FORCE_SSL, "https://www.googleapis.com/auth/youtube"}
SCOPES_FOR = {
    "videos.insert": _WRITE_SCOPES | {UPLOAD_ONLY},
    "thumbnails.set": _WRITE_SCOPES | {UPLOAD_ONLY},
    "captions": {FORCE_SSL},
    "playlistItems.insert": _WRITE_SCOPES,
    "read": _WRITE_SCOPES | {"https://www.googleapis.com/auth/youtube.readonly"},
}


@dataclass
class Received:
    """One chunk ``PUT`` as the server saw it."""

    start: int  # first byte offset the client claimed (Content-Range)
    length: int  # bytes actually read from the body
    resent_acknowledged: int  # of those, bytes the server had already acknowledged
    outcome: str  # "stored", "dropped", "500", "503", "401", ...


@dataclass
class Session:
    id: str
    size: int
    mimetype: str
    resource: dict[str, Any]
    part: str
    data: bytearray = field(default_factory=bytearray)
    acknowledged: int = 0  # the highest offset the client has been told the server holds
    video_id: str | None = None
    chunks: list[Received] = field(default_factory=list)
    status_queries: int = 0

    @property
    def resent_acknowledged_bytes(self) -> int:
        return sum(c.resent_acknowledged for c in self.chunks)


@dataclass
class Video:
    resource: dict[str, Any]
    data: bytes
    created: float

    @property
    def id(self) -> str:
        return self.resource["id"]

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class Caption:
    video_id: str
    language: str
    name: str
    body: bytes
    content_type: str


class FakeYouTube:
    """Start with ``with FakeYouTube(ca) as yt:``; inspect ``yt.videos``, ``yt.sessions``..."""

    def __init__(
        self,
        ca: trustme.CA,
        workdir: Path,
        *,
        force_private: bool = False,
        can_set_thumbnails: bool = True,
        refresh_tokens: dict[str, set[str]] | None = None,
        playlists: tuple[str, ...] = ("PLreleasecast0000000000000000000",),
    ) -> None:
        self.ca = ca
        self.force_private = force_private
        self.can_set_thumbnails = can_set_thumbnails
        self.refresh_tokens = refresh_tokens or {"refresh-good": {FORCE_SSL}}
        self.client_id = "test-client.apps.googleusercontent.com"
        self.client_secret = "test-secret"
        self.channel_id = "UCfakechannel000000000000"
        self.playlists = set(playlists)
        self.access_tokens: dict[str, set[str]] = {}
        self.codes: dict[str, tuple[str, str, set[str]]] = {}
        self.token_grants = 0
        self.sessions: dict[str, Session] = {}
        self.videos: dict[str, Video] = {}
        self.captions: list[Caption] = []
        self.thumbnails: dict[str, tuple[str, bytes]] = {}
        self.playlist_items: list[tuple[str, str]] = []  # (playlist id, video id)
        self.requests: list[tuple[str, str, int]] = []  # (method, name, status)
        self._faults: dict[tuple[str, int], str] = {}
        self._counts: dict[str, int] = {}
        self.lock = threading.RLock()
        self.ca_bundle = workdir / "test-ca.pem"
        ca.cert_pem.write_to_path(str(self.ca_bundle))
        self._server: LocalServer | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> FakeYouTube:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
        self._server = LocalServer(_Handler, tls=context, poll_interval=0.02, fake=self).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return self._server.url

    @property
    def token_uri(self) -> str:
        return f"{self.base_url}/token"

    # -- test controls -----------------------------------------------------------------------

    def fail(self, kind: str, ordinal: int, fault: str) -> None:
        """Make the ``ordinal``-th (1-based) request of ``kind`` fail with ``fault``.

        kinds: "start" (resumable session start), "chunk" (a chunk PUT carrying data),
        "status" (a status query), "captions", "thumbnail", "playlist", "token".
        faults: "drop" (reset the connection halfway through the body), "drop-response"
        (store everything, then reset instead of answering: chunks, captions, playlist),
        "stall" (store, answer after STALL_SECONDS), "500", "503", "expire-token" (the access
        token dies: 401), "quota" (403 quotaExceeded), "upload-limit" (400
        uploadLimitExceeded).
        """
        self._faults[(kind, ordinal)] = fault

    def count(self, kind: str) -> int:
        return self._counts.get(kind, 0)

    def _next_fault(self, kind: str) -> str | None:
        with self.lock:
            self._counts[kind] = self._counts.get(kind, 0) + 1
            return self._faults.pop((kind, self._counts[kind]), None)

    def add_video(self, resource: dict[str, Any], data: bytes = b"") -> Video:
        """A video already on the channel (e.g. uploaded by an earlier run)."""
        video_id = resource.get("id") or _video_id()
        full = _video_resource(video_id, resource, self.channel_id, self.force_private)
        video = Video(full, data, time.time())
        self.videos[video_id] = video
        return video

    def issue_code(self, challenge: str, redirect_uri: str, scopes: set[str]) -> str:
        """What Google's consent page does when the user allows access: a one-time code."""
        code = "4/" + secrets.token_urlsafe(16)
        self.codes[code] = (challenge, redirect_uri, scopes)
        return code

    def called(self, name: str) -> int:
        return sum(1 for _, n, _ in self.requests if n == name)


def _video_id() -> str:
    return secrets.token_urlsafe(8)[:11]


def _video_resource(
    video_id: str, requested: dict[str, Any], channel_id: str, force_private: bool
) -> dict[str, Any]:
    snippet = dict(requested.get("snippet", {}))
    snippet.update(channelId=channel_id, channelTitle="Release Channel",
                   publishedAt=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    status = {"uploadStatus": "uploaded", "privacyStatus": "private", "license": "youtube",
              "embeddable": True, "publicStatsViewable": True, "madeForKids": False}
    status.update(requested.get("status", {}))
    if force_private:
        # What YouTube does for API projects that have not passed its audit.
        status["privacyStatus"] = "private"
    return {"kind": "youtube#video", "etag": secrets.token_hex(8), "id": video_id,
            "snippet": snippet, "status": status}


def _parts(resource: dict[str, Any], part: str) -> dict[str, Any]:
    wanted = {p.strip() for p in part.split(",") if p.strip()}
    return {k: v for k, v in resource.items() if k in {"kind", "etag", "id"} | wanted}


class _Abort(Exception):
    """Reset the connection without answering."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeYouTube/1.0"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stalls

    def log_message(self, format: str, *args: Any) -> None:
        pass

    @property
    def fake(self) -> FakeYouTube:
        return self.server.fake  # type: ignore[attr-defined]

    # -- plumbing ------------------------------------------------------------------------------

    def _route(self, method: str) -> None:
        url = urlsplit(self.path)
        self.query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        self.body_read = False
        name, handler = self._find(method, url.path)
        self.name = name
        try:
            if handler is None:
                self._drain()
                self._error(404, "notFound", f"no such endpoint: {method} {url.path}")
            else:
                handler()
        except _Abort:
            self._reset()
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            self.close_connection = True

    def _find(self, method: str, path: str) -> tuple[str, Any]:
        routes = {
            ("POST", "/token"): ("token", self._token),
            ("POST", "/upload/youtube/v3/videos"): ("videos.insert", self._start_upload),
            ("PUT", "/upload/youtube/v3/videos"): ("upload", self._put_chunk),
            ("POST", "/upload/youtube/v3/captions"): ("captions.insert", self._insert_caption),
            ("GET", "/youtube/v3/captions"): ("captions.list", self._list_captions),
            ("POST", "/upload/youtube/v3/thumbnails/set"): ("thumbnails.set", self._thumbnail),
            ("POST", "/youtube/v3/playlistItems"): ("playlistItems.insert",
                                                    self._insert_playlist_item),
            ("GET", "/youtube/v3/playlistItems"): ("playlistItems.list",
                                                   self._list_playlist_items),
            ("GET", "/youtube/v3/channels"): ("channels.list", self._list_channels),
            ("GET", "/youtube/v3/videos"): ("videos.list", self._list_videos),
        }
        return routes.get((method, path), (f"{method} {path}", None))

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def do_PUT(self) -> None:
        self._route("PUT")

    def _length(self) -> int:
        return int(self.headers.get("Content-Length") or 0)

    def _read(self, n: int | None = None) -> bytes:
        total = self._length()
        want = total if n is None else min(n, total)
        data = self.rfile.read(want) if want else b""
        self.body_read = n is None or want == total
        return data

    def _drain(self) -> None:
        if not self.body_read:
            self._read()

    def _reset(self) -> None:
        """An abortive close (RST), like a connection dropped by the network."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            # detach: the server's own cleanup must not close a number reused meanwhile
            os.close(self.connection.detach())
        except OSError:
            pass

    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None,
              content_type: str = "application/json; charset=UTF-8") -> None:
        self.fake.requests.append((self.command, self.name, status))
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        if body:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def _json(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(data).encode(), headers)

    def _error(self, status: int, reason: str, message: str, domain: str = "youtube.api",
               headers: dict[str, str] | None = None) -> None:
        statuses = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
                    404: "NOT_FOUND", 500: "INTERNAL", 503: "UNAVAILABLE"}
        self._json(status, {"error": {
            "code": status, "message": message,
            "errors": [{"message": message, "domain": domain, "reason": reason}],
            "status": statuses.get(status, "UNKNOWN"),
        }}, headers)

    def _authorized(self, method: str) -> bool:
        """Check the bearer token and its scopes; answer 401/403 (body drained) if wrong."""
        header = self.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ").strip()
        scopes = self.fake.access_tokens.get(token)
        if scopes is None:
            self._drain()
            self._error(401, "authError", "Request had invalid authentication credentials. "
                        "Expected OAuth 2 access token.", domain="global",
                        headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/",'
                                                     ' error="invalid_token"'})
            return False
        if not scopes & SCOPES_FOR[method]:
            self._drain()
            self._error(403, "insufficientPermissions",
                        "Request had insufficient authentication scopes.", domain="global")
            return False
        return True

    def _fault(self, kind: str) -> str | None:
        """This request's injected fault; an expiring token dies before it is checked."""
        fault = self.fake._next_fault(kind)
        if fault == "expire-token":
            with self.fake.lock:
                self.fake.access_tokens.clear()
        return fault

    def _simple_fault(self, fault: str | None) -> bool:
        """Answer the faults every endpoint supports; True when one was answered."""
        if fault in ("500", "503"):
            self._drain()
            reason = "backendError" if fault == "500" else "serviceUnavailable"
            self._error(int(fault), reason, "Backend Error", domain="global")
            return True
        if fault == "drop":
            self._read(self._length() // 2)
            raise _Abort
        if fault == "quota":
            self._drain()
            self._error(403, "quotaExceeded",
                        'The request cannot be completed because you have exceeded your '
                        '<a href="/youtube/v3/getting-started#quota">quota</a>.',
                        domain="youtube.quota")
            return True
        return False

    # -- OAuth -------------------------------------------------------------------------------

    def _token(self) -> None:
        form = {k: v[-1] for k, v in parse_qs(self._read().decode()).items()}
        if self._simple_fault(self._fault("token")):
            return
        if (form.get("client_id"), form.get("client_secret")) != (
            self.fake.client_id, self.fake.client_secret
        ):
            self._json(401, {"error": "invalid_client", "error_description": "Unauthorized"})
            return
        if form.get("grant_type") == "authorization_code":
            self._exchange_code(form)
            return
        if form.get("grant_type") != "refresh_token":
            self._json(400, {"error": "unsupported_grant_type"})
            return
        scopes = self.fake.refresh_tokens.get(form.get("refresh_token", ""))
        if scopes is None:
            self._json(400, {"error": "invalid_grant",
                             "error_description": "Token has been expired or revoked."})
            return
        token = "ya29." + secrets.token_urlsafe(24)
        with self.fake.lock:
            self.fake.access_tokens[token] = set(scopes)
            self.fake.token_grants += 1
        self._json(200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer",
                         "scope": " ".join(sorted(scopes))})

    def _exchange_code(self, form: dict[str, str]) -> None:
        """The installed-app flow's second half: code + PKCE verifier -> tokens."""
        grant = self.fake.codes.pop(form.get("code", ""), None)
        verifier = form.get("code_verifier", "").encode()
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=")
        if grant is None or grant[0] != challenge.decode() or grant[1] != form.get(
                "redirect_uri"):
            self._json(400, {"error": "invalid_grant", "error_description": "Bad Request"})
            return
        refresh = "1//" + secrets.token_urlsafe(24)
        token = "ya29." + secrets.token_urlsafe(24)
        with self.fake.lock:
            self.fake.refresh_tokens[refresh] = set(grant[2])
            self.fake.access_tokens[token] = set(grant[2])
        self._json(200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer",
                         "refresh_token": refresh, "scope": " ".join(sorted(grant[2]))})

    # -- resumable upload ----------------------------------------------------------------------

    def _start_upload(self) -> None:
        fault = self._fault("start")
        if self.query.get("uploadType") != "resumable":
            self._drain()
            self._error(400, "badRequest", "this fake only supports uploadType=resumable")
            return
        if not self._authorized("videos.insert") or self._simple_fault(fault):
            return
        if fault == "upload-limit":
            self._drain()
            self._error(400, "uploadLimitExceeded",
                        "The user has exceeded the number of videos they may upload.")
            return
        resource = json.loads(self._read() or b"{}")
        problem = _invalid_video(resource)
        size = self.headers.get("X-Upload-Content-Length")
        if problem is None and (size is None or not size.isdigit()):
            problem = ("badRequest", "X-Upload-Content-Length is required")
        if problem:
            self._error(400, *problem)
            return
        session = Session(secrets.token_hex(12), int(size), self.headers.get(
            "X-Upload-Content-Type", ""), resource, self.query.get("part", ""))
        with self.fake.lock:
            self.fake.sessions[session.id] = session
        location = (f"{self.fake.base_url}/upload/youtube/v3/videos?uploadType=resumable"
                    f"&part={session.part}&upload_id={session.id}")
        self._send(200, headers={"Location": location, "X-GUploader-UploadID": session.id})

    def _put_chunk(self) -> None:
        session = self.fake.sessions.get(self.query.get("upload_id", ""))
        if session is None:
            self._drain()
            self._error(404, "notFound", "upload session not found or expired")
            return
        spec = self.headers.get("Content-Range", "")
        query = re.fullmatch(r"bytes \*/(\d+)", spec)
        fault = self._fault("status" if query else "chunk")
        if query:
            session.status_queries += 1
            if not self._authorized("videos.insert") or self._simple_fault(fault):
                return
            self._drain()
            self._answer_progress(session, fault)
            return
        if not self._authorized("videos.insert"):
            claimed = re.match(r"bytes (\d+)-", spec)
            start = int(claimed[1]) if claimed else 0
            self._record(session, start, self._length(), "401")
            return
        match = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+)", spec)
        if not match or int(match[3]) != session.size:
            self._drain()
            self._error(400, "badRequest", f"bad Content-Range {spec!r}")
            return
        start, end = int(match[1]), int(match[2])
        if end - start + 1 != self._length() or start > len(session.data):
            self._drain()
            self._error(400, "badRequest", "Content-Range does not match the data or skips "
                        f"bytes the server does not have (it has {len(session.data)})")
            return
        if fault in ("500", "503"):
            body = self._read()
            self._record(session, start, len(body), fault)
            self._simple_fault(fault)
            return
        if fault == "drop":
            body = self._read(self._length() // 2)
            keep = len(body) // GRANULARITY * GRANULARITY
            self._store(session, start, body[:keep], len(body), "dropped")
            raise _Abort
        body = self._read()
        if not self._store(session, start, body, len(body), "stored"):
            self._error(400, "badRequest", "data differs from bytes already received")
            return
        final = end + 1 == session.size
        if not final and len(body) % GRANULARITY:
            self._error(400, "badRequest", "a non-final chunk must be a multiple of 256 KiB")
            return
        self._answer_progress(session, fault)

    def _record(self, session: Session, start: int, length: int, outcome: str) -> None:
        with self.fake.lock:
            resent = max(0, min(start + length, session.acknowledged) - start)
            session.chunks.append(Received(start, length, resent, outcome))

    def _store(self, session: Session, start: int, body: bytes, length: int,
               outcome: str) -> bool:
        self._record(session, start, length, outcome)
        with self.fake.lock:
            have = len(session.data)
            overlap = body[: max(0, have - start)]
            if session.data[start:start + len(overlap)] != overlap:
                return False
            session.data += body[len(overlap):]
            return True

    def _answer_progress(self, session: Session, fault: str | None) -> None:
        with self.fake.lock:
            if len(session.data) == session.size and session.video_id is None:
                video = self.fake.add_video(session.resource, bytes(session.data))
                session.video_id = video.id
        if fault == "drop-response":
            raise _Abort
        if fault == "stall":
            time.sleep(STALL_SECONDS)
        with self.fake.lock:
            session.acknowledged = len(session.data)
        if session.video_id is not None:
            video = self.fake.videos[session.video_id]
            self._json(200, _parts(video.resource, session.part))
            return
        headers = {"Range": f"bytes=0-{len(session.data) - 1}"} if session.data else {}
        self._send(308, headers=headers)

    # -- extras --------------------------------------------------------------------------------

    def _video_or_404(self, video_id: str) -> Video | None:
        video = self.fake.videos.get(video_id)
        if video is None:
            self._error(404, "videoNotFound", "The video identified by the videoId parameter "
                        "could not be found.")
        return video

    def _insert_caption(self) -> None:
        fault = self._fault("captions")
        if not self._authorized("captions") or self._simple_fault(fault):
            return
        body = self._read()
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + self.headers["Content-Type"].encode() + b"\r\n\r\n" + body
        )
        parts = list(message.iter_parts())
        if len(parts) != 2:
            self._error(400, "badRequest", "expected a multipart/related body of two parts")
            return
        meta = json.loads(parts[0].get_content())
        media = parts[1].get_payload(decode=True)
        snippet = meta.get("snippet", {})
        if not snippet.get("language") or not snippet.get("videoId"):
            self._error(400, "invalidMetadata", "snippet.language and videoId are required")
            return
        if self._video_or_404(snippet["videoId"]) is None:
            return
        if any(c.video_id == snippet["videoId"] and c.language == snippet["language"]
               and c.name == snippet.get("name", "") for c in self.fake.captions):
            self._error(409, "captionExists", "a caption track with this language and name "
                        "already exists")
            return
        caption = Caption(snippet["videoId"], snippet["language"], snippet.get("name", ""),
                          media, parts[1].get_content_type())
        self.fake.captions.append(caption)
        if fault == "drop-response":
            raise _Abort
        self._json(200, {"kind": "youtube#caption", "id": secrets.token_hex(8),
                         "snippet": {**snippet, "status": "serving", "trackKind": "standard"}})

    def _list_captions(self) -> None:
        if not self._authorized("captions"):
            return
        video_id = self.query.get("videoId", "")
        if self._video_or_404(video_id) is None:
            return
        items = [{"kind": "youtube#caption", "id": f"cap{i}", "snippet": {
            "videoId": c.video_id, "language": c.language, "name": c.name}}
            for i, c in enumerate(self.fake.captions) if c.video_id == video_id]
        self._json(200, {"kind": "youtube#captionListResponse", "items": items})

    def _thumbnail(self) -> None:
        fault = self._fault("thumbnail")
        if not self._authorized("thumbnails.set") or self._simple_fault(fault):
            return
        body = self._read()
        if not self.fake.can_set_thumbnails:
            self._error(403, "forbidden", "The authenticated user doesn't have permissions to "
                        "upload and set custom video thumbnails.")
            return
        video_id = self.query.get("videoId", "")
        if self._video_or_404(video_id) is None:
            return
        if len(body) > 2 * 1024 * 1024:
            self._error(400, "mediaBodyTooLarge", "thumbnails are limited to 2 MB")
            return
        self.fake.thumbnails[video_id] = (self.headers.get("Content-Type", ""), body)
        self._json(200, {"kind": "youtube#thumbnailSetResponse", "items": [
            {"default": {"url": f"https://i.ytimg.com/vi/{video_id}/default.jpg"}}]})

    def _insert_playlist_item(self) -> None:
        fault = self._fault("playlist")
        if not self._authorized("playlistItems.insert") or self._simple_fault(fault):
            return
        snippet = json.loads(self._read() or b"{}").get("snippet", {})
        playlist = snippet.get("playlistId", "")
        video_id = snippet.get("resourceId", {}).get("videoId", "")
        if playlist not in self.fake.playlists:
            self._error(404, "playlistNotFound", "The playlist identified with the request's "
                        "playlistId parameter cannot be found.")
            return
        if self._video_or_404(video_id) is None:
            return
        self.fake.playlist_items.append((playlist, video_id))
        if fault == "drop-response":
            raise _Abort
        self._json(200, {"kind": "youtube#playlistItem", "id": secrets.token_hex(8),
                         "snippet": snippet})

    def _uploads_playlist(self) -> str:
        return "UU" + self.fake.channel_id[2:]

    def _list_channels(self) -> None:
        if not self._authorized("read"):
            return
        if self.query.get("mine") != "true":
            self._error(400, "badRequest", "this fake only supports mine=true")
            return
        self._json(200, {"kind": "youtube#channelListResponse", "items": [{
            "kind": "youtube#channel", "id": self.fake.channel_id,
            "contentDetails": {"relatedPlaylists": {"uploads": self._uploads_playlist()}}}]})

    def _list_playlist_items(self) -> None:
        if not self._authorized("read"):
            return
        playlist = self.query.get("playlistId", "")
        limit = int(self.query.get("maxResults", "5"))
        if playlist == self._uploads_playlist():
            ids = [v.id for v in sorted(self.fake.videos.values(), key=lambda v: -v.created)]
        elif playlist in self.fake.playlists:
            ids = [vid for pl, vid in self.fake.playlist_items if pl == playlist]
        else:
            self._error(404, "playlistNotFound", "playlist not found")
            return
        if "videoId" in self.query:
            ids = [vid for vid in ids if vid == self.query["videoId"]]
        items = [{"kind": "youtube#playlistItem", "snippet": {
            "playlistId": playlist, "resourceId": {"kind": "youtube#video", "videoId": vid}},
            "contentDetails": {"videoId": vid}} for vid in ids[:limit]]
        self._json(200, {"kind": "youtube#playlistItemListResponse", "items": items})

    def _list_videos(self) -> None:
        if not self._authorized("read"):
            return
        ids = [i for i in self.query.get("id", "").split(",") if i]
        items = [_parts(self.fake.videos[i].resource, self.query.get("part", ""))
                 for i in ids if i in self.fake.videos]
        self._json(200, {"kind": "youtube#videoListResponse", "items": items})


def _invalid_video(resource: dict[str, Any]) -> tuple[str, str] | None:
    """The checks videos.insert makes on metadata (documented limits)."""
    snippet = resource.get("snippet", {})
    status = resource.get("status", {})
    title = snippet.get("title", "")
    if not title.strip() or len(title) > 100 or re.search(r"[<>]", title):
        return "invalidTitle", "The request metadata specifies an invalid video title."
    description = snippet.get("description", "")
    if len(description.encode()) > 5000 or re.search(r"[<>]", description):
        return "invalidDescription", "The request metadata specifies an invalid description."
    tags = snippet.get("tags", [])
    if sum(len(t) + (2 if " " in t else 0) for t in tags) + max(0, len(tags) - 1) > 500:
        return "invalidTags", "The request metadata specifies invalid video keywords."
    if status.get("privacyStatus") not in ("private", "unlisted", "public"):
        return "invalidVideoMetadata", "privacyStatus must be private, unlisted or public"
    if status.get("publishAt") and status.get("privacyStatus") != "private":
        return "invalidPublishAt", "publishAt requires privacyStatus private"
    if snippet.get("categoryId") and not str(snippet["categoryId"]).isdigit():
        return "invalidCategoryId", "The request metadata specifies an invalid category."
    return None
