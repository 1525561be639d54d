"""A repository's `.github/releasecast.yml` as the App reads it: the pipeline's options plus
the `app:` section, with one-line errors naming the key."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from app.release_job import git_credentials, read_repository_config, youtube_access
from pipeline.blog.git import GitAuth
from pipeline.errors import ConfigError, InputError
from pipeline.plan import PublishRequest


def write_config(root: Path, text: str) -> Path:
    (root / ".github").mkdir(parents=True, exist_ok=True)
    (root / ".github" / "releasecast.yml").write_text(text)
    return root


def test_no_config_means_defaults(tmp_path: Path) -> None:
    config, target = read_repository_config(tmp_path)
    assert config.reel.enabled is True
    assert target == PublishRequest()
    assert target.publish_mode == "push" and target.site_path == "."


def test_app_section_and_pipeline_options(tmp_path: Path) -> None:
    write_config(tmp_path, "brand:\n  logo: art/logo.png\nreel:\n  enabled: false\n"
                           "app:\n  blog_repository: acme/blog\n  site_path: docs\n"
                           "  publish_mode: pull-request\n  youtube:\n    privacy: public\n")
    config, target = read_repository_config(tmp_path)
    assert config.reel.enabled is False
    assert config.brand.logo == tmp_path / "art/logo.png"  # relative to the repository root
    assert target.blog_repository == "acme/blog" and target.site_path == "docs"
    assert target.publish_mode == "pull-request"
    assert target.youtube is not None and target.youtube.privacy == "public"


@pytest.mark.parametrize(("text", "expected"), [
    ("app:\n  blog_repo: acme/blog\n", "app.blog_repo: unknown key"),
    ("app:\n  blog_repository: not a repo\n", "app.blog_repository: expected OWNER/NAME"),
    ("app:\n  site_path: ../outside\n", "app.site_path: expected a path inside"),
    ("app:\n  publish_mode: email\n", "app.publish_mode"),
    ("app:\n  blog_remote_url: file:///srv/other\n", "app.blog_remote_url: expected an https://"),
    ("app:\n  blog_remote_url: 'ext::sh -c touch% /tmp/pwned'\n", "expected an https://"),
    ("reel:\n  zoooom: true\n", "reel.zoooom: unknown key"),
    ("reel: [unclosed\n", "invalid YAML (line"),
])
def test_bad_config_is_one_line_naming_the_key(tmp_path: Path, text: str, expected: str) -> None:
    write_config(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        read_repository_config(tmp_path)
    message = str(caught.value)
    assert message.startswith(".github/releasecast.yml: ")
    assert expected in message and "\n" not in message


def test_youtube_needs_the_apps_credentials(tmp_path: Path) -> None:
    write_config(tmp_path, "app:\n  youtube: {}\n")
    _, target = read_repository_config(tmp_path)
    with pytest.raises(InputError, match="no YouTube credentials"):
        youtube_access(target, None)
    assert youtube_access(PublishRequest(), None) is None


def test_git_gets_the_token_scoped_and_only_http_transports(tmp_path: Path) -> None:
    before = {k: v for k, v in os.environ.items() if k.startswith("GIT_")}
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    with git_credentials(GitAuth("ghs_secret", "https://github.example")):
        assert os.environ["GIT_ALLOW_PROTOCOL"] == "https:http"
        count = int(os.environ["GIT_CONFIG_COUNT"])
        assert os.environ[f"GIT_CONFIG_KEY_{count - 1}"] == \
            "http.https://github.example/.extraheader"
        refused = subprocess.run(["git", "ls-remote", f"file://{bare}"], capture_output=True,
                                 text=True)
        assert refused.returncode != 0 and "transport 'file' not allowed" in refused.stderr
    assert {k: v for k, v in os.environ.items() if k.startswith("GIT_")} == before
