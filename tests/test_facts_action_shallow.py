"""The Action in the checkout most workflows have (``actions/checkout`` with its default
``fetch-depth: 1``: one commit, only the release's tag), run the way the runner runs it, the
blog a bare repository: the post's numbers equal those of a full clone, or are absent with a
``::warning::``; never "1 commit, N files" for the whole tree."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from action_runner import ActionEnv, bare_repo, git, release_event
from githubapi_server import FakeGitHub
from test_facts_git import ADA, LINUS, Repo

from pipeline.facts import collect_facts

TOKEN = "ghs_SHALLOW0123456789abcdefghijklmnopqrst"
REPOSITORY = "Codertocat/Hello-World"


@pytest.fixture
def origin(tmp_path: Path) -> tuple[Path, Repo]:
    """The project's remote: four commits, v1.0.0, two commits touching two files, v1.1.0."""
    source = Repo(tmp_path / "source")
    source.commit("start", {"README.md": "project\n"})
    source.commit("license", {"LICENSE": "MIT\n"})
    source.commit("ci", {"ci.yml": "on: push\n"})
    source.commit("first", {f"f{i}.txt": f"{i}\n" for i in range(6)})
    source.tag("v1.0.0")
    source.commit("fix: the first thing", {"f1.txt": "one\n"}, author=LINUS)
    source.commit("feat: the second thing", {"f2.txt": "two\n"}, author=ADA)
    source.tag("v1.1.0")
    remote = bare_repo(tmp_path / "origin.git")
    source.git("push", "-q", str(remote), "main", "--tags")
    return remote, source


def checkout_depth_1(workspace: Path, remote_url: str) -> None:
    """What actions/checkout@v4 does for a release event with its defaults."""
    git("init", "-q", cwd=workspace)
    git("remote", "add", "origin", remote_url, cwd=workspace)
    git("-c", "protocol.version=2", "fetch", "-q", "--no-tags", "--depth=1", "origin",
        "+refs/tags/v1.1.0:refs/tags/v1.1.0", cwd=workspace)
    git("checkout", "-q", "--detach", "v1.1.0", cwd=workspace)
    assert git("rev-parse", "--is-shallow-repository", cwd=workspace) == "true"


def numbers(post: str) -> dict[str, int]:
    found = {}
    for key, pattern in (("commits", r"- \*\*(\d+)\*\* commits? since "),
                         ("files", r"\*\*(\d+)\*\* files? changed"),
                         ("insertions", r"\*\*(\d+)\*\* lines? added")):
        match = re.search(pattern, post)
        if match:
            found[key] = int(match[1])
    return found


def publish(tmp_path: Path, remote: Path, *, reachable: bool = True, token: str = "",
            extra_env: dict[str, str] | None = None):
    runner = ActionEnv(tmp_path / "runner", repository=REPOSITORY)
    checkout_depth_1(runner.workspace, f"file://{remote}")
    if not reachable:  # e.g. `persist-credentials: false` with a private repository
        git("remote", "set-url", "origin", "file:///nonexistent/origin.git",
            cwd=runner.workspace)
    blog = bare_repo(tmp_path / "blog.git", seed={"_config.yml": "title: Blog\n"})
    inputs = {"blog-remote-url": f"file://{blog}"}
    if token:
        inputs["github-token"] = token
    run = runner.run(release_event(tag="v1.1.0", body="", repository=REPOSITORY),
                     inputs=inputs, extra_env={"RELEASECAST_REMOTE_ATTEMPTS": "2",
                                               **(extra_env or {})})
    assert run.returncode == 0, run.log
    post = git("--git-dir", str(blog), "show", f"main:{run.kept('post-path')}")
    return run, post


def facts_warnings(run) -> list[str]:
    """The warnings about history and counting (other stages may warn about other things)."""
    return [w for w in run.commands("warning") if "count" in w or "history" in w]


def full_clone_numbers(source: Repo) -> dict[str, int]:
    facts = collect_facts(repo=source.path, tag="v1.1.0")
    return {"commits": len(facts.commits), "files": facts.diffstat.files,
            "insertions": facts.diffstat.insertions}


def test_a_depth_1_checkout_is_deepened_and_counted_like_a_full_clone(origin, tmp_path):
    remote, source = origin
    run, post = publish(tmp_path, remote)
    # Deepened to the previous release, not the whole history: still shallow, counted right.
    workspace = tmp_path / "runner" / "workspace"
    assert git("rev-parse", "--is-shallow-repository", cwd=workspace) == "true"
    fetched = int(git("rev-list", "--count", "HEAD", cwd=workspace))
    assert fetched < int(git("--git-dir", str(remote), "rev-list", "--count", "v1.1.0")) == 6
    assert numbers(post) == full_clone_numbers(source) == {"commits": 2, "files": 2,
                                                          "insertions": 2}
    assert facts_warnings(run) == []


def test_without_origin_the_compare_api_counts_it(origin, tmp_path):
    remote, source = origin
    with FakeGitHub(tmp_path / "github", token=TOKEN) as github:
        bare = github.add_repo(REPOSITORY)
        source.git("push", "-q", str(bare), "main", "--tags")
        run, post = publish(tmp_path, remote, reachable=False, token=TOKEN,
                            extra_env={"GITHUB_API_URL": github.api_url,
                                       "GITHUB_SERVER_URL": github.url})
    assert numbers(post) == full_clone_numbers(source)
    [warning] = facts_warnings(run)
    assert "could not fetch the history for v1.1.0" in warning
    assert "does not appear to be a git repository" in warning
    assert TOKEN not in run.log.replace(f"::add-mask::{TOKEN}", "")


def test_with_no_way_to_count_the_numbers_are_left_out_with_a_warning(origin, tmp_path):
    run, post = publish(tmp_path, origin[0], reachable=False)
    assert numbers(post) == {} and "By the numbers" not in post
    warnings = facts_warnings(run)
    assert any("not counted" in w for w in warnings), warnings
    assert "- **1** commit" not in post and "- **1** commits" not in post
