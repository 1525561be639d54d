"""Who made a release and which PRs it holds, from real git history: .mailmap, noreply
addresses, one person under several names, co-authors, bots; PR numbers in every commit
form; notes from a changelog file; the user's categories; shallow clones not miscounted."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from test_facts_git import ADA, BOT, GRACE, LINUS, Repo

from pipeline.config import parse_config
from pipeline.facts import collect_facts
from pipeline.facts.changelog import changelog_section
from pipeline.facts.conventional import pull_requests
from pipeline.structure import ChangeKind

ADA_WORK = ("A. Lovelace", "ada@analytical.example")
ADA_HOME = ("ada lovelace", "ada@example.com")  # the same address as ADA, another spelling
RENOVATE = ("renovate[bot]", "29139614+renovate[bot]@users.noreply.github.com")
PRECOMMIT = ("pre-commit-ci[bot]", "66853113+pre-commit-ci[bot]@users.noreply.github.com")


@pytest.fixture
def team(tmp_path: Path) -> Repo:
    repo = Repo(tmp_path / "team")
    repo.commit("first", {"a.txt": "1\n"})
    repo.tag("v1.0.0")
    repo.commit("fix: a (#2)", author=ADA)
    repo.commit("fix: b (#3)", author=ADA_HOME)
    repo.commit("feat: c (#4)", author=ADA_WORK)
    repo.commit("feat: d\n\nCo-authored-by: Linus Example <linus@example.org>\n"
                "Co-authored-by: Grace H <1234567+ghopper@users.noreply.github.com>",
                author=ADA)
    repo.commit("chore(deps): bump x (#5)", author=BOT)
    repo.commit("chore(deps): bump y (#6)", author=RENOVATE)
    repo.commit("style: pre-commit autoupdate", author=PRECOMMIT)
    repo.commit("docs: e", author=GRACE)
    return repo


def people(facts) -> list[tuple]:
    return [(c.login, c.commits, c.name, c.bot) for c in facts.contributors]


def test_one_person_under_three_spellings_is_thanked_once_with_mailmap(team):
    (team.path / ".mailmap").write_text(
        "Ada Lovelace <ada@example.com> A. Lovelace <ada@analytical.example>\n")
    team.commit("chore: mailmap", {".mailmap": (team.path / ".mailmap").read_text()})
    team.tag("v1.1.0")
    facts = collect_facts(repo=team.path, tag="v1.1.0")

    # Ada: 4 commits of her own + the mailmap commit; Linus and Grace co-authored one;
    # Grace's noreply address gives her login under either of her names.
    assert people(facts) == [("Ada Lovelace", 5, None, False), ("ghopper", 2, "Grace Hopper",
                                                                   False),
                             ("Linus Example", 1, None, False)]


def test_without_mailmap_a_shared_address_or_name_still_joins_spellings(team):
    team.tag("v1.1.0")
    facts = collect_facts(repo=team.path, tag="v1.1.0")
    logins = [c.login for c in facts.contributors]
    # ADA and ADA_HOME share an address; ADA_WORK shares nothing: a separate person.
    assert logins.count("Ada Lovelace") == 1 and "A. Lovelace" in logins
    assert not any(c.bot for c in facts.contributors)


def test_bots_are_thanked_only_when_configured(team):
    team.tag("v1.1.0")
    config = parse_config({"notes": {"thank_bots": True}})
    facts = collect_facts(repo=team.path, tag="v1.1.0", config=config)
    bots = sorted(c.login for c in facts.contributors if c.bot)
    assert bots == ["dependabot[bot]", "pre-commit-ci[bot]", "renovate[bot]"]


def test_commits_carry_co_authors_and_pr_numbers_in_every_form(team):
    team.tag("v1.1.0")
    facts = collect_facts(repo=team.path, tag="v1.1.0")
    co = next(c for c in facts.commits if c.subject == "feat: d")
    assert co.co_authors == ["Linus Example <linus@example.org>",
                             "Grace H <1234567+ghopper@users.noreply.github.com>"]


@pytest.mark.parametrize(("subject", "body", "prs"), [
    ("Merge pull request #12 from a/b", "Title", [12]),
    ("feat: x (#13)", "", [13]),
    ("feat: x (#13) (#14)", "", [13, 14]),
    ("Merge branch 'feature' into 'main'", "Add x\n\nSee merge request group/proj!15", [15]),
    ("Fix the parser", "Longer text.\n\nCloses #16\nFixes: #17", [16, 17]),
    ("Fix the parser", "See #18 for context.", []),
])
def test_pull_request_numbers_from_commit_messages(subject, body, prs):
    assert pull_requests(subject, body) == prs


def test_a_merge_commit_titled_by_its_pr_and_a_gitlab_merge_become_items(tmp_path):
    repo = Repo(tmp_path / "p")
    repo.commit("first")
    repo.tag("v1.0.0")
    for branch, message in (("a", "Add the moon phase table (#21)"),
                            ("b", "Merge branch 'b' into 'main'\n\nFix the tide clock\n\n"
                                  "See merge request tides/tidewater!22"),
                            ("c", "Merge branch 'main' into c")):
        repo.git("checkout", "-q", "-b", branch)
        repo.commit(f"work on {branch}", author=LINUS)
        repo.git("checkout", "-q", "main")
        repo.git("merge", "-q", "--no-ff", branch, "-m", message)
    repo.tag("v1.1.0")
    facts = collect_facts(repo=repo.path, tag="v1.1.0")
    assert [(i.kind, i.text, i.pr) for i in facts.items] == [
        (ChangeKind.FEATURE, "Add the moon phase table", 21),
        (ChangeKind.FIX, "Fix the tide clock", 22)]


CHANGELOG = """# Changelog

