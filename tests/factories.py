"""Builders shared by the tests: release facts to write about, and a real Jekyll build."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.structure import (
    ChangeItem,
    ChangeKind,
    Commit,
    Contributor,
    DiffStat,
    ReleaseFacts,
    Repository,
)

SHARED = Path(__file__).resolve().parents[2] / "shared"
WEBHOOKS = SHARED / "fixtures" / "github-webhooks"


def sample_facts(**overrides: object) -> ReleaseFacts:
    """A realistic release: a breaking change, features, fixes, a first-time contributor."""
    when = datetime(2024, 5, 14, 16, 30, tzinfo=UTC)
    facts = ReleaseFacts(
        tag="v1.2.0",
        name="Faster exports",
        body="",
        date=when,
        url="https://github.com/acme/widgets/releases/tag/v1.2.0",
        repository=Repository("acme/widgets", "Widgets for everyone",
                              "https://github.com/acme/widgets"),
        previous_tag="v1.1.0",
        commits=[Commit(f"{i:040x}", f"feat: change {i}", "Ada", "ada@example.com", when)
                 for i in range(12)],
        diffstat=DiffStat(files=14, insertions=420, deletions=96),
        items=[
            ChangeItem("Drop Python 3.8 support", ChangeKind.BREAKING, author="ada", pr=41,
                       url="https://github.com/acme/widgets/pull/41"),
            ChangeItem("Export to **Parquet** with `widgets export --parquet`",
                       ChangeKind.FEATURE, author="grace", pr=42,
                       url="https://github.com/acme/widgets/pull/42"),
            ChangeItem("Streaming reader for large files", ChangeKind.FEATURE, author="linus",
                       pr=44, url="https://github.com/acme/widgets/pull/44"),
            ChangeItem("Fix crash on empty CSV header", ChangeKind.FIX, author="newbie", pr=45,
                       url="https://github.com/acme/widgets/pull/45"),
            ChangeItem("Update docs", ChangeKind.OTHER, author="ada", pr=46),
        ],
        contributors=[Contributor("ada", commits=6), Contributor("grace", commits=3),
                      Contributor("linus", commits=2), Contributor("newbie", True, 1)],
        full_changelog_url="https://github.com/acme/widgets/compare/v1.1.0...v1.2.0",
    )
    for key, value in overrides.items():
        setattr(facts, key, value)
    return facts


def jekyll_build(site: Path) -> subprocess.CompletedProcess[str]:
    """A real `jekyll build`; returns the process so tests can check its output for warnings."""
    jekyll = shutil.which("jekyll")
    if jekyll is None:
        pytest.fail("jekyll is not installed: run scripts/install-system-deps.sh --test")
    return subprocess.run(
        [jekyll, "build", "--source", str(site), "--destination", str(site / "_site")],
        capture_output=True, text=True, timeout=120, check=False,
    )
