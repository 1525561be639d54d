"""Getting the YouTube refresh token once, on your own computer (not in CI).

    releasecast youtube-auth --client-id ID   (the secret from $YOUTUBE_CLIENT_SECRET)

runs Google's OAuth 2.0 flow for installed apps: a one-shot web server on 127.0.0.1 receives
the redirect, the code is exchanged with PKCE, and the refresh token is printed for the
``youtube-refresh-token`` secret. It needs an OAuth client of type "Desktop app"
(docs/youtube.md, step 3).
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
import ssl
import sys
import threading
import webbrowser
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from ..errors import InputError, PublishError
from .config import GOOGLE_TOKEN_URI, SCOPE

GOOGLE_AUTH_URI = "https://accounts.google.com/o/oauth2/v2/auth"


def pkce_pair() -> tuple[str, str]:
    """(verifier, S256 challenge) as RFC 7636 describes."""
    verifier = secrets.token_urlsafe(64)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorization_url(client_id: str, redirect_uri: str, state: str, challenge: str, *,
                      auth_uri: str = GOOGLE_AUTH_URI) -> str:
    """Where the owner of the channel signs in and allows access. ``access_type=offline`` and
    ``prompt=consent`` make Google return a refresh token even on a second authorization."""
    return auth_uri + "?" + urlencode({
        "response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri,
        "scope": SCOPE, "state": state, "code_challenge": challenge,
        "code_challenge_method": "S256", "access_type": "offline", "prompt": "consent",
    })


class _Redirect(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        query = {k: v[-1] for k, v in parse_qs(urlsplit(self.path).query).items()}
        if "code" not in query and "error" not in query:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.server.result = query  # type: ignore[attr-defined]
        ok = "code" in query
        page = ("<h1>releasecast: done</h1><p>You can close this tab and go back to the "
                "terminal.</p>" if ok else
                f"<h1>releasecast: not authorized</h1><p>{html.escape(query['error'])}</p>")
        body = page.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def obtain_refresh_token(
    client_id: str,
    client_secret: str,
    *,
    auth_uri: str = GOOGLE_AUTH_URI,
    token_uri: str = GOOGLE_TOKEN_URI,
    show_url: Callable[[str], None] | None = None,
    open_browser: bool = True,
    timeout: float = 300.0,
    ca_certs: str | None = None,
) -> str:
    """Run the loopback flow and return the refresh token."""
    if not client_id.strip() or not client_secret.strip():
        raise InputError("give the OAuth client's id and secret (docs/youtube.md, step 3)")
    server = HTTPServer(("127.0.0.1", 0), _Redirect)
    server.result = None  # type: ignore[attr-defined]
    server.timeout = 1.0
    redirect_uri = f"http://127.0.0.1:{server.server_address[1]}/"
    state = secrets.token_urlsafe(16)
    verifier, challenge = pkce_pair()
    url = authorization_url(client_id, redirect_uri, state, challenge, auth_uri=auth_uri)
    try:
        (show_url or (lambda u: print(f"Open this address and allow access:\n\n{u}\n",
                                      file=sys.stderr)))(url)
        if open_browser:
            threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
        deadline = timeout
        while server.result is None and deadline > 0:  # type: ignore[attr-defined]
            server.handle_request()
            deadline -= server.timeout
        result: dict[str, str] | None = server.result  # type: ignore[attr-defined]
    finally:
        server.server_close()
    if result is None:
        raise PublishError(f"no answer from the browser within {timeout:.0f} s")
    if "error" in result:
        raise PublishError(f"Google did not authorize the app: {result['error']}")
    if result.get("state") != state:
        raise PublishError("the answer did not come from this sign-in (state mismatch)")
    return _exchange(client_id, client_secret, result["code"], verifier, redirect_uri,
                     token_uri, ca_certs)


def _exchange(client_id: str, client_secret: str, code: str, verifier: str, redirect_uri: str,
              token_uri: str, ca_certs: str | None) -> str:
    form = {"grant_type": "authorization_code", "code": code, "code_verifier": verifier,
            "redirect_uri": redirect_uri, "client_id": client_id, "client_secret": client_secret}
    try:
        verify = ssl.create_default_context(cafile=ca_certs) if ca_certs else True
        response = httpx.post(token_uri, data=form, timeout=30, verify=verify)
        data = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise PublishError(f"could not reach Google's token endpoint: {exc}") from None
    if response.status_code != 200:
        raise PublishError(f"Google refused the code ({data.get('error', response.status_code)}"
                           f": {data.get('error_description', '')})")
    token = data.get("refresh_token")
    if not token:
        raise PublishError("Google returned no refresh token: remove the app's access at "
                           "https://myaccount.google.com/permissions and run this again")
    return str(token)
