"""Apertium: rule-based, offline translation with the language pairs installed on the machine.

Debian packages the pairs (``apertium-eng-spa``, ``apertium-en-ca``, ...); ``apertium -l`` lists
the modes they install, named with ISO 639-3 codes (``eng-spa``, ``eng-cat``).
"""

from __future__ import annotations

import shutil
import subprocess
from functools import cache

from ..errors import ToolError
from . import TranslationError, Translator
from .languages import base_code, iso639_3

TIMEOUT = 120  # seconds for one batch


@cache
def apertium_exe() -> str:
    found = shutil.which("apertium")
    if not found:
        raise ToolError(
            "apertium not found: install apertium and a language pair, e.g. apertium-eng-spa "
            "(scripts/install-system-deps.sh)"
        )
    return found


@cache
def installed_modes() -> tuple[str, ...]:
    proc = subprocess.run([apertium_exe(), "-l"], capture_output=True, text=True, check=False)
    # `apertium -l` prints the modes indented, one per line; errors go to stderr
    return tuple(line.strip() for line in proc.stdout.splitlines() if line.strip())


def mode_for(source: str, target: str) -> str | None:
    modes = installed_modes()
    for candidate in (f"{iso639_3(source)}-{iso639_3(target)}",
                      f"{base_code(source)}-{base_code(target)}"):
        if candidate in modes:
            return candidate
    return None


class ApertiumTranslator(Translator):
    name = "apertium"

    def check(self, source: str, target: str) -> None:
        if mode_for(source, target) is None:
            prefix = f"{iso639_3(source)}-"
            pair = prefix + iso639_3(target)
            near = [m for m in installed_modes() if m.startswith(prefix) and "_" not in m]
            raise TranslationError(
                f"apertium cannot translate {source} to {target}: mode {pair} is not installed "
                f"(installed from {source}: {', '.join(near) or 'none'}); install the Debian "
                f"package for the pair or set translator: marian, gemini or openai"
            )

    def _translate(self, texts: list[str], source: str, target: str) -> list[str]:
        mode = mode_for(source, target)
        assert mode is not None  # check() ran first
        # one process for the whole batch: Apertium keeps line breaks, one text per line
        lines = self._run(mode, "\n".join(t.replace("\n", " ") for t in texts))
        if len(lines) == len(texts):
            return lines
        return [self._run(mode, text)[0] if text.strip() else text for text in texts]

    def _run(self, mode: str, text: str) -> list[str]:
        try:
            proc = subprocess.run(
                [apertium_exe(), "-u", mode], input=text + "\n", capture_output=True,
                text=True, timeout=TIMEOUT, check=False,
            )
        except subprocess.TimeoutExpired:
            raise ToolError(f"apertium {mode}: timed out after {TIMEOUT} s") from None
        if proc.returncode != 0:
            tail = " | ".join(proc.stderr.strip().splitlines()[-2:])
            raise ToolError(f"apertium {mode} failed (exit {proc.returncode}): {tail}")
        return proc.stdout.rstrip("\n").split("\n")
