"""Running the ``git`` program: the one place that starts it and hands it configuration.

Configuration goes through ``GIT_CONFIG_COUNT``/``GIT_CONFIG_KEY_n``/``GIT_CONFIG_VALUE_n``
variables: command-scope settings that reach every git started with that environment (our
own, and the ones git starts itself, e.g. lazy blob fetches of a partial clone), count as
protected configuration (``safe.directory`` is honoured), and leave no file behind.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Mapping, MutableMapping, Sequence
from pathlib import Path

from .errors import ReleasecastError, ToolError

# Untranslated messages (we parse them), never a prompt, a pager or a credential dialog.
QUIET = {"LC_ALL": "C", "LANGUAGE": "C", "GIT_TERMINAL_PROMPT": "0", "GCM_INTERACTIVE": "never",
         "GIT_PAGER": "cat"}


def add_config(env: MutableMapping[str, str], pairs: Iterable[tuple[str, str]]) -> None:
    """Append ``key=value`` settings to the command-scope configuration in ``env``."""
    try:
        count = int(env.get("GIT_CONFIG_COUNT", "0") or 0)
    except ValueError:
        count = 0
    for key, value in pairs:
        env[f"GIT_CONFIG_KEY_{count}"] = key
        env[f"GIT_CONFIG_VALUE_{count}"] = value
        count += 1
    env["GIT_CONFIG_COUNT"] = str(count)


def git_env(config: Iterable[tuple[str, str]] = (), base: Mapping[str, str] | None = None,
            **extra: str) -> dict[str, str]:
    """The environment for one git: ``base`` (ours by default), :data:`QUIET`, ``extra``
    variables and ``config`` settings."""
    env = dict(os.environ if base is None else base)
    env.update(QUIET)
    env.update(extra)
    add_config(env, config)
    return env


def run_git(args: Sequence[str], *, cwd: Path, env: Mapping[str, str] | None = None,
            timeout: float = 600.0, slow: type[ReleasecastError] = ToolError,
            options: Sequence[str] = ()) -> subprocess.CompletedProcess[bytes]:
    """Run ``git OPTIONS ARGS`` in ``cwd`` (a fixed argument list, never a shell string) and
    return the finished process, whatever its exit status; output is bytes, for the caller to
    decode. Running past ``timeout`` seconds raises ``slow``.
    """
    try:
        return subprocess.run(  # nosec B603 - an argument list, never a shell string
            ["git", *options, *args], cwd=cwd, env=dict(env) if env is not None else git_env(),
            stdin=subprocess.DEVNULL, capture_output=True, check=False, timeout=timeout,
        )
    except FileNotFoundError:
        raise ToolError("git is not installed (scripts/install-system-deps.sh)") from None
    except subprocess.TimeoutExpired:
        raise slow(f"git {args[0] if args else ''} took longer than {timeout:.0f} s") from None