## <small>[8.2.2](https://github.com/o/r/compare/v8.2.1...v8.2.2) (2026-03-02)</small>

### Bug Fixes

* the fix in 8.2.2

## [1.2.0] - 2024-05-01

### Added
- the feature of 1.2.0

## Version 1.1.0

- Fix the thing of 1.1.0

## v2.14.0b1 (2026-02-02)

- beta feature

## 1.2.0-rc.1

- not 1.2.0

# 1.53.0 (2026-01-01)

- added in tokio 1.53.0
"""


@pytest.mark.parametrize(("tag", "expected"), [
    ("v8.2.2", "the fix in 8.2.2"), ("v1.2.0", "the feature of 1.2.0"),
    ("1.1.0", "Fix the thing of 1.1.0"), ("tokio-1.53.0", "added in tokio 1.53.0"),
    ("v2.14.0b1", "beta feature"), ("v1.2.0-rc.1", "not 1.2.0"), ("v9.9.9", None),
])
def test_the_changelog_section_for_a_tag(tag, expected):
    section = changelog_section(CHANGELOG, tag)
    if expected is None:
        assert section is None
    else:
        assert expected in section
        assert section.count("- ") + section.count("* ") == 1  # just its own section


def test_an_empty_body_is_filled_from_the_changelog(tmp_path):
    repo = Repo(tmp_path / "p")
    repo.commit("first")
    repo.tag("v1.1.0")
    repo.commit("docs: changelog", {"CHANGELOG.md": CHANGELOG})
    repo.tag("v1.2.0")
    event = {"release": {"tag_name": "v1.2.0", "body": "See CHANGELOG.md for details.",
                         "published_at": "2024-05-01T12:00:00Z"},
             "repository": {"full_name": "o/r"}}
    facts = collect_facts(repo=repo.path, event=event)
    assert [(i.kind, i.text) for i in facts.items] == [(ChangeKind.FEATURE,
                                                       "the feature of 1.2.0")]
    only_body = collect_facts(repo=repo.path, event=event,
                              config=parse_config({"notes": {"from": "release"}}))
    assert [i.section for i in only_body.items] == ["Commits"]  # from the commits instead


def test_categories_override_every_signal_and_exclude_drops_items(tmp_path):
    repo = Repo(tmp_path / "p")
    repo.commit("first")
    repo.tag("v1.0.0")
    body = ("## Bug Fixes\n- Fix CVE-2024-1 in the parser (#1)\n- Fix typo (#2)\n"
            "- Bump deps (#3)\n")
    repo.tag("v1.1.0", f"1.1.0\n\n{body}")
    config = parse_config({
        "categories": [{"title": "Security", "patterns": [r"CVE-\d+"]}],
        "notes": {"exclude": {"patterns": ["^Bump "]}},
    })
    facts = collect_facts(repo=repo.path, tag="v1.1.0", config=config)
    assert [(i.kind, i.pr) for i in facts.items] == [(ChangeKind.SECURITY, 1),
                                                     (ChangeKind.FIX, 2)]


def test_a_shallow_clone_is_not_counted_rather_than_miscounted(tmp_path):
    repo = Repo(tmp_path / "p")
    repo.commit("first", {"a.txt": "1\n", "b.txt": "2\n", "c.txt": "3\n"})
    repo.tag("v1.0.0")
    repo.commit("fix: one", {"a.txt": "one\n"})
    repo.commit("fix: two", {"b.txt": "two\n"})
    repo.tag("v1.1.0")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "1", "--branch", "v1.1.0",
                    f"file://{repo.path}", str(clone)], check=True, capture_output=True)
    facts = collect_facts(repo=clone, tag="v1.1.0")
    full = collect_facts(repo=repo.path, tag="v1.1.0")
    assert (len(full.commits), full.diffstat.files, full.counted) == (2, 2, True)
    # Depth 1 and no older tag: git alone would say "1 commit, 3 files" (the whole tree).
    assert (facts.counted, facts.commits, facts.diffstat.files) == (False, [], 0)
    assert "not counted" in facts.warnings[0]
