"""GitHub's API as a source of facts, with the real PyGithub against the local GitHub server:
the compare API (paginated) counts a shallow checkout, pull requests give labels and authors,
first-time contributors by GitHub's meaning; rate limits, a 5xx and unknown PRs."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from githubapi_server import FakeGitHub
from test_facts_git import ADA, GRACE, LINUS, Repo

from pipeline.facts import collect_facts
from pipeline.facts.github import GitHubFacts, enrich
from pipeline.retry import RetryPolicy
from pipeline.structure import ChangeKind

TOKEN = "ghs_facts0123456789abcdefghijklmnopqrstuvwx"
FULL_NAME = "tides/tidewater"
FAST = RetryPolicy(attempts=3, deadline=20, timeout=10, initial_wait=0.01, max_wait=0.05,
                   jitter=0)
NEWCOMER = ("Nia Newcomer", "31337+nia@users.noreply.github.com")


@pytest.fixture
def server(tmp_path: Path):
    with FakeGitHub(tmp_path / "github", token=TOKEN) as github:
        yield github


@pytest.fixture
def project(tmp_path: Path, server: FakeGitHub) -> tuple[Repo, dict[str, str]]:
    """v1.0.0, then five commits (three PRs) and v1.1.0, pushed to the server."""
    repo = Repo(tmp_path / "tidewater")
    repo.commit("first", {"a.txt": "1\n"})
    old = repo.commit("fix: early bug", {"a.txt": "2\n"}, author=GRACE)
    repo.tag("v1.0.0")
    shas = {
        "moon": repo.commit("Add the moon table", {"moon.txt": "m\n"}, author=GRACE),
        "clock": repo.commit("Repair the clock", {"clock.txt": "c\n"}, author=NEWCOMER),
        "docs": repo.commit("Explain tides", {"docs.md": "d\n"}, author=LINUS),
        "wip": repo.commit("Tidy up", {"a.txt": "3\n"}, author=ADA),
        "bump": repo.commit("Bump version", {"v.txt": "1.1\n"}, author=ADA),
    }
    repo.tag("v1.1.0")
    bare = server.add_repo(FULL_NAME)
    repo.git("push", "-q", str(bare), "main", "--tags")
    server.add_pull(FULL_NAME, 3, "Early fix", author="ghopper", commits=[old], labels=("bug",))
    server.add_pull(FULL_NAME, 10, "Add the moon table", author="ghopper",
                    commits=[shas["moon"]], labels=("enhancement",))
    server.add_pull(FULL_NAME, 11, "Repair the clock", author="nia", commits=[shas["clock"]],
                    labels=("bug",))
    server.add_pull(FULL_NAME, 12, "Explain tides", author="linus-e", commits=[shas["docs"]],
                    labels=("documentation",))
    return repo, shas


def client(server: FakeGitHub, per_page: int = 2) -> GitHubFacts:
    return GitHubFacts(FULL_NAME, TOKEN, server.api_url, policy=FAST, per_page=per_page)


def event(body: str = "") -> dict:
    return {"release": {"tag_name": "v1.1.0", "body": body, "name": "",
                        "published_at": "2024-05-01T12:00:00Z"},
            "repository": {"full_name": FULL_NAME, "html_url": f"https://github.com/{FULL_NAME}"}}


def shallow_clone(repo: Repo, where: Path) -> Path:
    subprocess.run(["git", "clone", "-q", "--depth", "1", "--branch", "v1.1.0",
                    f"file://{repo.path}", str(where)], check=True, capture_output=True)
    return where


def test_a_shallow_checkout_is_counted_through_the_paginated_compare_api(
        project, server, tmp_path):
    repo, _ = project
    full = collect_facts(repo=repo.path, tag="v1.1.0")
    shallow = collect_facts(repo=shallow_clone(repo, tmp_path / "clone"), event=event())
    assert shallow.counted is False

    warnings: list[str] = []
    facts = enrich(shallow, client(server), warnings.append)

    assert warnings == []
    assert (facts.counted, facts.history, facts.previous_tag) == (True, "github", "v1.0.0")
    assert [c.sha for c in facts.commits] == [c.sha for c in reversed(full.commits)]
    assert facts.diffstat == full.diffstat
    compare_pages = [p for m, p in server.requests if "/compare/" in p]
    assert len(compare_pages) == 3  # five commits, two per page
    # Logins as GitHub matched them; the newcomer's first merged PR is in this release.
    people = {c.login: (c.commits, c.first_time) for c in facts.contributors}
    assert people["ghopper"] == (1, False)  # merged #3 before
    assert people["nia"] == (1, True)
    assert "Ada Lovelace" in people and "Linus Example" in people


def test_labels_decide_kinds_of_items_from_commits_and_authors_come_from_prs(project, server):
    repo, _ = project
    body = ("## What's Changed\n* Add the moon table (#10)\n* Repair the clock (#11)\n"
            "* Explain tides (#12)\n* Mention #999 (#999)\n")
    facts = enrich(collect_facts(repo=repo.path, event=event(body)), client(server, 100),
                   print)
    from pipeline.facts.categories import apply_categories

    items = apply_categories(facts.items, [])
    assert [(i.pr, i.kind, i.author, i.labels) for i in items] == [
        (10, ChangeKind.FEATURE, "ghopper", ["enhancement"]),
        (11, ChangeKind.FIX, "nia", ["bug"]),
        (12, ChangeKind.DOCS, "linus-e", ["documentation"]),
        (999, ChangeKind.OTHER, None, []),  # unknown PR: left as the notes said
    ]


def test_answers_are_cached_for_the_run(project, server):
    github = client(server)
    github.compare("v1.0.0", "v1.1.0")
    before = len(server.requests)
    github.compare("v1.0.0", "v1.1.0")
    assert len(server.requests) == before


@pytest.mark.parametrize("fault", [
    (429, {"Retry-After": "0"}),
    (403, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "0"}),
    (502, {}),
])
def test_a_rate_limit_or_a_5xx_is_retried_under_the_policy(project, server, fault, caplog):
    status, headers = fault
    server.faults.append((r"/compare/", status, headers))
    comparison = client(server).compare("v1.0.0", "v1.1.0")
    assert comparison.complete and comparison.total_commits == 5
    assert any(f"HTTP {429 if status == 403 else status}" in r.getMessage()
               for r in caplog.records)


def test_a_failing_api_falls_back_to_git_with_a_warning(project, server, tmp_path):
    repo, _ = project
    shallow = collect_facts(repo=shallow_clone(repo, tmp_path / "clone"), event=event())
    server.faults.extend([(r"/compare/", 503, {})] * 3)
    warnings: list[str] = []
    facts = enrich(shallow, client(server), warnings.append)
    assert facts.counted is False and facts.commits == []
    assert len(warnings) == 1 and "gave up after 3 attempt(s)" in warnings[0]
    assert TOKEN not in warnings[0]


def test_a_wrong_token_is_one_line_and_falls_back(project, server):
    repo, _ = project
    facts = collect_facts(repo=repo.path, tag="v1.1.0")
    warnings: list[str] = []
    wrong = GitHubFacts(FULL_NAME, "ghs_wrong", server.api_url, policy=FAST)
    assert enrich(facts, wrong, warnings.append) == facts
    assert "authentication failed" in warnings[0] and "ghs_wrong" not in warnings[0]
    assert "ghs_wrong" not in repr(wrong)
