"""Config mistakes a maintainer makes in `.github/releasecast.yml`, reported in one line that
says where and why, and the one rule for relative paths: the repository root."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from pipeline.config import load_config, repository_root
from pipeline.errors import ConfigError


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_invalid_yaml_gives_line_column_and_reason(tmp_path: Path) -> None:
    path = write(tmp_path / "releasecast.yml", "brand:\n  name: Acme\n   logo: x.png\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert message == (f"{path}: invalid YAML (line 3, column 8): "
                       "mapping values are not allowed here")
    assert "\n" not in message


def test_unquoted_hex_colour_says_to_quote_it(tmp_path: Path) -> None:
    path = write(tmp_path / "releasecast.yml", "brand:\n  colors:\n    accent: #38bdf8\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert "brand.colors.accent:" in message
    assert 'quote hex colours in YAML, e.g. accent: "#38bdf8"' in message
    assert "got None" not in message
    quoted = write(tmp_path / "quoted.yml", 'brand:\n  colors:\n    accent: "#38bdf8"\n')
    assert load_config(quoted).brand.colors.accent == "#38bdf8"


def test_a_templates_folder_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    path = write(repo / ".github/releasecast.yml", "templates: .github/releasecast\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == (f"{path}: templates: {repo / '.github/releasecast'} is not a "
                               "directory (paths are relative to the repository root)")
    (repo / ".github/releasecast").mkdir()
    assert load_config(path).templates == repo / ".github/releasecast"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "tool"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "art").mkdir()
    return repo


def test_paths_resolve_from_the_repository_root_wherever_the_file_is(repo: Path) -> None:
    text = "brand:\n  logo: art/logo.png\nreel:\n  music: art/theme.mp3\n"
    for place in [".github/releasecast.yml", "releasecast.yml", "config/blog/releasecast.yml"]:
        config = load_config(write(repo / place, text))
        assert config.brand.logo == repo / "art/logo.png", place
        assert config.reel.music == repo / "art/theme.mp3", place
        assert repository_root(repo / place) == repo


def test_a_caller_that_knows_the_root_names_it(repo: Path, tmp_path: Path) -> None:
    # `releasecast run --repo tool --config elsewhere.yml`: the repository is --repo.
    path = write(tmp_path / "elsewhere" / "releasecast.yml", "brand:\n  logo: art/logo.png\n")
    assert load_config(path, root=repo).brand.logo == repo / "art/logo.png"
