"""A realistic release, built directly as ReleaseFacts, for the AI writer and guard tests."""

from __future__ import annotations

from datetime import UTC, datetime

from pipeline.structure import (
    ChangeItem,
    ChangeKind,
    Commit,
    Contributor,
    DiffStat,
    ReleaseFacts,
    Repository,
)

BODY = """## What's Changed
* feat: add `--dry-run` to the deploy command by @alice in https://github.com/acme/rocket/pull/41
* feat: support Python 3.12 by @bob in https://github.com/acme/rocket/pull/44
* fix: retry uploads on 503 by @alice in https://github.com/acme/rocket/pull/45
* BREAKING: drop the `legacy` config format by @carol in https://github.com/acme/rocket/pull/47

## New Contributors
* @carol made their first contribution in https://github.com/acme/rocket/pull/47

**Full Changelog**: https://github.com/acme/rocket/compare/v1.4.0...v1.5.0
"""


def sample_facts() -> ReleaseFacts:
    pr = "https://github.com/acme/rocket/pull/"
    date = datetime(2024, 5, 14, 12, 0, tzinfo=UTC)
    return ReleaseFacts(
        tag="v1.5.0",
        name="Rocket 1.5",
        body=BODY,
        date=date,
        url="https://github.com/acme/rocket/releases/tag/v1.5.0",
        repository=Repository("acme/rocket", "Deploys to the moon",
                              "https://github.com/acme/rocket"),
        previous_tag="v1.4.0",
        commits=[
            Commit(f"{n:040x}", subject, "A. Dev", "dev@example.com", date, prs=prs)
            for n, (subject, prs) in enumerate([
                ("feat: add --dry-run to deploy (#41)", [41]),
                ("feat: support Python 3.12 (#44)", [44]),
                ("fix: retry uploads on 503 (#45)", [45]),
                ("feat!: drop legacy config (#47)", [47]),
                ("docs: update README", []),
                ("chore: bump dependencies", []),
                ("test: cover uploads", []),
            ])
        ],
        diffstat=DiffStat(files=23, insertions=418, deletions=97),
        items=[
            ChangeItem("add `--dry-run` to the deploy command", ChangeKind.FEATURE,
                       "What's Changed", "alice", 41, pr + "41"),
            ChangeItem("support Python 3.12", ChangeKind.FEATURE, "What's Changed", "bob", 44,
                       pr + "44"),
            ChangeItem("retry uploads on 503", ChangeKind.FIX, "What's Changed", "alice", 45,
                       pr + "45"),
            ChangeItem("drop the `legacy` config format", ChangeKind.BREAKING, "What's Changed",
                       "carol", 47, pr + "47"),
        ],
        contributors=[Contributor("alice", commits=4), Contributor("bob", commits=2),
                      Contributor("carol", first_time=True, commits=1)],
        full_changelog_url="https://github.com/acme/rocket/compare/v1.4.0...v1.5.0",
    )
