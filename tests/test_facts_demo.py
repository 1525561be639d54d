"""The demo project "Acme Widgets": a real, deterministic git history and release event, and
the facts releasecast reads from them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.demo_project import DemoProject, create_demo_project
from pipeline.errors import InputError
from pipeline.facts import collect_facts, load_event
from pipeline.facts.git import parse_shortstat
from pipeline.structure import ChangeKind


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                          check=True).stdout.strip()


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> DemoProject:
    return create_demo_project(tmp_path_factory.mktemp("demo") / "acme")


def test_builds_identically_every_time(tmp_path, demo):
    again = create_demo_project(tmp_path / "again")
    assert git(again.repo, "rev-parse", "v1.2.0", "main") == git(demo.repo, "rev-parse",
                                                                 "v1.2.0", "main")
    assert again.event.read_bytes() == demo.event.read_bytes()


def test_layout_and_history(demo):
    assert demo.tag == "v1.2.0"
    assert demo.repo == demo.event.parent / "widgets"
    assert git(demo.repo, "tag", "--list").split() == ["v1.0.0", "v1.1.0", "v1.2.0",
                                                       "v1.2.0-rc.1"]
    assert git(demo.repo, "rev-list", "--count", "HEAD") == "31"
    assert git(demo.repo, "rev-list", "--count", "--merges", "HEAD") == "3"
    assert git(demo.repo, "remote", "get-url", "origin") == "https://github.com/acme/widgets.git"
    assert git(demo.repo, "status", "--porcelain") == ""  # a clean checkout of main
    assert git(demo.repo, "branch", "--format=%(refname:short)") == "main"
    authors = git(demo.repo, "log", "--format=%an", "HEAD").splitlines()
    assert sorted(set(authors)) == ["Jonas Becker", "Kenji Satō", "Maya Lindqvist",
                                    "Priya Raman", "Tomás Ortega", "dependabot[bot]"]
    # Squash merges are committed by GitHub, as on github.com.
    assert git(demo.repo, "log", "-1", "--format=%an|%cn", ":/respect NO_COLOR") == \
        "Priya Raman|GitHub"


def test_the_library_is_real_and_its_tests_pass(demo):
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=demo.repo, env=dict(os.environ, PYTHONPATH=str(demo.repo / "src")),
        capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert "10 passed" in proc.stdout


def test_the_event_is_a_published_release_of_the_tag(demo):
    event = load_event(demo.event)
    release = event["release"]

    assert event["action"] == "published"
    assert (release["tag_name"], release["name"]) == ("v1.2.0", "Acme Widgets 1.2.0")
    assert release["html_url"] == "https://github.com/acme/widgets/releases/tag/v1.2.0"
    assert event["repository"]["full_name"] == "acme/widgets"
    assert "## What's Changed" in release["body"]
    assert release["body"].rstrip().endswith(
        "**Full Changelog**: https://github.com/acme/widgets/compare/v1.1.0...v1.2.0")


def test_release_facts_from_the_event_and_the_checkout(demo):
    facts = collect_facts(repo=demo.repo, event=demo.event)

    assert facts.title == "Acme Widgets 1.2.0"
    assert facts.previous_tag == "v1.1.0"  # the release candidate is part of 1.2.0
    assert len(facts.commits) == 17
    assert [c.prs for c in facts.commits if c.prs][:3] == [[24], [23], [22]]
    assert (facts.diffstat.files, facts.diffstat.insertions, facts.diffstat.deletions) == \
        parse_shortstat(git(demo.repo, "diff", "--shortstat", "v1.1.0", "v1.2.0"))
    assert [(i.kind, i.scope, i.text, i.author, i.pr) for i in facts.items] == [
        (ChangeKind.BREAKING, "theme", "Theme objects replace color keyword arguments",
         "priyaraman", 14),
        (ChangeKind.FEATURE, "bar", "show ETA and rate", "jbecker", 15),
        (ChangeKind.FEATURE, None, "Add a gauge widget", "kenjisato", 19),
        (ChangeKind.FIX, "sparkline", "handle a constant series without dividing by zero",
         "tortega", 17),
        (ChangeKind.FIX, "bar", "keep the width on terminals narrower than the label",
         "jbecker", 20),
        (ChangeKind.FIX, "theme", "respect NO_COLOR", "priyaraman", 21),
        (ChangeKind.OTHER, "deps-dev", "bump pytest from 8.0.2 to 8.1.1", "dependabot", 16),
        (ChangeKind.OTHER, "sparkline", "render without intermediate lists", "tortega", 22),
        (ChangeKind.OTHER, "deps", "bump actions/setup-python from 4 to 5", "dependabot", 23),
        (ChangeKind.OTHER, None, "changelog for 1.2.0", "mayalind", 24),
    ]
    # Commit authors are matched to the logins in the notes: by noreply address (Jonas), by
    # squashed PR (Maya, Priya, Tomás) and by a merged PR's commits (Kenji). Merge commits and
    # dependabot count for nobody.
    assert [(c.login, c.commits, c.first_time) for c in facts.contributors] == [
        ("mayalind", 4, False), ("priyaraman", 3, False), ("jbecker", 2, False),
        ("kenjisato", 2, True), ("tortega", 2, False)]


def test_release_facts_from_the_checkout_alone(demo):
    facts = collect_facts(repo=demo.repo)

    assert (facts.tag, facts.name) == ("v1.2.0", "Acme Widgets 1.2.0")  # annotated tag
    assert facts.body == "Themes, a gauge widget, and an ETA on progress bars."
    assert facts.repository.full_name == "acme/widgets"
    assert facts.url == "https://github.com/acme/widgets/releases/tag/v1.2.0"
    assert facts.date.isoformat() == "2024-04-08T10:05:00+02:00"  # the tagger's date
    # No bullets in the tag message: the items are the merged PRs and direct commits.
    assert [i.pr for i in facts.items] == [None, 16, 14, 15, 17, 19, 20, 21, 22, 23, 24]
    assert [i.text for i in facts.breaking] == [
        "Theme objects replace color keyword arguments"]  # the merged PR's title
    rc = collect_facts(repo=demo.repo, tag="v1.2.0-rc.1")
    assert (rc.previous_tag, rc.prerelease, len(rc.commits)) == ("v1.1.0", True, 8)


def test_a_draft_for_a_tag_not_pushed_yet(demo):
    event = load_event(demo.event)
    event["release"].update(tag_name="v1.3.0", draft=True, published_at=None)

    with pytest.raises(InputError) as caught:
        collect_facts(repo=demo.repo, event=event)

    assert str(caught.value) == (
        f"tag 'v1.3.0' not found in {demo.repo} (nearby: v1.2.0, v1.2.0-rc.1, v1.1.0; "
        f"a draft release's tag only exists once it is published)")


def test_builds_without_any_git_identity(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"))
    code = ("import sys; from pathlib import Path; from pipeline.demo_project import "
            "create_demo_project as c; print(c(Path(sys.argv[1])).tag)")
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path / "demo")], env=env,
                          cwd=Path(__file__).resolve().parents[1], capture_output=True,
                          text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "v1.2.0"


def test_refuses_a_destination_with_files(tmp_path):
    dest = tmp_path / "busy"
    dest.mkdir()
    (dest / "keep.txt").write_text("mine")

    with pytest.raises(InputError, match=r"^demo project destination exists and is not empty: "):
        create_demo_project(dest)

    assert [p.name for p in tmp_path.iterdir()] == ["busy"]  # no staging directory left
    assert [p.name for p in dest.iterdir()] == ["keep.txt"]


def test_an_empty_destination_directory_is_fine(tmp_path):
    dest = tmp_path / "empty"
    dest.mkdir()
    assert create_demo_project(dest).event == dest / "release-event.json"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty"]
