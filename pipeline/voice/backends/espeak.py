"""espeak-ng: offline, fast, every language it ships a voice for.

The system ``espeak-ng`` program is used when it is on PATH (one process per sentence: 11
sentences take ~0.2 s in all, and processes run in parallel). Without it, the library and voice
data shipped in the ``espeakng-loader`` wheel are driven through ctypes, so a pip-only install
still speaks.
"""

from __future__ import annotations

import array
import ctypes
import os
import shutil
import threading
from pathlib import Path
from typing import Any

from ...config import VoiceOptions
from ...errors import InputError, ToolError
from ..pcm import Clip, write_wav

# espeak-ng's plain "en" is British English; the rest of the world expects en-US by default.
_DEFAULT_VOICES = {"en": "en-us"}


def voice_for(language: str, configured: str = "") -> str:
    if configured:
        return configured
    code = language.lower()
    return _DEFAULT_VOICES.get(code, code)


def _no_voice(voice: str, language: str) -> InputError:
    return InputError(
        f"espeak-ng has no voice {voice!r} (language {language!r}): set voice.voice to one "
        "listed by `espeak-ng --voices`"
    )


class EspeakBackend:
    name = "espeak"

    def __init__(self, options: VoiceOptions, *, executable: str | None = "auto") -> None:
        """``executable``: "auto" finds ``espeak-ng`` on PATH; None forces the bundled library."""
        self.voice = options.voice
        self.rate = options.rate
        self.executable = shutil.which("espeak-ng") if executable == "auto" else executable
        # The library keeps global state (one voice, one callback): one sentence at a time.
        self.concurrency = (os.cpu_count() or 1) if self.executable else 1

    def synthesize(self, text: str, language: str, out: Path) -> Path:
        voice = voice_for(language, self.voice)
        if self.executable:
            self._run_program(text, voice, language, out)
        else:
            write_wav(out, _library().speak(text, voice, self.rate, language))
        return out

    def _run_program(self, text: str, voice: str, language: str, out: Path) -> None:
        import subprocess

        # Text goes through stdin as UTF-8, so a sentence starting with "-" is never an option.
        args = [self.executable or "espeak-ng", "-v", voice, "-s", str(self.rate), "-b", "1",
                "-w", str(out), "--stdin"]
        try:
            proc = subprocess.run(
                args, input=text.encode("utf-8"), capture_output=True, timeout=60, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ToolError(f"espeak-ng could not run: {exc}") from None
        if proc.returncode != 0 or not out.exists():
            message = proc.stderr.decode("utf-8", "replace").strip()
            if "voice does not exist" in message:
                raise _no_voice(voice, language)
            raise ToolError(f"espeak-ng failed (exit {proc.returncode}): {message[-300:]}")


# --- the bundled library, through ctypes -------------------------------------------------------

_AUDIO_OUTPUT_SYNCHRONOUS = 2  # espeak_AUDIO_OUTPUT: callback gets the samples, Synth blocks
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_PARAM_RATE = 1
_EE_OK = 0
_SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)


class _Library:
    """libespeak-ng from the espeakng-loader wheel, initialized once per process."""

    def __init__(self) -> None:
        try:
            import espeakng_loader
        except ImportError:
            raise ToolError(
                "espeak-ng not found: install it (scripts/install-system-deps.sh) or "
                "`pip install espeakng-loader`"
            ) from None
        lib = ctypes.CDLL(espeakng_loader.get_library_path())
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_Synth.argtypes = [
            ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
            ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p,
        ]
        lib.espeak_SetSynthCallback.argtypes = [_SynthCallback]
        # path: the directory that *contains* espeak-ng-data
        data_parent = str(Path(espeakng_loader.get_data_path()).parent).encode()
        self.rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data_parent, 0)
        if self.rate <= 0:
            raise ToolError("the bundled espeak-ng library failed to initialize")
        self._chunks: list[bytes] = []
        self._callback = _SynthCallback(self._collect)  # kept alive as long as the library
        lib.espeak_SetSynthCallback(self._callback)
        self._lib = lib
        self.lock = threading.Lock()

    def _collect(self, wav: Any, count: int, _events: int) -> int:  # wav: short*
        if wav and count > 0:
            self._chunks.append(ctypes.string_at(wav, count * 2))
        return 0  # continue

    def speak(self, text: str, voice: str, rate: int, language: str) -> Clip:
        data = text.encode("utf-8") + b"\0"
        with self.lock:
            if self._lib.espeak_SetVoiceByName(voice.encode()) != _EE_OK:
                raise _no_voice(voice, language)
            self._lib.espeak_SetParameter(_PARAM_RATE, rate, 0)
            self._chunks = []
            status = self._lib.espeak_Synth(
                data, len(data), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None
            )
            self._lib.espeak_Synchronize()
            chunks, self._chunks = self._chunks, []
        if status != _EE_OK:
            raise ToolError(f"the bundled espeak-ng library failed to speak (error {status})")
        samples = array.array("h")
        samples.frombytes(b"".join(chunks))
        return Clip(samples, self.rate)


_instance: _Library | None = None
_instance_lock = threading.Lock()


def _library() -> _Library:
    global _instance
    with _instance_lock:
        if _instance is None:
            _instance = _Library()
        return _instance
