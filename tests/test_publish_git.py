"""BlogCheckout: commits and race-safe pushes against real bare repositories."""

from __future__ import annotations

from pathlib import Path

import pytest
from action_runner import bare_repo, commit_count, git, tree

from pipeline.blog.git import (
    ACTIONS_BOT,
    BlogCheckout,
    GitAuth,
    remote_default_branch,
)
from pipeline.errors import PublishError
from pipeline.retry import RetryPolicy

FAST = RetryPolicy(attempts=4, initial_wait=0.01, max_wait=0.05)


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    return bare_repo(tmp_path / "blog.git", seed={"index.md": "# Blog\n"})


def clone(remote: Path, dest: Path, retry: RetryPolicy = FAST) -> BlogCheckout:
    return BlogCheckout.clone(f"file://{remote}", "main", dest, retry=retry)


def write(checkout: BlogCheckout, name: str, text: str) -> str:
    path = checkout.path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return name


def test_commit_is_by_the_bot_and_nothing_changed_means_no_commit(remote: Path,
                                                                   tmp_path: Path) -> None:
    a = clone(remote, tmp_path / "a")
    sha = a.commit([write(a, "_posts/p.md", "hello\n")], "Add post")
    assert sha and a.push() == sha
    assert git("--git-dir", str(remote), "log", "-1", "--format=%an|%ae|%cn", "main") == \
        f"{ACTIONS_BOT.name}|{ACTIONS_BOT.email}|{ACTIONS_BOT.name}"

    b = clone(remote, tmp_path / "b")
    assert b.commit([write(b, "_posts/p.md", "hello\n")], "Add post again") is None
    assert commit_count(remote) == 2


def test_deleted_files_under_staged_paths_are_committed(remote: Path, tmp_path: Path) -> None:
    a = clone(remote, tmp_path / "a")
    a.commit([write(a, "assets/x/one.png", "1"), write(a, "assets/x/two.png", "2")], "Add")
    a.push()
    b = clone(remote, tmp_path / "b")
    (b.path / "assets/x/two.png").unlink()
    assert b.commit(["assets/x"], "Drop a slide")
    b.push()
    assert "assets/x/two.png" not in tree(remote) and "assets/x/one.png" in tree(remote)


def test_push_rejected_by_a_newer_tip_is_rebased_and_retried(remote: Path,
                                                             tmp_path: Path) -> None:
    a, b = clone(remote, tmp_path / "a"), clone(remote, tmp_path / "b")
    a.commit([write(a, "_posts/a.md", "A\n")], "Add A")
    b.commit([write(b, "_posts/b.md", "B\n")], "Add B")
    a.push()
    retries: list[str] = []
    tip = b.push(on_retry=retries.append)
    assert len(retries) == 1 and "push rejected" in retries[0]
    assert tip == git("--git-dir", str(remote), "rev-parse", "main")
    assert {"_posts/a.md", "_posts/b.md", "index.md"} <= set(tree(remote))
    assert git("--git-dir", str(remote), "log", "--format=%s", "main").splitlines() == \
        ["Add B", "Add A", "Blog"]


def test_concurrent_change_to_the_same_file_keeps_ours_on_top(remote: Path,
                                                               tmp_path: Path) -> None:
    """The same release published twice at once: the rebase conflicts, and the later run's
    files are written again on top of whatever else landed."""
    a, b = clone(remote, tmp_path / "a"), clone(remote, tmp_path / "b")
    a.commit([write(a, "_posts/p.md", "first run\n"), write(a, "other.md", "A's\n")], "A")
    b.commit([write(b, "_posts/p.md", "second run\n")], "B")
    a.push()
    b.push()
    assert git("--git-dir", str(remote), "show", "main:_posts/p.md") == "second run"
    assert git("--git-dir", str(remote), "show", "main:other.md") == "A's"


def test_identical_concurrent_run_leaves_nothing_to_push(remote: Path, tmp_path: Path) -> None:
    a, b = clone(remote, tmp_path / "a"), clone(remote, tmp_path / "b")
    a.commit([write(a, "_posts/p.md", "same\n")], "A")
    b.commit([write(b, "_posts/p.md", "same\n")], "B")
    pushed = a.push()
    assert b.push() == pushed
    assert commit_count(remote) == 2


