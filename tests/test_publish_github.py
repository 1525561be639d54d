"""GitHubApi (PyGithub) against the local GitHub: releases, assets, pull requests, errors."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from action_runner import seed_branch
from githubapi_server import FakeGitHub

from pipeline.errors import InputError, PublishError
from pipeline.github_api import GitHubApi
from pipeline.retry import RetryPolicy

TOKEN = "ghp_apiTestToken"
# The production attempts with short waits: a refused connection is retried, not slept on.
FAST = RetryPolicy(attempts=4, initial_wait=0.01, max_wait=0.05)


@pytest.fixture(scope="module")
def github(tmp_path_factory: pytest.TempPathFactory):
    with FakeGitHub(tmp_path_factory.mktemp("github"), token=TOKEN) as server:
        server.add_repo("acme/tool")
        server.add_repo("acme/blog", pages_branch="gh-pages")
        for i in range(35):
            server.add_release("acme/tool", f"v1.{i}.0", published_at=f"2024-01-{i % 28 + 1:02d}"
                               "T00:00:00Z")
        server.add_release("acme/tool", "v2.0.0-draft", draft=True)
        yield server


@pytest.fixture(scope="module")
def api(github: FakeGitHub) -> GitHubApi:
    return GitHubApi(TOKEN, github.api_url, seconds_between_writes=None)


def test_releases_follow_pagination(api: GitHubApi, github: FakeGitHub) -> None:
    tags = [r["tag_name"] for r in api.releases("acme/tool")]
    assert len(tags) == 36 and len(set(tags)) == 36
    assert tags[0] == "v2.0.0-draft" and tags[-1] == "v1.0.0"
    pages = [p for m, p in github.requests if p == "/api/v3/repos/acme/tool/releases"]
    assert len(pages) == 2  # 30 per page, then the Link header's rel="next"


def test_release_by_tag_and_unknown_tag(api: GitHubApi) -> None:
    release = api.release_by_tag("acme/tool", "v1.3.0")
    assert release["tag_name"] == "v1.3.0" and release["upload_url"].endswith("{?name,label}")
    with pytest.raises(InputError, match=r"no published release for tag 'v9\.0\.0'"):
        api.release_by_tag("acme/tool", "v9.0.0")
    with pytest.raises(InputError, match="repository acme/nope not found"):
        api.release_by_tag("acme/nope", "v1.0.0")
    with pytest.raises(InputError, match="OWNER/NAME"):
        api.repository("just-a-name")


def test_upload_replaces_an_asset_of_the_same_name(api: GitHubApi, github: FakeGitHub,
                                                   tmp_path: Path) -> None:
    video = tmp_path / "reel.mp4"
    video.write_bytes(b"first")
    url = api.upload_release_asset("acme/tool", "v1.1.0", video, "tool-v1-1-0-reel.mp4")
    assert url == f"{github.url}/acme/tool/releases/download/v1.1.0/tool-v1-1-0-reel.mp4"
    video.write_bytes(b"second, longer")
    assert api.upload_release_asset("acme/tool", "v1.1.0", video, "tool-v1-1-0-reel.mp4") == url
    release = api.release_by_tag("acme/tool", "v1.1.0")
    [asset] = release["assets"]
    assert asset["size"] == len(b"second, longer") and asset["content_type"] == "video/mp4"
    assert httpx.get(url).content == b"second, longer"


def test_pull_requests_are_opened_once_and_validated(api: GitHubApi, github: FakeGitHub) -> None:
    bare = github.repos["acme/blog"].bare
    seed_branch(bare, "gh-pages", {"index.md": "x"})
    seed_branch(bare, "releasecast/tool-v1-0-0", {"index.md": "x", "post.md": "y"})
    first = api.open_pull_request("acme/blog", head="releasecast/tool-v1-0-0", base="gh-pages",
                                  title="Add post", body="b")
    again = api.open_pull_request("acme/blog", head="releasecast/tool-v1-0-0", base="gh-pages",
                                  title="Add post", body="b")
    assert first.created and not again.created and first.url == again.url
    with pytest.raises(PublishError, match=r"422: Validation Failed \(head invalid\)"):
        api.open_pull_request("acme/blog", head="no-such-branch", base="gh-pages", title="t",
                              body="")


def test_pages_branch(api: GitHubApi) -> None:
    assert api.pages_branch("acme/blog") == "gh-pages"
    assert api.pages_branch("acme/tool") is None


def test_bad_token_is_one_clear_line(github: FakeGitHub) -> None:
    with pytest.raises(PublishError, match=r"GitHub rejected the token \(401 Bad credentials\)"):
        GitHubApi("ghp_wrong", github.api_url).repository("acme/tool")
    with pytest.raises(PublishError, match="cannot reach"):
        GitHubApi(TOKEN, "http://127.0.0.1:9/api/v3", timeout=2,
                  retry=FAST).repository("acme/tool")
