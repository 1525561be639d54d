"""`releasecast backfill` against the local GitHub: it lists releases through PyGithub and
builds only the posts the site is missing."""

from __future__ import annotations

from pathlib import Path

import pytest
from action_runner import NO_REEL_CONFIG
from githubapi_server import FakeGitHub

from pipeline.cli import main
from pipeline.site.scaffold import create_site

TOKEN = "ghp_backfillToken"


@pytest.fixture
def github(tmp_path: Path):
    with FakeGitHub(tmp_path / "github", token=TOKEN) as server:
        server.add_repo("acme/tool")
        for tag, day in [("v1.0.0", 1), ("v1.1.0", 2), ("v1.2.0", 3)]:
            server.add_release("acme/tool", tag, body=f"* feat: things of {tag}\n",
                               published_at=f"2024-03-{day:02d}T10:00:00Z")
        server.add_release("acme/tool", "v1.3.0-rc.1", prerelease=True,
                           published_at="2024-03-04T10:00:00Z")
        server.add_release("acme/tool", "v2.0.0", draft=True, published_at=None)
        yield server


@pytest.fixture
def site(tmp_path: Path) -> Path:
    site = create_site(tmp_path / "site")
    # A post the blog already has (another date: found by its slug, not its file name).
    (site / "_posts/2024-02-28-tool-v1-0-0.md").write_text("---\ntitle: old\n---\nHand-made.\n")
    return site


@pytest.fixture
def backfill(github: FakeGitHub, site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
             capsys: pytest.CaptureFixture[str]):
    config = tmp_path / "releasecast.yml"
    config.write_text(NO_REEL_CONFIG)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)

    def run(*args: str) -> tuple[int, str, str]:
        code = main(["backfill", "--repo", "acme/tool", "--site", str(site), "--api-url",
                     github.api_url, "--config", str(config), *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def posts(site: Path) -> list[str]:
    return sorted(p.name for p in (site / "_posts").glob("*.md"))


def test_builds_only_the_missing_posts_oldest_first(backfill, site: Path) -> None:
    code, out, _ = backfill()
    assert code == 0, out
    assert posts(site) == ["2024-02-28-tool-v1-0-0.md", "2024-03-02-tool-v1-1-0.md",
                           "2024-03-03-tool-v1-2-0.md"]
    assert "Hand-made." in (site / "_posts/2024-02-28-tool-v1-0-0.md").read_text()
    assert "things of v1.2.0" in (site / "_posts/2024-03-03-tool-v1-2-0.md").read_text()
    lines = out.splitlines()
    assert [ln.split()[0:2] for ln in lines[:-1]] == [["have", "v1.0.0"], ["built", "v1.1.0"],
                                                      ["built", "v1.2.0"]]
    assert lines[-1] == "backfill: 3 release(s), 1 already on the blog, 2 built"
    assert (site / "assets/releasecast/tool-v1-1-0/social-card.png").is_file()

    again_code, again, _ = backfill()
    assert again_code == 0
    assert again.splitlines()[-1] == "backfill: 3 release(s), 3 already on the blog, 0 built"


def test_since_limit_prereleases_and_dry_run(backfill, site: Path) -> None:
    code, out, _ = backfill("--since", "v1.1.0", "--include-prereleases", "--dry-run")
    assert code == 0
    assert out.splitlines() == [
        "would  v1.2.0               build",
        "would  v1.3.0-rc.1          build",
        "backfill: 2 release(s), 0 already on the blog, 2 would build",
    ]
    assert posts(site) == ["2024-02-28-tool-v1-0-0.md"]

    code, out, _ = backfill("--limit", "1")
    assert code == 0
    assert posts(site) == ["2024-02-28-tool-v1-0-0.md", "2024-03-02-tool-v1-1-0.md"]
    assert "later  v1.2.0" in out


def test_latest_takes_the_newest_releases(backfill, site: Path) -> None:
    code, out, _ = backfill("--latest", "2", "--dry-run")
    assert code == 0
    assert out.splitlines() == [
        "would  v1.1.0               build",
        "would  v1.2.0               build",
        "backfill: 2 release(s), 0 already on the blog, 2 would build",
    ]
    code, out, _ = backfill("--latest", "1")
    assert code == 0
    assert posts(site) == ["2024-02-28-tool-v1-0-0.md", "2024-03-03-tool-v1-2-0.md"]


def test_unknown_since_tag_and_bad_token_are_one_line_errors(backfill, monkeypatch) -> None:
    code, _, err = backfill("--since", "v0.1.0")
    assert code == 2
    assert err.strip() == ("releasecast: error: --since v0.1.0: acme/tool has no published "
                           "release with that tag")
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_wrong")
    code, _, err = backfill()
    assert code == 4
    assert "GitHub rejected the token (401 Bad credentials)" in err
    assert "ghp_wrong" not in err
