"""The Action as a maintainer meets it, run the way the runner runs it: a dry run leaves its
files to review, a mistyped site path fails and pushes nothing, every failure says so in
`result` and the summary, an unchanged re-run renders nothing, the release links its post once,
pull-request re-runs report the branch's real commit, and the site can be asked to rebuild."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from action_runner import (
    NO_REEL_CONFIG,
    SHORT_REEL_CONFIG,
    ActionEnv,
    ActionRun,
    bare_repo,
    commit_count,
    git,
    release_event,
    tree,
)
from githubapi_server import FakeGitHub

from pipeline.fingerprint import FRONT_MATTER_KEY
from pipeline.release_link import START

TOKEN = "ghs_OUTPUTSTOKEN0123456789"
SITE = {"_config.yml": 'title: Acme\nurl: "https://blog.example.org"\n',
        "_layouts/post.html": "<article>{{ content }}</article>\n"}
POST = "_posts/2024-05-01-hello-world-v1-2-0.md"


def stage_names(run: ActionRun) -> list[str]:
    table = run.summary.split("<summary>Stage timings</summary>")[1]
    return re.findall(r"^\| (\w+) \| [\d.]+ \|$", table, re.M)


@pytest.fixture
def blog(tmp_path: Path) -> Path:
    return bare_repo(tmp_path / "blog.git", seed=SITE)


def test_a_dry_run_leaves_every_file_in_output_dir(tmp_path: Path, blog: Path) -> None:
    runner = ActionEnv(tmp_path / "runner", config=SHORT_REEL_CONFIG)
    before = git("--git-dir", str(blog), "rev-parse", "main")
    run = runner.run(release_event(), inputs={"blog-remote-url": f"file://{blog}",
                                              "dry-run": "true", "output-dir": "review"})
    assert run.returncode == 0, run.log
    assert git("--git-dir", str(blog), "rev-parse", "main") == before
    out = run.outputs
    assert out["result"] == "dry-run" and out["output-dir"] == "review"
    kept = runner.workspace / "review"
    assert out["post-path"] == f"review/{POST}"
    assert (runner.workspace / out["post-path"]).is_file()  # as a later step sees it
    assets = kept / "assets/releasecast/hello-world-v1-2-0"
    names = {p.name for p in assets.iterdir()}
    assert {"cover.png", "social-card.png", "slide-01.png", "reel.mp4", "reel.en.vtt",
            "reel.en.srt"} <= names
    assert out["video-path"] == "review/assets/releasecast/hello-world-v1-2-0/reel.mp4"
    assert all((runner.workspace / p).is_file() for p in out["image-paths"].split("\n"))
    assert "`review`" in run.summary and "actions/upload-artifact" in run.summary


def test_the_default_output_dir_is_under_runner_temp(tmp_path: Path, blog: Path) -> None:
    runner = ActionEnv(tmp_path / "runner")
    run = runner.run(release_event(), inputs={"blog-remote-url": f"file://{blog}",
                                              "dry-run": "true"})
    assert run.returncode == 0, run.log
    assert run.outputs["output-dir"] == str(tmp_path / "runner/runner-temp/releasecast")
    assert Path(run.outputs["post-path"]).is_file()


def test_a_mistyped_site_path_fails_and_pushes_nothing(tmp_path: Path, blog: Path) -> None:
    runner = ActionEnv(tmp_path / "runner")
    before = tree(blog)
    run = runner.run(release_event(), inputs={"blog-remote-url": f"file://{blog}",
                                              "site-path": "nonexistent"})
    assert run.returncode == 2
    assert tree(blog) == before and commit_count(blog) == 1
    [error] = run.commands("error")
    assert error == ("input 'site-path': 'nonexistent' in Codertocat/Hello-World is not a "
                     "Jekyll site (no nonexistent/_config.yml): fix the path, commit a site "
                     "there first (`jekyll new --blank nonexistent`), or set input "
                     "'create-site' to true to start a blank one")
    assert "Traceback" not in run.log
    assert run.outputs == {"result": "failed"}
    assert "### releasecast: failed" in run.summary
    assert f"**What failed**: {error}" in run.summary
    assert "**What to do**: fix the input or setting named above" in run.summary


def test_create_site_starts_a_blank_site_and_commits_it(tmp_path: Path) -> None:
    blog = bare_repo(tmp_path / "empty.git")
    runner = ActionEnv(tmp_path / "runner")
    run = runner.run(release_event(), inputs={"blog-remote-url": f"file://{blog}",
                                              "site-path": "docs", "create-site": "true"})
    assert run.returncode == 0, run.log
    files = tree(blog)
    assert {"docs/_config.yml", "docs/_layouts/post.html", f"docs/{POST}"} <= set(files)
    assert "started a blank Jekyll site in 'docs'" in run.summary


def test_a_site_without_a_post_layout_is_a_warning_in_the_summary(tmp_path: Path) -> None:
    blog = bare_repo(tmp_path / "bare-site.git", seed={"_config.yml": "title: Bare\n"})
    runner = ActionEnv(tmp_path / "runner")
    run = runner.run(release_event(), inputs={"blog-remote-url": f"file://{blog}"})
    assert run.returncode == 0, run.log
    [warning] = run.commands("warning")
    assert warning.startswith("the site has no `post` layout (_layouts/post.html) and no "
                              "theme")
    assert f"**Warnings**\n\n- {warning}" in run.summary


def test_a_failure_after_planning_writes_result_failed(tmp_path: Path, blog: Path) -> None:
    runner = ActionEnv(tmp_path / "runner", config="reel:\n  max_duration: 600\n")
    run = runner.run(release_event(), inputs={"blog-remote-url": f"file://{blog}"})
    assert run.returncode == 2 and run.outputs["result"] == "failed"
    assert "reel.max_duration" in run.summary
    assert "**What to do**: fix the configuration file named above" in run.summary


def test_an_unchanged_rerun_renders_nothing(tmp_path: Path, blog: Path) -> None:
    runner = ActionEnv(tmp_path / "runner", config=SHORT_REEL_CONFIG)
    inputs = {"blog-remote-url": f"file://{blog}"}
    first = runner.run(release_event(), inputs=inputs)
    assert first.returncode == 0, first.log
    assert first.outputs["result"] == "published" and "reel" in stage_names(first)
    reel = "assets/releasecast/hello-world-v1-2-0/reel.mp4"
    blob = git("--git-dir", str(blog), "rev-parse", f"main:{reel}")
    post = git("--git-dir", str(blog), "show", f"main:{POST}")
    assert re.search(rf"^{FRONT_MATTER_KEY}: sha256:[0-9a-f]{{64}}$", post, re.M)

    again = runner.run(release_event(), inputs=inputs)
    assert again.returncode == 0, again.log
    assert again.outputs["result"] == "unchanged"
    assert stage_names(again) == ["clone", "check"]  # no story, art, voice, reel or site
    assert "**Unchanged**" in again.summary and "reel (1080x1920" not in again.log
    assert commit_count(blog) == 2
    assert git("--git-dir", str(blog), "rev-parse", f"main:{reel}") == blob
    assert again.outputs["commit-sha"] == git("--git-dir", str(blog), "rev-parse", "main")
    assert again.kept("post-path") == POST and again.kept("video-path") == reel
    assert Path(again.outputs["video-path"]).read_bytes() == \
        Path(first.outputs["video-path"]).read_bytes()

    # Any input that changes the post renders it again: here, the notes.
    edited = runner.run(release_event(action="edited", body="* feat: a new sentence\n"),
                        inputs=inputs)
    assert edited.returncode == 0, edited.log
    assert edited.outputs["result"] == "published" and "reel" in stage_names(edited)


@pytest.fixture
def github(tmp_path: Path):
    with FakeGitHub(tmp_path / "github", token=TOKEN) as server:
        server.add_repo("acme/tool")
        server.add_repo("acme/blog", pages_branch="main")
        server.add_release("acme/tool", "v1.0.0", body="* feat: a thing (#3)\n\nThanks!\n")
        yield server


def seed_github_blog(github: FakeGitHub) -> None:
    from action_runner import seed_branch

    seed_branch(github.repos["acme/blog"].bare, "main", SITE)


def github_run(runner: ActionEnv, github: FakeGitHub, event: dict, **inputs: str) -> ActionRun:
    run = runner.run(event, inputs={"github-token": TOKEN, "blog-repository": "acme/blog",
                                    **inputs},
                     extra_env={"GITHUB_SERVER_URL": github.url,
                                "GITHUB_API_URL": github.api_url})
    assert isinstance(run, ActionRun)
    return run


def test_the_release_links_its_post_once_and_in_place(tmp_path: Path,
                                                      github: FakeGitHub) -> None:
    seed_github_blog(github)
    runner = ActionEnv(tmp_path / "runner", repository="acme/tool")
    release = github.repos["acme/tool"].releases[0]
    run = github_run(runner, github, github.event_for("acme/tool", "v1.0.0"),
                     **{"release-link": "true"})
    assert run.returncode == 0, run.log
    body = release["body"]
    assert body.startswith("* feat: a thing (#3)\n\nThanks!") and body.count(START) == 1
    assert f"[read it]({run.outputs['post-url']})" in body
    assert run.outputs["post-url"].startswith("https://blog.example.org/")
    assert "| Release | its notes now link the post |" in run.summary

    # The author edits the notes; the re-run rebuilds the post from them without the link
    # line, and updates the line in place.
    release["body"] = body.replace("Thanks!", "Thanks, everyone!")
    edited = github_run(runner, github, github.event_for("acme/tool", "v1.0.0", "edited"),
                        **{"release-link": "true"})
    assert edited.returncode == 0, edited.log
    assert release["body"].count(START) == 1 and "Thanks, everyone!" in release["body"]
    post = git("--git-dir", str(github.repos["acme/blog"].bare), "show",
               f"main:{edited.kept('post-path')}")
    assert "releasecast:links" not in post and "read it" not in post
    patches = [r for r in github.requests if r[0] == "PATCH"]

    # Nothing changed: the body is not written again.
    again = github_run(runner, github, github.event_for("acme/tool", "v1.0.0", "edited"),
                       **{"release-link": "true"})
    assert again.returncode == 0, again.log
    assert again.outputs["result"] == "unchanged"
    assert [r for r in github.requests if r[0] == "PATCH"] == patches


def test_pages_build_and_workflow_are_requested_after_a_push(tmp_path: Path,
                                                             github: FakeGitHub) -> None:
    seed_github_blog(github)
    runner = ActionEnv(tmp_path / "runner", repository="acme/tool")
    run = github_run(runner, github, github.event_for("acme/tool", "v1.0.0"),
                     **{"request-pages-build": "true", "pages-workflow": "pages.yml"})
    assert run.returncode == 0, run.log
    blog = github.repos["acme/blog"]
    assert blog.pages_builds == 1
    assert blog.dispatches == [{"workflow": "pages.yml", "ref": "main"}]
    again = github_run(runner, github, github.event_for("acme/tool", "v1.0.0"),
                       **{"request-pages-build": "true", "pages-workflow": "pages.yml"})
    assert again.outputs["result"] == "unchanged"
    assert blog.pages_builds == 1 and len(blog.dispatches) == 1  # nothing new to build


def test_pull_request_mode_rerun_reports_the_branch_commit(tmp_path: Path,
                                                          github: FakeGitHub) -> None:
    seed_github_blog(github)
    runner = ActionEnv(tmp_path / "runner", repository="acme/tool", config=NO_REEL_CONFIG)
    bare = github.repos["acme/blog"].bare
    first = github_run(runner, github, github.event_for("acme/tool", "v1.0.0"),
                       **{"publish-mode": "pull-request", "blog-branch": "main"})
    assert first.returncode == 0, first.log
    head = git("--git-dir", str(bare), "rev-parse", "releasecast/tool-v1-0-0")
    assert first.outputs["commit-sha"] == head

    again = github_run(runner, github, github.event_for("acme/tool", "v1.0.0"),
                       **{"publish-mode": "pull-request", "blog-branch": "main"})
    assert again.returncode == 0, again.log
    assert again.outputs["result"] == "pull-request"
    assert again.outputs["pull-request-url"] == first.outputs["pull-request-url"]
    assert git("--git-dir", str(bare), "rev-parse", "releasecast/tool-v1-0-0") == head
    assert again.outputs["commit-sha"] == head  # a commit that exists on the remote
    assert "on `releasecast/tool-v1-0-0`" in again.summary
    assert "on `main`" not in again.summary
