"""Facts read from real git repositories that each test builds: previous tag, commits, pull
requests, authors, diffstat, and the one-line errors for unusable repositories and tags."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pipeline.errors import InputError
from pipeline.facts import collect_facts
from pipeline.facts.git import parse_shortstat
from pipeline.structure import ChangeKind

ADA = ("Ada Lovelace", "ada@example.com")
GRACE = ("Grace Hopper", "1234567+ghopper@users.noreply.github.com")
LINUS = ("Linus Example", "linus@example.org")
BOT = ("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com")


class Repo:
    """A git repository a test writes history into, with fixed people and dates."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.clock = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
        path.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str, author: tuple[str, str] = ADA, stdin: bytes | None = None) -> str:
        stamp = self.clock.isoformat()
        env = dict(os.environ, GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull,
                   GIT_AUTHOR_NAME=author[0], GIT_AUTHOR_EMAIL=author[1],
                   GIT_COMMITTER_NAME=author[0], GIT_COMMITTER_EMAIL=author[1],
                   GIT_AUTHOR_DATE=stamp, GIT_COMMITTER_DATE=stamp)
        proc = subprocess.run(["git", "-C", str(self.path), *args], env=env, input=stdin,
                              capture_output=True, check=True)
        return proc.stdout.decode("utf-8", "replace").strip()

    def commit(self, message: str, files: dict[str, str | bytes] | None = None, *,
               author: tuple[str, str] = ADA) -> str:
        self.clock += timedelta(hours=1)
        for name, content in (files or {f"notes/{self.clock:%H%M%S}.txt": message}).items():
            target = self.path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content, encoding="utf-8")
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-F", "-", author=author,
                 stdin=message.encode())
        return self.git("rev-parse", "HEAD")

    def tag(self, name: str, message: str | None = None) -> None:
        self.clock += timedelta(minutes=5)
        if message is None:
            self.git("tag", name)
        else:
            self.git("tag", "-a", name, "-F", "-", stdin=message.encode())

    def merge_pr(self, number: int, branch: str, title: str, commits: list[tuple],
                 merger: tuple[str, str] = ADA) -> None:
        """A pull request from ``branch`` merged with GitHub's merge button."""
        self.git("checkout", "-q", "-b", branch)
        for message, author in commits:
            self.commit(message, author=author)
        self.git("checkout", "-q", "main")
        self.clock += timedelta(hours=1)
        self.git("merge", "-q", "--no-ff", branch, "-m",
                 f"Merge pull request #{number} from {branch}", "-m", title, author=merger)
        self.git("branch", "-q", "-D", branch)


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path / "project")


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Repo:
    """A small project: v1.0.0, then a release with merged and squashed PRs and a bot."""
    repo = Repo(tmp_path_factory.mktemp("facts") / "tidewater")
    repo.commit("chore: initial import", {"README.md": "# Tidewater\n", "src/tide.py": "x = 1\n"})
    repo.commit("feat: tide tables", {"src/tables.py": "TABLES = []\n"})
    repo.tag("v1.0.0")
    repo.merge_pr(12, "ghopper/moon", "feat(moon): lunar phases", [
        ("feat(moon): compute lunar phases", GRACE),
        ("test(moon): phases for 2024", GRACE),
    ])
    repo.commit("fix(tables): off-by-one at midnight (#34)",
                {"src/tables.py": "TABLES = [0]\n"}, author=LINUS)
    repo.commit("chore(deps): bump pytest from 8.0.0 to 8.1.0 (#35)", author=BOT)
    repo.commit("feat(api)!: rename `tide()` to `tide_at()` (#36)",
                {"src/tide.py": "def tide_at():\n    return 1\n"}, author=ADA)
    repo.commit("refactor: split parsing from I/O\n\nBREAKING CHANGE: `load()` takes a path.",
                {"src/io.py": "def load(path):\n    pass\n"}, author=LINUS)
    repo.tag("v1.1.0", "Tidewater 1.1.0\n\n* Lunar phases\n* `tide_at()` replaces `tide()`")
    return repo


def shortstat(repo: Repo, base: str, head: str) -> tuple[int, int, int]:
    return parse_shortstat(repo.git("diff", "--shortstat", base, head))


# --- previous tag --------------------------------------------------------------------------

