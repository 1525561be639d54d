"""The Action against a local GitHub: Git over smart HTTP with the token, and the REST API
through PyGithub (Pages branch, manual runs, pull requests). See tests/githubapi_server.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from action_runner import ActionEnv, commit_count, git, release_event, seed_branch, tree
from githubapi_server import FakeGitHub

TOKEN = "ghs_fakeInstallationToken42"


@pytest.fixture
def github(tmp_path: Path):
    with FakeGitHub(tmp_path / "github", token=TOKEN) as server:
        server.add_repo("acme/blog", pages_branch="gh-pages")
        server.add_repo("acme/tool", description="A tool")
        server.add_release("acme/tool", "v0.9.0", name="Old times",
                           body="* feat: the thing we shipped long ago\n")
        yield server


@pytest.fixture
def runner(tmp_path: Path) -> ActionEnv:
    return ActionEnv(tmp_path / "runner", repository="acme/tool")


def github_env(github: FakeGitHub) -> dict[str, str]:
    return {"GITHUB_SERVER_URL": github.url, "GITHUB_API_URL": github.api_url}


def test_pushes_over_http_with_the_token_to_the_pages_branch(runner: ActionEnv,
                                                             github: FakeGitHub) -> None:
    event = release_event(tag="v1.0.0", repository="acme/tool", server_url=github.url)
    run = runner.run(event, inputs={"github-token": TOKEN, "blog-repository": "acme/blog",
                                    "create-site": "true"},
                     extra_env=github_env(github))
    assert run.returncode == 0, run.log
    bare = github.repos["acme/blog"].bare
    assert "_posts/2024-05-01-tool-v1-0-0.md" in tree(bare, "gh-pages")
    assert ("GET", "/api/v3/repos/acme/blog/pages") in github.requests
    assert ("POST", "/acme/blog.git/git-receive-pack") in github.requests
    assert run.outputs["commit-sha"] == git("--git-dir", str(bare), "rev-parse", "gh-pages")
    assert f"{github.url}/acme/blog/commit/{run.outputs['commit-sha']}" in run.summary


def test_token_the_remote_rejects_fails_clearly_and_pushes_nothing(runner: ActionEnv,
                                                                   github: FakeGitHub) -> None:
    wrong = "ghs_revokedTokenXYZ"
    event = release_event(tag="v1.0.0", repository="acme/tool", server_url=github.url)
    run = runner.run(event, inputs={"github-token": wrong, "blog-repository": "acme/blog"},
                     extra_env=github_env(github))
    assert run.returncode == 4, run.log
    [error] = run.commands("error")
    assert "token was rejected" in error
    assert "Traceback" not in run.stderr
    assert commit_count(github.repos["acme/blog"].bare, "gh-pages") == 0
    assert git("--git-dir", str(github.repos["acme/blog"].bare), "for-each-ref") == ""
    lines = run.stdout.splitlines()
    assert lines[0] == f"::add-mask::{wrong}"
    assert wrong not in "\n".join(lines[2:]) + run.stderr + run.summary


def test_workflow_dispatch_regenerates_a_past_release(runner: ActionEnv,
                                                      github: FakeGitHub) -> None:
    event = {"inputs": {"tag": "v0.9.0"}, "ref": "refs/heads/main",
             "repository": github.repos["acme/tool"].meta, "sender": {"login": "octocat"},
             "workflow": ".github/workflows/release.yml"}
    run = runner.run(event, event_name="workflow_dispatch",
                     inputs={"github-token": TOKEN, "blog-repository": "acme/blog",
                             "blog-branch": "main", "create-site": "true"},
                     extra_env=github_env(github))
    assert run.returncode == 0, run.log
    bare = github.repos["acme/blog"].bare
    post = git("--git-dir", str(bare), "show", "main:_posts/2024-05-01-tool-v0-9-0.md")
    assert "the thing we shipped long ago" in post
    assert ("GET", "/api/v3/repos/acme/tool/releases/tags/v0.9.0") in github.requests


def test_workflow_dispatch_for_an_unknown_tag_is_an_input_error(runner: ActionEnv,
                                                                github: FakeGitHub) -> None:
    event = {"inputs": {"tag": "v9.9.9"}, "repository": github.repos["acme/tool"].meta}
    run = runner.run(event, event_name="workflow_dispatch",
                     inputs={"github-token": TOKEN, "blog-repository": "acme/blog"},
                     extra_env=github_env(github))
    assert run.returncode == 2, run.log
    [error] = run.commands("error")
    assert "acme/tool has no published release for tag 'v9.9.9'" in error


def test_pull_request_mode_opens_one_pull_request(runner: ActionEnv,
                                                  github: FakeGitHub) -> None:
    bare = github.repos["acme/blog"].bare
    seed_branch(bare, "gh-pages", {"_config.yml": "title: Acme\n"})
    inputs = {"github-token": TOKEN, "blog-repository": "acme/blog", "blog-branch": "gh-pages",
              "publish-mode": "pull-request"}
    event = release_event(tag="v1.0.0", repository="acme/tool", server_url=github.url)
    run = runner.run(event, inputs=inputs, extra_env=github_env(github))
    assert run.returncode == 0, run.log
    assert run.outputs["result"] == "pull-request"
    assert run.outputs["pull-request-url"] == f"{github.url}/acme/blog/pull/1"
    [pull] = github.repos["acme/blog"].pulls
    assert pull["head"]["ref"] == "releasecast/tool-v1-0-0" and pull["base"]["ref"] == "gh-pages"
    assert "tool v1.0.0" in pull["title"] and "_posts/2024-05-01-tool-v1-0-0.md" in pull["body"]
    head = git("--git-dir", str(bare), "rev-parse", "releasecast/tool-v1-0-0")
    assert run.outputs["commit-sha"] == head == pull["head"]["sha"]
    assert "_posts/2024-05-01-tool-v1-0-0.md" in tree(bare, "releasecast/tool-v1-0-0")
    assert commit_count(bare, "gh-pages") == 1  # the base branch is left to the reviewer
    assert f"| Pull request | {run.outputs['pull-request-url']} |" in run.summary

    again = runner.run(event, inputs=inputs, extra_env=github_env(github))
    assert again.returncode == 0, again.log
    assert len(github.repos["acme/blog"].pulls) == 1
    assert again.outputs["pull-request-url"] == run.outputs["pull-request-url"]
    assert git("--git-dir", str(bare), "rev-parse", "releasecast/tool-v1-0-0") == head


def test_pull_request_mode_needs_an_existing_base_branch(runner: ActionEnv,
                                                         github: FakeGitHub) -> None:
    inputs = {"github-token": TOKEN, "blog-repository": "acme/blog", "blog-branch": "gh-pages",
              "publish-mode": "pull-request"}
    event = release_event(tag="v1.0.0", repository="acme/tool", server_url=github.url)
    run = runner.run(event, inputs=inputs, extra_env=github_env(github))
    assert run.returncode == 2, run.log
    [error] = run.commands("error")
    assert "branch 'gh-pages' does not exist in acme/blog" in error
    assert github.repos["acme/blog"].pulls == []
