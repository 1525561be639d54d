"""The reel under each `video-storage` mode, with a real rendered reel (a few seconds long).

repository: committed next to the post; release-asset: uploaded to the release, the post's
player points there; none: no video in the post; and a reel at or over the size limit is never
committed, whatever the mode says.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import httpx
import pytest
import yaml
from action_runner import (
    PIPER_SHORT_REEL_CONFIG,
    SHORT_REEL_CONFIG,
    ActionEnv,
    bare_repo,
    commit_count,
    git,
    release_event,
    seed_branch,
    tree,
)
from githubapi_server import FakeGitHub

from pipeline.blog import PublishOptions, publish_release
from pipeline.commands.action import SHELL
from pipeline.config import parse_config
from pipeline.facts import collect_facts
from pipeline.github_api import GitHubApi
from pipeline.plan import Plan, parse_request, plan_release
from pipeline.tools import probe

pytestmark = pytest.mark.slow
TOKEN = "ghs_videoTestToken"
VIDEO_BLOCK = re.compile(r"<!-- releasecast:video -->(.*?)<!-- /releasecast:video -->", re.S)


@pytest.fixture
def github(tmp_path: Path):
    with FakeGitHub(tmp_path / "github", token=TOKEN) as server:
        server.add_repo("acme/tool")
        server.add_repo("acme/blog")
        server.add_release("acme/tool", "v1.0.0", name="Reel time",
                           body="* feat: a reel for every release\n* fix: no more tofu\n")
        yield server


def assert_vertical_h264(path: Path) -> None:
    info = probe(path)
    video = next(s for s in info["streams"] if s["codec_type"] == "video")
    audio = next(s for s in info["streams"] if s["codec_type"] == "audio")
    assert (video["codec_name"], video["width"], video["height"]) == ("h264", 1080, 1920)
    assert audio["codec_name"] == "aac"
    assert float(info["format"]["duration"]) >= 5


def video_block(post: str) -> str:
    match = VIDEO_BLOCK.search(post)
    assert match, "the post has no video markers"
    return match.group(1).strip()


def show(bare: Path, ref: str, path: str, dest: Path) -> Path:
    dest.write_bytes(subprocess.run(["git", "--git-dir", str(bare), "show", f"{ref}:{path}"],
                                    capture_output=True, check=True).stdout)
    return dest


def test_repository_storage_commits_the_reel_and_reruns_commit_nothing(tmp_path: Path) -> None:
    blog = bare_repo(tmp_path / "blog.git")
    # The Action's defaults (repository storage, the Piper voice): the others use espeak-ng.
    runner = ActionEnv(tmp_path / "runner", config=PIPER_SHORT_REEL_CONFIG)
    inputs = {"blog-remote-url": f"file://{blog}", "create-site": "true"}
    run = runner.run(release_event(tag="v1.0.0"), inputs=inputs)
    assert run.returncode == 0, run.log
    video = run.kept("video-path")
    assert video == "assets/releasecast/hello-world-v1-0-0/reel.mp4" and video in tree(blog)
    # The new site is served at https://codertocat.github.io/Hello-World (create-site).
    # video-url is absolute, like post-url; the post itself links the site path
    assert run.outputs["video-url"] == \
        "https://codertocat.github.io/Hello-World/assets/releasecast/hello-world-v1-0-0/reel.mp4"
    assert_vertical_h264(show(blog, "main", video, tmp_path / "reel.mp4"))
    post = git("--git-dir", str(blog), "show", f"main:{run.kept('post-path')}")
    assert 'src="/Hello-World/assets/releasecast/hello-world-v1-0-0/reel.mp4"' in video_block(post)
    assert f"| Reel | `{video}` (" in run.summary and "| reel |" in run.summary

    again = runner.run(release_event(tag="v1.0.0"), inputs=inputs)
    assert again.returncode == 0, again.log
    assert again.outputs["result"] == "unchanged" and commit_count(blog) == 1
    assert again.outputs["video-url"] == run.outputs["video-url"]  # read back from the post


def test_release_asset_storage_uploads_the_reel_and_links_it(tmp_path: Path,
                                                             github: FakeGitHub) -> None:
    runner = ActionEnv(tmp_path / "runner", repository="acme/tool", config=SHORT_REEL_CONFIG)
    event = github.event_for("acme/tool", "v1.0.0")
    run = runner.run(event, inputs={"github-token": TOKEN, "blog-repository": "acme/blog",
                                    "create-site": "true",
                                    "blog-branch": "main", "video-storage": "release-asset"},
                     extra_env={"GITHUB_SERVER_URL": github.url,
                                "GITHUB_API_URL": github.api_url})
    assert run.returncode == 0, run.log
    url = f"{github.url}/acme/tool/releases/download/v1.0.0/tool-v1-0-0-reel.mp4"
    assert run.outputs["video-url"] == url and run.outputs["video-path"] == ""
    files = tree(github.repos["acme/blog"].bare)
    assert not [f for f in files if f.endswith(".mp4")]
    assert "assets/releasecast/tool-v1-0-0/reel.en.vtt" in files
    post = git("--git-dir", str(github.repos["acme/blog"].bare), "show",
               f"main:{run.kept('post-path')}")
    block = video_block(post)
    assert f'src="{url}"' in block and f"[Download the reel]({url})" in block
    downloaded = tmp_path / "asset.mp4"
    downloaded.write_bytes(httpx.get(url).content)
    assert_vertical_h264(downloaded)
    assert "[release asset](" in run.summary


def test_none_storage_leaves_the_video_out(tmp_path: Path) -> None:
    blog = bare_repo(tmp_path / "blog.git")
    runner = ActionEnv(tmp_path / "runner", config=SHORT_REEL_CONFIG)
    run = runner.run(release_event(tag="v1.0.0"),
                     inputs={"blog-remote-url": f"file://{blog}", "video-storage": "none",
                             "create-site": "true"})
    assert run.returncode == 0, run.log
    assert not [f for f in tree(blog) if f.endswith(".mp4")]
    assert run.outputs["video-path"] == run.outputs["video-url"] == ""
    post = git("--git-dir", str(blog), "show", f"main:{run.kept('post-path')}")
    assert video_block(post) == ""
    assert "| Reel | none in the post |" in run.summary


def test_a_reel_over_the_size_limit_is_never_committed(tmp_path: Path,
                                                        github: FakeGitHub) -> None:
    blog = github.repos["acme/blog"].bare
    seed_branch(blog, "main", {"_config.yml": "title: Blog\n", "_layouts/post.html": "x\n"})
    facts = collect_facts(event=github.event_for("acme/tool", "v1.0.0"))
    config = parse_config(yaml.safe_load(SHORT_REEL_CONFIG))
    api = GitHubApi(TOKEN, github.api_url, seconds_between_writes=None)
    plan = plan_release("release", github.event_for("acme/tool", "v1.0.0"), config,
                        parse_request({"blog_remote_url": str(blog), "blog_branch": "main"},
                                      SHELL), SHELL,
                        repository="acme/tool", server_url=github.url, api=api)
    assert isinstance(plan, Plan)
    warnings: list[str] = []
    published = publish_release(plan, facts, config, work_dir=tmp_path / "work", api=api,
                                options=PublishOptions(max_video_bytes=100_000),
                                warn=warnings.append)
    assert published.changed and published.video_path is None
    assert published.video_url.endswith("/releases/download/v1.0.0/tool-v1-0-0-reel.mp4")
    [warning] = warnings
    assert re.fullmatch(r"reel\.mp4 is \d+\.\d MiB, too large to commit \(limit 0\.1 MiB\); "
                        r"uploading it as a release asset instead", warning)
    assert not [f for f in tree(blog) if f.endswith(".mp4")]
    assert f'src="{published.video_url}"' in video_block(
        git("--git-dir", str(blog), "show", f"main:{published.post_path}"))
    [asset] = github.repos["acme/tool"].releases[0]["assets"]
    assert asset["size"] > 100_000