def test_previous_tag_is_the_previous_semver_release_not_the_newest_tag(repo):
    repo.commit("one")
    repo.tag("v1.9.0")
    repo.commit("two")
    repo.tag("v1.10.0")
    repo.commit("three")
    repo.tag("v2.0.0-rc.1")
    repo.commit("four")
    repo.tag("v2.0.0")

    assert collect_facts(repo=repo.path, tag="v2.0.0").previous_tag == "v1.10.0"
    assert collect_facts(repo=repo.path, tag="v2.0.0-rc.1").previous_tag == "v1.10.0"
    assert collect_facts(repo=repo.path, tag="v1.10.0").previous_tag == "v1.9.0"
    # The stable release's commits include its release candidate's.
    assert [c.subject for c in collect_facts(repo=repo.path, tag="v2.0.0").commits] == [
        "four", "three"]


def test_v_prefixed_and_bare_tags_are_one_series(repo):
    repo.commit("one")
    repo.tag("0.9.0")
    repo.commit("two")
    repo.tag("v1.0.0")
    assert collect_facts(repo=repo.path, tag="v1.0.0").previous_tag == "0.9.0"


def test_previous_tag_argument_overrides_the_search(project):
    facts = collect_facts(repo=project.path, tag="v1.1.0", previous_tag="v1.0.0")
    assert facts.previous_tag == "v1.0.0"
    with pytest.raises(InputError, match=r"tag 'v0\.9\.0' not found .*nearby: v1\.1\.0, v1\.0\.0"):
        collect_facts(repo=project.path, tag="v1.1.0", previous_tag="v0.9.0")


def test_a_repository_given_by_a_relative_path(project, monkeypatch):
    monkeypatch.chdir(project.path.parent.parent)
    relative = project.path.relative_to(project.path.parent.parent)
    assert collect_facts(repo=relative, tag="v1.1.0").previous_tag == "v1.0.0"


def test_without_a_tag_the_newest_tag_reachable_from_head_is_the_release(project):
    assert collect_facts(repo=project.path).tag == "v1.1.0"


# --- commits, pull requests, authors -------------------------------------------------------

def test_commits_between_the_tags_with_types_and_pull_requests(project):
    facts = collect_facts(repo=project.path, tag="v1.1.0")

    assert facts.previous_tag == "v1.0.0"
    assert [(c.subject.split("\n")[0], c.type, c.breaking, c.prs) for c in facts.commits] == [
        ("refactor: split parsing from I/O", "refactor", True, []),
        ("feat(api)!: rename `tide()` to `tide_at()` (#36)", "feat", True, [36]),
        ("chore(deps): bump pytest from 8.0.0 to 8.1.0 (#35)", "chore", False, [35]),
        ("fix(tables): off-by-one at midnight (#34)", "fix", False, [34]),
        ("Merge pull request #12 from ghopper/moon", "feat", False, [12]),
        ("test(moon): phases for 2024", "test", False, []),
        ("feat(moon): compute lunar phases", "feat", False, []),
    ]
    assert facts.commits[-1].author_name == "Grace Hopper"
    assert facts.commits[0].date == datetime.fromisoformat(
        project.git("log", "-1", "--format=%aI", "v1.1.0"))
    assert len({c.sha for c in facts.commits}) == 7


def test_diffstat_matches_git_diff_shortstat(project):
    facts = collect_facts(repo=project.path, tag="v1.1.0")
    expected = shortstat(project, "v1.0.0", "v1.1.0")

    assert (facts.diffstat.files, facts.diffstat.insertions, facts.diffstat.deletions) == expected
    assert expected == (6, 8, 2)  # 3 notes files, tables.py, tide.py, io.py


def test_contributors_are_people_with_logins_where_known(project):
    facts = collect_facts(repo=project.path, tag="v1.1.0")

    # Grace's noreply address gives her login; merge commits and the bot count for nobody.
    assert [(c.login, c.commits, c.first_time) for c in facts.contributors] == [
        ("ghopper", 2, False), ("Linus Example", 2, False), ("Ada Lovelace", 1, False)]


def test_without_release_notes_the_items_come_from_the_mainline_commits(project):
    facts = collect_facts(repo=project.path, tag="v1.1.0")

    # The annotated tag's message names the release; its bullets are the notes.
    assert facts.name == "Tidewater 1.1.0"
    assert [i.text for i in facts.items] == ["Lunar phases", "`tide_at()` replaces `tide()`"]

    project_without_notes = collect_facts(repo=project.path, tag="v1.0.0")
    assert project_without_notes.body == ""
    assert [(i.kind, i.text) for i in project_without_notes.items] == [
        (ChangeKind.OTHER, "initial import"), (ChangeKind.FEATURE, "tide tables")]


