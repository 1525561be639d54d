"""The `releasecast` command as a maintainer runs it: the demo end to end, and bad input."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from factories import WEBHOOKS, jekyll_build

from pipeline.cli import main
from pipeline.tools import probe

RELEASECAST = Path(sys.executable).parent / "releasecast"


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """One real `releasecast demo --languages es --json` for the whole module (two reels)."""
    site = tmp_path_factory.mktemp("demo") / "site"
    proc = subprocess.run([str(RELEASECAST), "demo", "--out", str(site), "--languages", "es",
                           "--json"],
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    return site, json.loads(proc.stdout)


@pytest.mark.slow
def test_demo_builds_a_jekyll_site_with_post_images_and_reel(demo_run) -> None:
    site, summary = demo_run
    post = Path(summary["post"])
    assert post.parent == site / "_posts" and post.exists()
    assert summary["release"]["tag"] == "v1.2.0"
    assert summary["release"]["previous_tag"] == "v1.1.0"
    names = sorted(Path(p).name for p in summary["assets"])
    assert {"cover.png", "social-card.png", "reel.mp4", "reel.en.vtt", "reel.en.srt",
            "slide-01.png"} <= set(names)
    assert set(summary["timings"]) >= {"story", "art", "voice", "reel", "site"}

    info = probe(Path(summary["video"]))
    video = next(s for s in info["streams"] if s["codec_type"] == "video")
    audio = next(s for s in info["streams"] if s["codec_type"] == "audio")
    assert (video["codec_name"], video["profile"], video["pix_fmt"]) == ("h264", "High", "yuv420p")
    assert (video["width"], video["height"], video["r_frame_rate"]) == (1080, 1920, "30/1")
    assert (audio["codec_name"], audio["sample_rate"]) == ("aac", "48000")
    assert 15 <= float(info["format"]["duration"]) <= 60

    proc = jekyll_build(site)
    assert proc.returncode == 0, proc.stderr
    assert "warn" not in (proc.stdout + proc.stderr).lower()
    html = (site / "_site" / summary["post_url"].lstrip("/")).read_text(encoding="utf-8")
    assert re.search(r'<video controls="?"? playsinline', html)
    assert 'src="/assets/releasecast/' in html and 'reel.en.vtt' in html


@pytest.mark.slow
def test_demo_dubs_the_reel_in_spanish_offline(demo_run) -> None:
    _site, summary = demo_run
    assets = {Path(p).name: Path(p) for p in summary["assets"]}
    assert {"reel.es.mp4", "reel.es.vtt", "reel.es.srt"} <= set(assets)
    assert summary["reel"]["languages"] == ["en", "es"]
    vtt = assets["reel.es.vtt"].read_text(encoding="utf-8")
    assert vtt.startswith("WEBVTT")
    assert "Corrige" in vtt or "versión" in vtt or "lanzamiento" in vtt  # Apertium's Spanish
    info = probe(assets["reel.es.mp4"])
    video = next(s for s in info["streams"] if s["codec_type"] == "video")
    audio = next(s for s in info["streams"] if s["codec_type"] == "audio")
    assert abs(float(video["duration"]) - float(audio["duration"])) <= 1 / 30 + 0.025
    post = Path(summary["post"]).read_text(encoding="utf-8")
    assert 'srclang="es" label="Español"' in post


@pytest.mark.slow
def test_demo_prints_where_everything_is(tmp_path: Path, demo_run) -> None:
    site, summary = demo_run
    # Running the demo again over the same site updates the same post, in plain-text mode.
    proc = subprocess.run([str(RELEASECAST), "demo", "--out", str(site)], capture_output=True,
                          text=True, timeout=300, check=False, env={**os.environ, "CI": "true"})
    assert proc.returncode == 0, proc.stderr
    assert f"Post     {summary['post']}" in proc.stdout
    assert "Reel     " in proc.stdout
    assert "releasecast: reel (1080x1920 H.264): done in" in proc.stderr
    assert len(list((site / "_posts").glob("*.md"))) == 1


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    return code, capsys.readouterr().err


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A small git repository with two tags."""
    path = tmp_path / "repo"
    path.mkdir()
    env = {**os.environ, "GIT_AUTHOR_NAME": "Ada", "GIT_AUTHOR_EMAIL": "ada@example.com",
           "GIT_COMMITTER_NAME": "Ada", "GIT_COMMITTER_EMAIL": "ada@example.com"}

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=path, check=True, env=env, capture_output=True)

    git("init", "-q", "-b", "main")
    for i, tag in enumerate(["v0.1.0", "v0.2.0", "v1/2"]):
        (path / f"file{i}.txt").write_text(f"content {i}\n")
        git("add", ".")
        git("commit", "-q", "-m", f"feat: change {i}")
        git("tag", tag)
    return path


def event_file(tmp_path: Path, **release: object) -> Path:
    payload = json.loads((WEBHOOKS / "release" / "published.payload.json").read_text())
    payload["release"].update(release)
    path = tmp_path / "event.json"
    path.write_text(json.dumps(payload))
    return path


def assert_clean_failure(code: int, err: str, site: Path, expected: str) -> None:
    assert code != 0
    lines = [line for line in err.strip().splitlines() if ": done in " not in line]
    assert len(lines) == 1, err  # progress lines aside, one line says what went wrong
    assert lines[0].startswith("releasecast: error: ")
    assert expected in lines[0], lines[0]
    assert "Traceback" not in err
    assert not site.exists() or not any(site.rglob("*.md"))


NO_REEL = "reel:\n  enabled: false\n"


