"""Getting a refresh token with the installed-app flow, against the local OAuth server: the
test plays the browser and Google's consent page."""

from __future__ import annotations

import threading
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import trustme
from youtube_server import FORCE_SSL, FakeYouTube

from pipeline.errors import InputError, PublishError
from pipeline.youtube.auth import obtain_refresh_token


@pytest.fixture
def yt(tmp_path: Path):
    with FakeYouTube(trustme.CA(), tmp_path) as server:
        yield server


def _consent(yt: FakeYouTube, answer: str = "allow"):
    """A browser that follows the printed address and a user who clicks `answer`."""
    seen: dict[str, str] = {}

    def show_url(url: str) -> None:
        query = {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}
        seen.update(query)

        def browse() -> None:
            redirect = query["redirect_uri"]
            if answer == "allow":
                code = yt.issue_code(query["code_challenge"], redirect, {query["scope"]})
                params = {"code": code, "state": query["state"], "scope": query["scope"]}
            elif answer == "deny":
                params = {"error": "access_denied", "state": query["state"]}
            else:
                params = {"code": "4/forged", "state": "not-the-state"}
            httpx.get(redirect, params=params, timeout=10)

        threading.Thread(target=browse, daemon=True).start()

    return show_url, seen


def test_refresh_token_from_the_loopback_flow(yt: FakeYouTube) -> None:
    show_url, seen = _consent(yt)
    token = obtain_refresh_token(yt.client_id, yt.client_secret, auth_uri=f"{yt.base_url}/auth",
                                 token_uri=yt.token_uri, show_url=show_url, open_browser=False,
                                 timeout=10, ca_certs=str(yt.ca_bundle))
    assert yt.refresh_tokens[token] == {FORCE_SSL}
    assert seen["scope"] == FORCE_SSL
    assert seen["access_type"] == "offline" and seen["prompt"] == "consent"
    assert seen["code_challenge_method"] == "S256"
    assert seen["redirect_uri"].startswith("http://127.0.0.1:")


@pytest.mark.parametrize("answer, message", [
    ("deny", "did not authorize the app: access_denied"),
    ("forged", "state mismatch"),
])
def test_refused_or_forged_answers(yt: FakeYouTube, answer: str, message: str) -> None:
    show_url, _ = _consent(yt, answer)
    with pytest.raises(PublishError, match=message):
        obtain_refresh_token(yt.client_id, yt.client_secret, auth_uri=f"{yt.base_url}/auth",
                             token_uri=yt.token_uri, show_url=show_url, open_browser=False,
                             timeout=10, ca_certs=str(yt.ca_bundle))
    assert len(yt.refresh_tokens) == 1  # only the fixture's own


def test_missing_client_is_an_input_error() -> None:
    with pytest.raises(InputError, match="client's id and secret"):
        obtain_refresh_token("", "x", open_browser=False)