def test_items_from_commits_use_pr_titles_and_breaking_footers(tmp_path):
    repo = Repo(tmp_path / "p")
    repo.commit("first")
    repo.tag("v1.0.0")
    repo.merge_pr(7, "ghopper/fast", "perf: faster parser", [("wip", GRACE), ("more", GRACE)])
    repo.commit("fix: crash on empty input (#8)", author=LINUS)
    repo.commit("refactor: new loader\n\nBREAKING CHANGE: paths only", author=LINUS)
    repo.commit("chore: release 1.1.0")
    repo.tag("v1.1.0")

    facts = collect_facts(repo=repo.path, tag="v1.1.0")

    # "wip"/"more" are inside PR #7 and the release chore is not a change.
    assert [(i.kind, i.text, i.pr, i.author) for i in facts.items] == [
        (ChangeKind.PERFORMANCE, "faster parser", 7, "ghopper"),
        (ChangeKind.FIX, "crash on empty input", 8, None),
        (ChangeKind.BREAKING, "new loader", None, None),
    ]


def test_the_first_release_covers_all_history(repo):
    repo.commit("chore: start", {"a.txt": "one\ntwo\n", "logo.png": b"\x89PNG\r\n\x1a\n\0\0"})
    repo.commit("feat: more", {"a.txt": "one\nthree\n", "b.txt": "b\n"})
    repo.tag("v0.1.0")

    facts = collect_facts(repo=repo.path, tag="v0.1.0")

    assert facts.previous_tag is None
    assert [c.subject for c in facts.commits] == ["feat: more", "chore: start"]
    empty_tree = repo.git("hash-object", "-t", "tree", "/dev/null")
    assert (facts.diffstat.files, facts.diffstat.insertions, facts.diffstat.deletions) == \
        shortstat(repo, empty_tree, "v0.1.0") == (3, 3, 0)
    assert facts.full_changelog_url is None


def test_two_tags_on_the_same_commit_have_nothing_between_them(repo):
    repo.commit("feat: everything")
    repo.tag("v1.0.0")
    repo.tag("v1.0.1")

    facts = collect_facts(repo=repo.path, tag="v1.0.1")

    assert facts.previous_tag == "v1.0.0"
    assert facts.commits == [] and facts.items == [] and facts.contributors == []
    assert (facts.diffstat.files, facts.diffstat.insertions, facts.diffstat.deletions) == (0, 0, 0)


def test_latin1_commit_and_tag_messages(repo):
    repo.commit("first")
    repo.tag("v1.0.0")
    repo.clock += timedelta(hours=1)
    latin1 = "fix: caf\xe9 menu".encode("latin-1")
    repo.git("commit", "-q", "--allow-empty", "-F", "-", stdin=latin1)
    repo.git("tag", "-a", "v1.0.1", "-F", "-", stdin="Men\xfc\n\n- caf\xe9".encode("latin-1"))

    facts = collect_facts(repo=repo.path, tag="v1.0.1")

    # git itself reads a commit message that is not UTF-8 as Latin-1; a tag message comes
    # through as bytes, and what is not UTF-8 is replaced rather than fatal.
    assert facts.commits[0].subject == "fix: caf\xe9 menu"
    assert (facts.name, facts.items[0].text) == ("Men\ufffd", "caf\ufffd")


# --- repository identity without an event --------------------------------------------------

@pytest.mark.parametrize(("origin", "full_name"), [
    ("https://github.com/lumen-labs/tidewater.git", "lumen-labs/tidewater"),
    ("git@github.com:lumen-labs/tidewater.git", "lumen-labs/tidewater"),
    ("ssh://git@github.com/lumen-labs/tide.water", "lumen-labs/tide.water"),
    ("https://x-access-token:ghs_secret123@github.com/lumen-labs/tidewater",
     "lumen-labs/tidewater"),
])
def test_repository_from_a_github_origin(repo, origin, full_name):
    repo.commit("one")
    repo.tag("v1.0.0")
    repo.git("remote", "add", "origin", origin)

    facts = collect_facts(repo=repo.path, tag="v1.0.0")

    assert facts.repository.full_name == full_name
    assert facts.repository.html_url == f"https://github.com/{full_name}"
    assert facts.url == f"https://github.com/{full_name}/releases/tag/v1.0.0"
    assert "secret" not in repr(facts)