def no_reel_config(tmp_path: Path) -> Path:
    path = tmp_path / "releasecast.yml"
    path.write_text(NO_REEL)
    return path


def test_malformed_event_json(tmp_path: Path, repo: Path, capsys) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"action": "published", "release": {"tag_name": "v0.2.0",')
    site = tmp_path / "site"
    code, err = run_cli(capsys, "run", "--repo", str(repo), "--event", str(bad),
                        "--site", str(site))
    assert_clean_failure(code, err, site, str(bad.name))


def test_non_utf8_event(tmp_path: Path, repo: Path, capsys) -> None:
    bad = tmp_path / "latin1.json"
    bad.write_bytes('{"release": {"tag_name": "v0.2.0", "body": "caf\xe9"}}'.encode("latin-1"))
    site = tmp_path / "site"
    code, err = run_cli(capsys, "run", "--repo", str(repo), "--event", str(bad),
                        "--site", str(site))
    assert_clean_failure(code, err, site, "UTF-8")


def test_missing_tag(tmp_path: Path, repo: Path, capsys) -> None:
    site = tmp_path / "site"
    code, err = run_cli(capsys, "run", "--repo", str(repo), "--tag", "v9.9.9", "--site",
                        str(site))
    assert_clean_failure(code, err, site, "v9.9.9")


def test_not_a_git_repository(tmp_path: Path, capsys) -> None:
    site = tmp_path / "site"
    code, err = run_cli(capsys, "run", "--repo", str(tmp_path), "--tag", "v1.0.0", "--site",
                        str(site))
    assert_clean_failure(code, err, site, "not a git repository")


@pytest.mark.skipif(os.geteuid() == 0 and shutil.which("setpriv") is None,
                    reason="root ignores directory permissions")
def test_unwritable_site(tmp_path: Path, repo: Path, capsys) -> None:
    site = tmp_path / "site"
    site.mkdir()
    site.chmod(0o555)
    try:
        if os.access(site, os.W_OK):  # running as root: permissions do not bind
            site.chmod(0o755)
            site.rmdir()
            site.write_text("a file where the site should be")
        code, err = run_cli(capsys, "run", "--repo", str(repo), "--tag", "v0.2.0", "--site",
                            str(site), "--config", str(no_reel_config(tmp_path)))
        assert code != 0
        assert err.startswith("releasecast: error: site ")
        assert "Traceback" not in err
    finally:
        if site.is_dir():
            site.chmod(0o755)


def test_a_tag_with_a_slash_stays_inside_the_site(tmp_path: Path, repo: Path, capsys) -> None:
    site = tmp_path / "site"
    code = main(["run", "--repo", str(repo), "--tag", "v1/2", "--site", str(site), "--json",
                 "--config", str(no_reel_config(tmp_path))])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert Path(out["post"]).resolve().is_relative_to(site.resolve())
    assert Path(out["post"]).name.endswith("-repo-v1-2.md")


def test_an_event_tag_that_climbs_out_is_refused_or_contained(tmp_path: Path, repo: Path,
                                                                capsys) -> None:
    site = tmp_path / "site"
    event = event_file(tmp_path, tag_name="../../x", body="- Fix a thing")
    code = main(["run", "--repo", str(repo), "--event", str(event), "--site", str(site),
                 "--config", str(no_reel_config(tmp_path))])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert not (tmp_path / "x").exists() and not (tmp_path.parent / "x").exists()
    if code == 0:
        assert all(p.resolve().is_relative_to(site.resolve()) for p in site.rglob("*"))
    else:
        assert captured.err.startswith("releasecast: error: ")


def test_empty_body_and_huge_body(tmp_path: Path, repo: Path, capsys) -> None:
    config = no_reel_config(tmp_path)
    for body, name in (("", "empty"), ("\n".join(f"- Fix bug {i}" for i in range(5000)), "huge")):
        site = tmp_path / name
        event = event_file(tmp_path, tag_name="v0.2.0", body=body)
        code = main(["run", "--repo", str(repo), "--event", str(event), "--site", str(site),
                     "--json", "--config", str(config)])
        out = json.loads(capsys.readouterr().out)
        assert code == 0
        text = Path(out["post"]).read_text(encoding="utf-8")
        if name == "huge":
            assert "- Fix bug 99 " in text or "- Fix bug 99\n" in text
            assert "…and 4900 more in the [release notes]" in text


def test_usage_errors_are_one_line(capsys) -> None:
    code = main(["run", "--site", "x"])
    assert code == 2
    assert "give --tag, --event, or both" in capsys.readouterr().err


def test_an_unreachable_language_fails_before_rendering(tmp_path: Path, repo: Path,
                                                        capsys) -> None:
    site = tmp_path / "site"
    code, err = run_cli(capsys, "run", "--repo", str(repo), "--tag", "v0.2.0", "--site",
                        str(site), "--languages", "xx")
    assert_clean_failure(code, err, site, "cannot translate en to xx")
    assert "images: done" not in err and "narration: done" not in err  # nothing was rendered


def test_a_missing_voice_over_recording_is_one_clear_error(tmp_path: Path, repo: Path,
                                                           capsys) -> None:
    config = tmp_path / "releasecast.yml"
    config.write_text("voice:\n  recording: voice-over.m4a\n")
    site = tmp_path / "site"
    code, err = run_cli(capsys, "run", "--repo", str(repo), "--tag", "v0.2.0", "--site",
                        str(site), "--config", str(config))
    assert_clean_failure(code, err, site, "voice.recording: file not found")
    # config paths resolve from the repository root (README), wherever the config file is
    assert str(repo / "voice-over.m4a") in err
