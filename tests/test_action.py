"""The Action's entrypoint, run as the runner runs it, publishing to real bare Git repositories.

Every test starts ``releasecast action`` in a subprocess with INPUT_*/GITHUB_* variables and an
event file made from GitHub's sample payloads, then checks the pushed commit, the outputs file,
the step summary and the workflow commands it printed. The reel is turned off here (config
``reel.enabled: false``); tests/test_action_video.py covers the video storage modes.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from action_runner import (
    FIXTURES,
    ActionEnv,
    ActionRun,
    bare_repo,
    commit_count,
    git,
    release_event,
    tree,
)
from githubapi_server import FakeGitHub

BLOG_CONFIG = ('title: Acme releases\nurl: "https://blog.example.org"\nbaseurl: "/news"\n'
               "theme: minima\n")


@pytest.fixture
def blog(tmp_path: Path) -> Path:
    return bare_repo(tmp_path / "blog.git", seed={"_config.yml": BLOG_CONFIG,
                                                  "index.md": "# Acme\n"})


@pytest.fixture
def runner(tmp_path: Path) -> ActionEnv:
    return ActionEnv(tmp_path / "runner")


def blog_inputs(blog: Path, **extra: str) -> dict[str, str]:
    return {"blog-remote-url": f"file://{blog}", "github-token": "ghs_TESTTOKEN0123456789",
            **extra}


def test_published_release_lands_on_the_blog(runner: ActionEnv, blog: Path) -> None:
    before = git("--git-dir", str(blog), "rev-parse", "main")
    run = runner.run(release_event(tag="v1.2.0"), inputs=blog_inputs(blog))
    assert run.returncode == 0, run.log

    files = tree(blog)
    post = "_posts/2024-05-01-hello-world-v1-2-0.md"
    assert post in files and "_config.yml" in files and "index.md" in files
    assets = [f for f in files if f.startswith("assets/releasecast/hello-world-v1-2-0/")]
    assert {"cover.png", "social-card.png"} <= {Path(f).name for f in assets}
    text = git("--git-dir", str(blog), "show", f"main:{post}")
    assert "sparkly v1.2.0 dashboard" in text
    assert "render_with_liquid: false" in text

    # One new commit, by the Actions bot, on top of the blog's history.
    assert git("--git-dir", str(blog), "rev-parse", "main~1") == before
    author = git("--git-dir", str(blog), "log", "-1", "--format=%an <%ae>|%cn|%s", "main")
    assert author == ("github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>"
                      "|github-actions[bot]|Add release post for Codertocat/Hello-World v1.2.0")

    out = run.outputs
    assert out["result"] == "published"
    assert run.kept("post-path") == post and Path(out["post-path"]).is_file()
    assert out["post-url"] == "https://blog.example.org/news/2024/05/01/hello-world-v1-2-0.html"
    assert out["commit-sha"] == git("--git-dir", str(blog), "rev-parse", "main")
    images = run.kept_all("image-paths")
    assert len(images) >= 3 and all(path in files for path in images)
    assert out["video-path"] == "" and out["pull-request-url"] == ""

    assert "### releasecast: Codertocat/Hello-World v1.2.0" in run.summary
    assert f"`{post}`" in run.summary and out["commit-sha"][:7] in run.summary
    assert "| Stage | Seconds |" in run.summary and "| story |" in run.summary
    assert "| **total** |" in run.summary
    assert run.commands("notice") == [f"releasecast: published {post} ({out['commit-sha'][:7]})"]

    # The token is masked before anything else is printed, and never printed again.
    token = blog_inputs(blog)["github-token"]
    assert run.stdout.splitlines()[0] == f"::add-mask::{token}"
    rest = "\n".join(run.stdout.splitlines()[2:]) + run.stderr + run.summary + json.dumps(out)
    assert token not in rest


def test_rerun_makes_no_commit_and_an_edit_updates_the_post(runner: ActionEnv, blog: Path) -> None:
    first = runner.run(release_event(tag="v1.2.0"), inputs=blog_inputs(blog))
    assert first.returncode == 0, first.log
    count = commit_count(blog)

    again = runner.run(release_event(tag="v1.2.0", action="edited"), inputs=blog_inputs(blog))
    assert again.returncode == 0, again.log
    assert commit_count(blog) == count
    assert again.outputs["result"] == "unchanged"
    assert again.outputs["commit-sha"] == first.outputs["commit-sha"]
    assert again.outputs["post-path"] == first.outputs["post-path"]
    assert "already had these files" in again.summary

    # Edited notes update the same post, in a commit that says so.
    edited = release_event(tag="v1.2.0", action="edited",
                           body="* feat: a feature the first notes forgot\n")
    run = runner.run(edited, inputs=blog_inputs(blog))
    assert run.returncode == 0, run.log
    posts = [f for f in tree(blog) if f.startswith("_posts/")]
    assert posts == ["_posts/2024-05-01-hello-world-v1-2-0.md"]
    assert "forgot" in git("--git-dir", str(blog), "show", f"main:{posts[0]}")
    assert git("--git-dir", str(blog), "log", "-1", "--format=%s", "main").startswith("Update ")
    assert commit_count(blog) == count + 1


def test_site_path_and_branch_that_does_not_exist_yet(runner: ActionEnv, blog: Path) -> None:
    # No token: with one, create-site asks api.github.com where Pages serves the site (the
    # address is not what this test is about; the tests below cover it against a local
    # GitHub): offline that lookup retried for 3 s, online it sent the fake token to GitHub.
    run = runner.run(release_event(), inputs={"blog-remote-url": f"file://{blog}",
                                              "site-path": "docs", "blog-branch": "gh-pages",
                                              "create-site": "true"})
    assert run.returncode == 0, run.log
    files = tree(blog, "gh-pages")
    assert "docs/_posts/2024-05-01-hello-world-v1-2-0.md" in files
    assert run.kept("post-path") == "docs/_posts/2024-05-01-hello-world-v1-2-0.md"
    assert all(p.startswith("docs/assets/") for p in run.kept_all("image-paths"))
    assert "_config.yml" not in files  # a new branch starts empty, without main's files


def test_dry_run_pushes_nothing(runner: ActionEnv, blog: Path) -> None:
    before = git("--git-dir", str(blog), "rev-parse", "main")
    run = runner.run(release_event(), inputs=blog_inputs(blog, **{"dry-run": "true"}))
    assert run.returncode == 0, run.log
    assert git("--git-dir", str(blog), "rev-parse", "main") == before
    assert run.outputs["result"] == "dry-run" and run.outputs["commit-sha"] == ""
    assert run.kept("post-path") == "_posts/2024-05-01-hello-world-v1-2-0.md"
    assert "**Dry run**" in run.summary


@pytest.mark.parametrize(("event", "reason"), [
    (release_event(draft=True), "is a draft"),
    (release_event(prerelease=True, tag="v2.0.0-rc.1"), "is a prerelease"),
    (release_event(action="deleted"), "release event 'deleted' is not one"),
    (release_event(action="unpublished"), "release event 'unpublished' is not one"),
])
def test_releases_that_are_not_published_are_skipped(runner: ActionEnv, blog: Path,
                                                     event: dict, reason: str) -> None:
    before = git("--git-dir", str(blog), "rev-parse", "main")
    run = runner.run(event, inputs=blog_inputs(blog))
    assert run.returncode == 0, run.log
    assert git("--git-dir", str(blog), "rev-parse", "main") == before
    assert run.outputs == {"result": "skipped"}
    [notice] = run.commands("notice")
    assert reason in notice
    assert "Skipped:" in run.summary


def test_prereleases_are_published_when_asked(runner: ActionEnv, blog: Path) -> None:
    event = release_event(prerelease=True, tag="v2.0.0-rc.1")
    run = runner.run(event, inputs=blog_inputs(blog, **{"include-prereleases": "true"}))
    assert run.returncode == 0, run.log
    assert "_posts/2024-05-01-hello-world-v2-0-0-rc-1.md" in tree(blog)


def test_unhandled_event_exits_zero_with_a_notice(runner: ActionEnv, blog: Path) -> None:
    push = json.loads((FIXTURES / "push/payload.json").read_text())
    run = runner.run(push, event_name="push", inputs=blog_inputs(blog))
    assert run.returncode == 0, run.log
    [notice] = run.commands("notice")
    assert "event 'push' is not handled" in notice
    assert run.outputs == {"result": "skipped"}


@pytest.mark.parametrize("problem", ["missing", "directory", "not-json", "unset"])
def test_missing_or_unreadable_event_file_is_a_clear_error(runner: ActionEnv, blog: Path,
                                                           tmp_path: Path, problem: str) -> None:
    path = tmp_path / "event.json"
    if problem == "directory":
        path.mkdir()
    elif problem == "not-json":
        path.write_text("{ this is not json")
    run = runner.run(None, event_path=None if problem == "unset" else path,
                     inputs=blog_inputs(blog))
    assert run.returncode == 2, run.log
    [error] = run.commands("error")
    assert ("GITHUB_EVENT_PATH" if problem == "unset" else "event file") in error
    assert "Traceback" not in run.stderr
    assert run.stderr.strip().splitlines()[-1].startswith("releasecast: error: ")


def test_bad_input_value_is_named(runner: ActionEnv, blog: Path) -> None:
    run = runner.run(release_event(), inputs=blog_inputs(blog, **{"video-storage": "s3"}))
    assert run.returncode == 2
    [error] = run.commands("error")
    assert "input 'video-storage'" in error and "'s3'" in error


def test_push_refused_by_the_remote_is_a_clear_error(runner: ActionEnv, blog: Path) -> None:
    hook = blog / "hooks/pre-receive"
    hook.write_text("#!/bin/sh\necho 'main is protected: changes must go through a pull request'"
                    " >&2\nexit 1\n")
    hook.chmod(0o755)
    before = git("--git-dir", str(blog), "rev-parse", "main")
    run = runner.run(release_event(), inputs=blog_inputs(blog))
    assert run.returncode == 4, run.log
    [error] = run.commands("error")
    assert "was refused" in error and "main is protected" in error
    assert git("--git-dir", str(blog), "rev-parse", "main") == before
    assert "Traceback" not in run.stderr


def test_workspace_owned_by_another_user_is_trusted(runner: ActionEnv, blog: Path) -> None:
    """The runner's user owns the checkout; the container runs as root: without
    safe.directory, git refuses the repository and the post would lose its commit facts."""
    ws = runner.workspace
    git("init", "-q", "-b", "main", cwd=ws)
    for i, subject in enumerate(["feat: first thing", "fix: second thing", "feat: third"]):
        (ws / f"f{i}.txt").write_text(subject)
        git("add", "-A", cwd=ws)
        git("-c", "user.name=Octo Cat", "-c", "user.email=octo@example.com", "commit", "-q",
            "-m", subject, cwd=ws)
    git("tag", "v1.2.0", cwd=ws)
    if os.geteuid() == 0:
        subprocess.run(["chown", "-R", "4242:4242", str(ws)], check=True)
        refused = subprocess.run(["git", "-C", str(ws), "status"], capture_output=True,
                                 text=True, env={**os.environ, "HOME": str(runner.home)})
        assert "dubious ownership" in refused.stderr
    run = runner.run(release_event(tag="v1.2.0", body=""), inputs=blog_inputs(blog))
    assert run.returncode == 0, run.log
    assert run.commands("warning") == []
    post = git("--git-dir", str(blog), "show", f"main:{run.kept('post-path')}")
    assert "- **3** commits" in post
    assert "third" in post


def test_two_releases_racing_to_push_both_land(runner: ActionEnv, blog: Path,
                                               tmp_path: Path) -> None:
    """A pre-receive hook holds each push until both have arrived, so both were built from
    the same tip: one wins, the other must fetch, rebase and push again."""
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    hook = blog / "hooks/pre-receive"
    hook.write_text(
        "#!/bin/sh\n"
        f': > "{barrier}/$$"\n'
        "i=0\n"
        f'while [ "$(ls "{barrier}" | wc -l)" -lt 2 ] && [ $i -lt 300 ]; do '
        "sleep 0.1; i=$((i+1)); done\n"
        "exit 0\n")
    hook.chmod(0o755)
    started = [runner.run(release_event(tag=tag), inputs=blog_inputs(blog), start_only=True)
               for tag in ("v3.0.0", "v3.1.0")]
    runs = [ActionEnv.finish(proc, step) for proc, step in started]
    assert [r.returncode for r in runs] == [0, 0], [r.log for r in runs]
    files = tree(blog)
    assert "_posts/2024-05-01-hello-world-v3-0-0.md" in files
    assert "_posts/2024-05-01-hello-world-v3-1-0.md" in files
    retried = [r for r in runs if any("push rejected" in w for w in r.commands("warning"))]
    assert len(retried) == 1
    assert commit_count(blog) == 3  # the seed and one commit per release, linear
    assert git("--git-dir", str(blog), "rev-list", "--merges", "main") == ""
    assert {r.outputs["commit-sha"] for r in runs} <= set(
        git("--git-dir", str(blog), "rev-list", "main").splitlines())


@pytest.mark.parametrize(("fixture", "result"), [
    ("released.json", "dry-run"),
    ("created.with-installation.payload.json", "dry-run"),
    ("edited.payload.json", "dry-run"),
    ("prereleased.payload.json", "skipped"),
    ("deleted.payload.json", "skipped"),
])
def test_github_sample_payloads_as_delivered(runner: ActionEnv, blog: Path, fixture: str,
                                             result: str) -> None:
    event = json.loads((FIXTURES / "release" / fixture).read_text())
    run = runner.run(event, inputs=blog_inputs(blog, **{"dry-run": "true"}))
    assert run.returncode == 0, run.log
    assert run.outputs["result"] == result
    if result == "dry-run":
        assert run.kept("post-path") == "_posts/2019-05-15-hello-world-0-0-1.md"


# --- create-site: the new site's address ----------------------------------------------------

@pytest.mark.parametrize(("blog_repository", "url", "baseurl"), [
    ("", "https://codertocat.github.io", "/Hello-World"),  # the released repository
    ("Codertocat/Codertocat.github.io", "https://codertocat.github.io", ""),  # a user site
])
def test_create_site_on_github_com_writes_the_pages_address(
        tmp_path: Path, blog_repository: str, url: str, baseurl: str) -> None:
    blog = bare_repo(tmp_path / "empty.git")
    runner = ActionEnv(tmp_path / "runner")  # GITHUB_SERVER_URL unset: github.com
    run = runner.run(release_event(), inputs={"blog-remote-url": f"file://{blog}",
                                              "blog-repository": blog_repository,
                                              "create-site": "true"})
    assert run.returncode == 0, run.log
    settings = yaml.safe_load(git("--git-dir", str(blog), "show", "main:_config.yml"))
    assert (settings["url"], settings["baseurl"]) == (url, baseurl)
    assert run.outputs["post-url"] == f"{url}{baseurl}/2024/05/01/hello-world-v1-2-0.html"
    post = git("--git-dir", str(blog), "show", "main:_posts/2024-05-01-hello-world-v1-2-0.md")
    assert f"image: {baseurl}/assets/releasecast/hello-world-v1-2-0/social-card.png" in post
    [note] = [w for w in run.commands("warning") if w.startswith("started a blank")]
    assert f"served at {url}{baseurl}/ (GitHub Pages' address for a " in note


GITHUB_TOKEN = "ghs_CREATESITETOKEN0123456789"


@pytest.fixture
def github(tmp_path: Path) -> Iterator[FakeGitHub]:
    with FakeGitHub(tmp_path / "github", token=GITHUB_TOKEN) as server:
        server.add_repo("acme/tool")
        server.add_repo("acme/blog", pages_branch="main")
        server.add_repo("acme/unpaged")  # no Pages site, on a server that is not github.com
        server.add_release("acme/tool", "v1.0.0", body="* feat: a thing (#3)\n")
        yield server


def _create_site(tmp_path: Path, github: FakeGitHub, *, blog: str) -> tuple[ActionRun, dict]:
    """A release of acme/tool published with create-site and release-link into ``blog``: the
    run, and the _config.yml it committed."""
    runner = ActionEnv(tmp_path / "runner", repository="acme/tool")
    run = runner.run(github.event_for("acme/tool", "v1.0.0"),
                     inputs={"github-token": GITHUB_TOKEN, "blog-repository": blog,
                             "create-site": "true", "release-link": "true"},
                     extra_env={"GITHUB_SERVER_URL": github.url,
                                "GITHUB_API_URL": github.api_url})
    assert run.returncode == 0, run.log
    bare = github.repos[blog].bare
    return run, yaml.safe_load(git("--git-dir", str(bare), "show", "main:_config.yml"))


def test_create_site_writes_the_address_github_pages_gives(tmp_path: Path,
                                                           github: FakeGitHub) -> None:
    """The Pages API's html_url, on a server whose Pages addresses are not github.io's: the
    post, its front matter and the release's link all point at the real pages."""
    run, settings = _create_site(tmp_path, github, blog="acme/blog")
    assert (settings["url"], settings["baseurl"]) == ("https://acme.github.io", "/blog")
    post_url = "https://acme.github.io/blog/2024/05/01/tool-v1-0-0.html"
    assert run.outputs["post-url"] == post_url
    assert f"[read it]({post_url})" in github.repos["acme/tool"].releases[0]["body"]
    assert "(GitHub Pages' settings)" in run.summary


def test_create_site_where_the_address_is_unknown_keeps_the_placeholder_and_says_so(
        tmp_path: Path, github: FakeGitHub) -> None:
    run, settings = _create_site(tmp_path, github, blog="acme/unpaged")
    assert settings["url"] == "https://example.invalid"
    warnings = run.commands("warning")
    assert any("with a placeholder `url`: GitHub did not say where acme/unpaged is served; "
               "set `url` and `baseurl`" in w for w in warnings), warnings
    # Nothing links to the placeholder: the release's notes are left alone.
    assert github.repos["acme/tool"].releases[0]["body"] == "* feat: a thing (#3)\n"
    assert not [r for r in github.requests if r[0] == "PATCH"]
    assert any(w.startswith("release link: the site's _config.yml sets no `url` (or a "
                            "placeholder)") for w in warnings), warnings