def test_repository_without_a_github_origin_is_named_after_its_directory(repo):
    repo.commit("one")
    repo.tag("v1.0.0", "One paragraph of notes only.")
    repo.git("remote", "add", "origin", "https://gitlab.example.org/team/project.git")

    facts = collect_facts(repo=repo.path, tag="v1.0.0")

    assert facts.repository.full_name == "project"
    assert facts.url == "" and facts.full_changelog_url is None
    assert (facts.name, facts.body, facts.title) == ("", "One paragraph of notes only.", "v1.0.0")
    assert facts.date == datetime(2024, 3, 1, 10, 5, tzinfo=UTC)  # the tagger's date


def test_a_tag_message_of_one_paragraph_is_all_body(repo):
    repo.commit("one")
    repo.tag("v1.0.0", "- Faster start-up\n- Fix the --help text")

    facts = collect_facts(repo=repo.path, tag="v1.0.0")

    assert (facts.name, facts.body) == ("", "- Faster start-up\n- Fix the --help text")
    assert [(i.kind, i.text) for i in facts.items] == [
        (ChangeKind.PERFORMANCE, "Faster start-up"), (ChangeKind.FIX, "Fix the --help text")]


def test_an_old_tag_object_without_a_tagger_is_dated_by_its_commit(repo):
    sha = repo.commit("one")
    raw_tag = f"object {sha}\ntype commit\ntag v0.1\n\nAncient release\n".encode()
    tag_object = repo.git("hash-object", "-t", "tag", "-w", "--literally", "--stdin",
                          stdin=raw_tag)
    repo.git("update-ref", "refs/tags/v0.1", tag_object)

    facts = collect_facts(repo=repo.path, tag="v0.1")

    assert facts.date == datetime(2024, 3, 1, 10, 0, tzinfo=UTC)
    assert facts.body == "Ancient release"


def test_a_prerelease_tag_is_flagged_without_an_event(repo):
    repo.commit("one")
    repo.tag("v2.0.0-beta.2")
    assert collect_facts(repo=repo.path, tag="v2.0.0-beta.2").prerelease is True


def test_unusual_tag_names_are_read_safely(repo):
    repo.commit("one")
    repo.tag("spring/2024.1+build.7")
    repo.commit("two")
    repo.tag("夏のリリース")

    facts = collect_facts(repo=repo.path, tag="夏のリリース")
    assert facts.previous_tag == "spring/2024.1+build.7"  # not versions: date order
    assert [c.subject for c in facts.commits] == ["two"]
    # A tag that looks like an option is only ever looked up, never passed to git as one.
    with pytest.raises(InputError, match="not found"):
        collect_facts(repo=repo.path, tag="--output=/tmp/pwned")
    assert not Path("/tmp/pwned").exists()


# --- errors --------------------------------------------------------------------------------

def one_line_error(**kwargs) -> str:
    with pytest.raises(InputError) as caught:
        collect_facts(**kwargs)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_a_directory_that_is_not_a_repository(tmp_path):
    assert one_line_error(repo=tmp_path) == f"not a git repository: {tmp_path}"
    missing = tmp_path / "missing"
    assert one_line_error(repo=missing) == f"repository path does not exist: {missing}"


def test_an_unknown_tag_lists_nearby_tags(project):
    message = one_line_error(repo=project.path, tag="v1.1.1")
    assert message == f"tag 'v1.1.1' not found in {project.path} (nearby: v1.1.0, v1.0.0)"


def test_a_repository_without_tags(repo):
    repo.commit("one")
    assert "no tag given and none reachable from HEAD" in one_line_error(repo=repo.path)
    assert "the repository has no tags; in GitHub Actions, check out with `fetch-depth: 0`" in \
        one_line_error(repo=repo.path, tag="v1.0.0")


def test_a_shallow_clone_suggests_fetching_history(project, tmp_path):
    clone = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", "--no-tags",
                    f"file://{project.path}", str(clone)], check=True, capture_output=True)
    subprocess.run(["git", "-C", str(clone), "tag", "v1.1.0"], check=True)

    message = one_line_error(repo=clone, tag="v1.0.0")
    assert "this is a shallow clone" in message and "fetch-depth: 0" in message


def test_nothing_to_read():
    assert one_line_error() == (
        "nothing to read: give a release event, a git repository, or both")
