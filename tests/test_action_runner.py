"""The runner contract in pipeline/runner.py: inputs, workflow commands, outputs, summary."""

from __future__ import annotations

import io
import os
import subprocess
from pathlib import Path

import pytest
from action_runner import parse_output_file

from pipeline.errors import InputError
from pipeline.runner import (
    Commands,
    Inputs,
    RunnerContext,
    append_summary,
    input_env_name,
    trust_directory,
    write_outputs,
)


def test_input_names_keep_hyphens_and_turn_spaces_into_underscores() -> None:
    assert input_env_name("site-path") == "INPUT_SITE-PATH"
    assert input_env_name("my input") == "INPUT_MY_INPUT"
    inputs = Inputs({"INPUT_SITE-PATH": "  docs \n", "INPUT_DRY-RUN": "TRUE",
                     "INPUT_INCLUDE-PRERELEASES": "yes", "INPUT_MODE": "push"})
    assert inputs.text("site-path") == "docs"
    assert inputs.text("missing", "fallback") == "fallback"
    assert inputs.flag("dry-run") is True and inputs.flag("absent") is False
    with pytest.raises(InputError, match="input 'include-prereleases': expected true or false"):
        inputs.flag("include-prereleases")
    with pytest.raises(InputError, match="expected one of push, pull-request, got 'pr'"):
        Inputs({"INPUT_MODE": "pr"}).choice("mode", ("push", "pull-request"), "push")
    with pytest.raises(InputError, match="input 'token' is required"):
        inputs.text("token", required=True)


def test_workflow_commands_escape_data_and_properties() -> None:
    out = io.StringIO()
    cmd = Commands(out)
    cmd.warning("50% done\nnext line\r", title="a: b, c")
    cmd.mask("line one\nline two\n")
    cmd.notice("plain")
    with cmd.group("Build"):
        cmd.error("boom")
    assert out.getvalue().splitlines() == [
        "::warning title=a%3A b%2C c::50%25 done%0Anext line%0D",
        "::add-mask::line one",
        "::add-mask::line two",
        "::notice::plain",
        "::group::Build",
        "::error::boom",
        "::endgroup::",
    ]


def test_outputs_survive_newlines_and_lookalike_delimiters(tmp_path: Path) -> None:
    path = tmp_path / "output"
    values = {"image-paths": "a.png\nb.png\n\nc.png", "tricky": "EOF\nghadelimiter_x\n<<",
              "empty": "", "post-url": "https://x.example/a=b"}
    write_outputs(path, values)
    write_outputs(path, {"later": "1"})  # the runner's file is appended to, never replaced
    assert parse_output_file(path.read_text()) == {**values, "later": "1"}
    delimiters = [ln.split("<<")[1] for ln in path.read_text().splitlines() if "<<ghadelim" in ln]
    assert len(set(delimiters)) == len(delimiters) == 5
    write_outputs(None, values)  # outside a runner: nothing to write, no error


def test_summary_appends_markdown(tmp_path: Path) -> None:
    path = tmp_path / "summary.md"
    path.write_text("# From an earlier step\n")
    append_summary(path, "### releasecast\n\n| a | b |")
    assert path.read_text() == "# From an earlier step\n### releasecast\n\n| a | b |\n"


def test_context_from_the_runner_environment(tmp_path: Path) -> None:
    ctx = RunnerContext.from_env({"GITHUB_REPOSITORY": "acme/tool", "GITHUB_RUN_ID": "7",
                                  "GITHUB_SERVER_URL": "https://ghe.example.com/",
                                  "GITHUB_WORKSPACE": str(tmp_path)})
    assert ctx.server_url == "https://ghe.example.com" and ctx.api_url == "https://api.github.com"
    assert ctx.run_url == "https://ghe.example.com/acme/tool/actions/runs/7"
    assert ctx.workspace == tmp_path and ctx.event_path is None
    with pytest.raises(InputError, match="GITHUB_EVENT_PATH is not set"):
        ctx.load_event()


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to hand the repository to another uid")
def test_trust_directory_lets_git_read_a_repository_someone_else_owns(tmp_path: Path) -> None:
    repo = tmp_path / "ws"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(["chown", "-R", "4242:4242", str(repo)], check=True)
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path),
           "GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "core.pager", "GIT_CONFIG_VALUE_0": "cat"}
    refused = subprocess.run(["git", "-C", str(repo), "status"], env=env, capture_output=True,
                             text=True)
    assert refused.returncode != 0 and "dubious ownership" in refused.stderr
    trust_directory(repo, env)
    assert env["GIT_CONFIG_COUNT"] == "2" and env["GIT_CONFIG_KEY_0"] == "core.pager"
    allowed = subprocess.run(["git", "-C", str(repo), "status"], env=env, capture_output=True,
                             text=True)
    assert allowed.returncode == 0, allowed.stderr
    assert not (tmp_path / ".gitconfig").exists()  # nothing written to a global config