def test_retries_are_bounded(remote: Path, tmp_path: Path) -> None:
    """A rival lands a commit each time we have rebased (from our clone's post-rewrite hook,
    i.e. between our fetch and our push): after the last attempt, a clear error."""
    rival = clone(remote, tmp_path / "rival")
    ours = clone(remote, tmp_path / "ours",
                 RetryPolicy(attempts=3, initial_wait=0.01, max_wait=0.02))
    ours.commit([write(ours, "_posts/ours.md", "ours\n")], "Ours")
    rival_push = (f"cd {rival.path} && n=$(ls | wc -l) && echo $n > rival-$n.md && "
                  "git add -A && git -c user.name=r -c user.email=r@x commit -qm rival && "
                  "git push -q origin HEAD:main")
    hook = ours.path / ".git/hooks/post-rewrite"
    hook.write_text(f"#!/bin/sh\nunset GIT_DIR GIT_INDEX_FILE GIT_WORK_TREE\n({rival_push})\n")
    hook.chmod(0o755)
    write(rival, "rival-0.md", "0")
    git("add", "-A", cwd=rival.path)
    git("-c", "user.name=r", "-c", "user.email=r@x", "commit", "-qm", "rival", cwd=rival.path)
    git("push", "-q", "origin", "HEAD:main", cwd=rival.path)

    with pytest.raises(PublishError, match="still rejected after 3 attempts"):
        ours.push()
    assert "_posts/ours.md" not in tree(remote)


def test_missing_branch_is_created_by_the_first_push(remote: Path, tmp_path: Path) -> None:
    a = BlogCheckout.clone(f"file://{remote}", "gh-pages", tmp_path / "a", retry=FAST)
    assert not a.exists_on_remote
    a.commit([write(a, "p.md", "x")], "First")
    a.push()
    assert tree(remote, "gh-pages") == ["p.md"]
    assert remote_default_branch(f"file://{remote}") == "main"


def test_unreachable_remote_and_refusals_are_one_line(remote: Path, tmp_path: Path) -> None:
    with pytest.raises(PublishError, match="cannot read the blog repository"):
        BlogCheckout.clone(f"file://{tmp_path}/nope.git", "main", tmp_path / "x")
    hook = remote / "hooks/pre-receive"
    hook.write_text("#!/bin/sh\necho 'pushes are frozen' >&2\nexit 1\n")
    hook.chmod(0o755)
    a = clone(remote, tmp_path / "a")
    a.commit([write(a, "p.md", "x")], "Blocked")
    with pytest.raises(PublishError) as caught:
        a.push()
    message = str(caught.value)
    assert "pushes are frozen" in message and "pre-receive hook declined" in message
    assert "\n" not in message


def test_token_travels_in_a_scoped_header_and_is_scrubbed() -> None:
    auth = GitAuth("ghs_secret", "https://github.example.com")
    from pipeline.blog.git import Git

    g = Git(Path("."), auth=auth)
    env = g.env()
    keys = {env[f"GIT_CONFIG_KEY_{i}"]: env[f"GIT_CONFIG_VALUE_{i}"]
            for i in range(int(env["GIT_CONFIG_COUNT"]))}
    assert keys["http.https://github.example.com/.extraheader"] == \
        "AUTHORIZATION: basic eC1hY2Nlc3MtdG9rZW46Z2hzX3NlY3JldA=="
    assert env["GIT_TERMINAL_PROMPT"] == "0"
    assert g.scrub("fatal: ghs_secret eC1hY2Nlc3MtdG9rZW46Z2hzX3NlY3JldA==") == "fatal: *** ***"


def test_backoff_grows_and_is_capped() -> None:
    policy = RetryPolicy(attempts=6, initial_wait=1.0, max_wait=8.0)
    for failures, base in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (5, 8.0)]:
        for _ in range(20):
            assert 0.5 * base <= policy.wait(failures) <= 1.5 * base


def test_two_runs_creating_the_same_new_branch_both_land(remote: Path, tmp_path: Path) -> None:
    a = BlogCheckout.clone(f"file://{remote}", "gh-pages", tmp_path / "a", retry=FAST)
    b = BlogCheckout.clone(f"file://{remote}", "gh-pages", tmp_path / "b", retry=FAST)
    a.commit([write(a, "_posts/a.md", "A")], "A")
    b.commit([write(b, "_posts/b.md", "B")], "B")
    a.push()
    b.push()
    assert tree(remote, "gh-pages") == ["_posts/a.md", "_posts/b.md"]
