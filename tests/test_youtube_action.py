"""The Action with YouTube inputs, run as the runner runs it: a real reel is rendered, uploaded
to the local YouTube server, and the post pushed to the blog already records the video."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest
import trustme
from action_runner import SHORT_REEL_CONFIG, ActionEnv, bare_repo, commit_count, git, release_event
from youtube_server import FakeYouTube

from pipeline.youtube.config import ENDPOINT_ENV, TOKEN_URI_ENV

BLOG_CONFIG = 'title: Acme releases\nurl: "https://blog.example.org"\n'
POST = "_posts/2024-05-01-hello-world-v1-2-0.md"


@pytest.fixture
def yt(tmp_path: Path):
    with FakeYouTube(trustme.CA(), tmp_path) as server:
        yield server


def _inputs(blog: Path, yt: FakeYouTube, **extra: str) -> dict[str, str]:
    return {"blog-remote-url": f"file://{blog}", "github-token": "ghs_TESTTOKEN0123456789",
            "youtube-client-id": yt.client_id, "youtube-client-secret": yt.client_secret,
            "youtube-refresh-token": "refresh-good", **extra}


def _env(yt: FakeYouTube) -> dict[str, str]:
    return {ENDPOINT_ENV: yt.base_url, TOKEN_URI_ENV: yt.token_uri,
            "HTTPLIB2_CA_CERTS": str(yt.ca_bundle)}


@pytest.mark.slow
def test_action_uploads_once_and_commits_the_recorded_post(tmp_path: Path,
                                                           yt: FakeYouTube) -> None:
    blog = bare_repo(tmp_path / "blog.git", seed={"_config.yml": BLOG_CONFIG})
    runner = ActionEnv(tmp_path / "runner", config=SHORT_REEL_CONFIG)
    yt.fail("chunk", 1, "503")  # a server error on the way is retried, not fatal

    run = runner.run(release_event(tag="v1.2.0"), extra_env=_env(yt),
                     inputs=_inputs(blog, yt, **{"youtube-privacy": "unlisted"}))

    assert run.returncode == 0, run.log
    (video,) = yt.videos.values()
    assert run.outputs["youtube-url"] == f"https://www.youtube.com/watch?v={video.id}"
    # YouTube holds exactly the reel committed next to the post (video-storage: repository)
    assert video.sha256 == hashlib.sha256(_committed_reel(blog)).hexdigest()
    assert video.resource["status"]["privacyStatus"] == "unlisted"
    assert video.resource["snippet"]["title"].endswith("#Shorts")
    assert "https://blog.example.org/2024/05/01/hello-world-v1-2-0.html" in \
        video.resource["snippet"]["description"]
    assert [c.language for c in yt.captions] == ["en"]
    assert video.id in yt.thumbnails

    post = git("--git-dir", str(blog), "show", f"main:{POST}")
    assert f"youtube_id: {video.id}" in post
    assert f"https://www.youtube-nocookie.com/embed/{video.id}" in post
    assert 'href="/assets/releasecast/hello-world-v1-2-0/reel.mp4"' in post
    assert any("failed (HTTP 503 serviceUnavailable); retry 1 of 7" in line
               for line in run.stderr.splitlines()), run.stderr
    # the secrets are masked first, then never printed
    assert f"::add-mask::{yt.client_secret}" in run.stdout
    assert "::add-mask::refresh-good" in run.stdout
    after_masks = run.stdout.split("::add-mask::refresh-good", 1)[1] + run.stderr + run.summary
    assert yt.client_secret not in after_masks and "refresh-good" not in after_masks
    assert f"https://www.youtube.com/watch?v={video.id}" in run.summary

    # A re-run of the workflow: no upload, no quota, no new commit, the same URL.
    commits = commit_count(blog)
    calls = len(yt.requests)
    again = runner.run(release_event(tag="v1.2.0"), extra_env=_env(yt),
                       inputs=_inputs(blog, yt))
    assert again.returncode == 0, again.log
    assert again.outputs["youtube-url"] == run.outputs["youtube-url"]
    assert len(yt.videos) == 1 and len(yt.requests) == calls
    assert commit_count(blog) == commits


def _committed_reel(blog: Path) -> bytes:
    return subprocess.run(
        ["git", "--git-dir", str(blog), "show",
         "main:assets/releasecast/hello-world-v1-2-0/reel.mp4"],
        check=True, capture_output=True).stdout


def test_action_youtube_errors_are_one_line(tmp_path: Path, yt: FakeYouTube) -> None:
    blog = bare_repo(tmp_path / "blog.git", seed={"_config.yml": BLOG_CONFIG})
    runner = ActionEnv(tmp_path / "runner", config=SHORT_REEL_CONFIG)
    inputs = _inputs(blog, yt)
    del inputs["youtube-refresh-token"]
    run = runner.run(release_event(tag="v1.2.0"), inputs=inputs, extra_env=_env(yt))
    assert run.returncode != 0
    assert run.commands("error") == [
        "YouTube upload needs youtube-refresh-token: see docs/youtube.md for how to get them"]
    assert yt.requests == [] and commit_count(blog) == 1


def test_youtube_inputs_become_the_request_and_the_credentials() -> None:
    from pipeline.commands.action import ActionSettings
    from pipeline.errors import InputError
    from pipeline.runner import Inputs, RunnerContext

    ctx = RunnerContext.from_env({"GITHUB_REPOSITORY": "acme/tool"})

    def read(values: dict[str, str], env: dict[str, str]) -> ActionSettings:
        return ActionSettings.read(Inputs({f"INPUT_{k.upper()}": v for k, v in values.items()}),
                                   ctx, env)

    off = read({"youtube-privacy": "public"}, {})
    assert off.youtube is None and off.request.youtube is None  # no secret: no upload
    with pytest.raises(InputError, match="needs youtube-client-secret, youtube-refresh-token"):
        read({"youtube-client-id": "id"}, {})
    with pytest.raises(InputError, match="input 'youtube-privacy': expected one of"):
        read({"youtube-client-id": "i", "youtube-client-secret": "s",
              "youtube-refresh-token": "t", "youtube-privacy": "friends"}, {})
    on = read({"youtube-client-id": "id", "youtube-client-secret": "s3cret",
               "youtube-refresh-token": "1//tok", "youtube-privacy": "public",
               "youtube-playlist": "https://www.youtube.com/playlist?list=PLabc123"},
              {ENDPOINT_ENV: "https://127.0.0.1:9", TOKEN_URI_ENV: "https://127.0.0.1:9/token"})
    assert on.request.youtube is not None and on.request.youtube.privacy == "public"
    assert on.request.youtube.playlist == "PLabc123"
    assert on.youtube is not None and on.youtube.token_uri == "https://127.0.0.1:9/token"
    assert "s3cret" not in repr(on) and "1//tok" not in repr(on)
    default = read({"youtube-client-id": "i", "youtube-client-secret": "s",
                    "youtube-refresh-token": "t"}, {})
    assert default.youtube is not None
    assert default.youtube.token_uri == "https://oauth2.googleapis.com/token"
