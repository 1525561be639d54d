"""Loudness normalization in-process (PyAV's FFmpeg filters), checked by the ffmpeg program's
own EBU R128 meter: -14 LUFS ±1, true peak <= -1 dBTP, 48 kHz stereo, exact length."""

from __future__ import annotations

import shutil
import wave
from pathlib import Path

import pytest
from audio_samples import ebur128

from pipeline.errors import ToolError
from pipeline.voice import loudness
from pipeline.voice.pcm import read_clip

np = pytest.importorskip("numpy")
av = pytest.importorskip("av")

pytestmark = pytest.mark.skipif(not shutil.which("ffmpeg"),
                                reason="the independent meter is the ffmpeg program")


def speechlike(seconds: float, rate: int, *, peaky: bool, level: float = 0.1) -> np.ndarray:
    """Syllable-long bursts of a voiced harmonic tone with pauses; ``peaky`` adds sharp clicks
    far above the bursts' level (synthetic speech's high peak-to-loudness ratio)."""
    t = np.arange(int(seconds * rate)) / rate
    tone = sum(np.sin(2 * np.pi * 140 * k * t) / k for k in range(1, 12))
    envelope = (np.sin(2 * np.pi * 3.1 * t) > 0.2) * (np.sin(2 * np.pi * 0.4 * t) > -0.5)
    signal = level * tone * envelope / np.max(np.abs(tone))
    if peaky:
        signal[:: rate // 3] = 0.95  # a click every third of a second
    return signal


def write_mono16(path: Path, signal: np.ndarray, rate: int) -> Path:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes((np.clip(signal, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def write_stereo_float(path: Path, signal: np.ndarray, rate: int) -> Path:
    """Float stereo at another rate (what a cloud voice or a recording may be), via PyAV."""
    with av.open(str(path), "w", format="wav") as out:
        stream = out.add_stream("pcm_f32le", rate=rate, layout="stereo")
        planar = np.vstack([signal, signal * 0.5]).astype(np.float32)
        frame = av.AudioFrame.from_ndarray(planar, format="fltp", layout="stereo")
        frame.sample_rate = rate
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


@pytest.mark.parametrize(("rate", "peaky", "level"),
                         [(22050, True, 0.05), (24000, False, 0.6), (16000, True, 0.9)])
def test_normalized_narration_meets_the_target_on_an_independent_meter(
        tmp_path, rate, peaky, level):
    source = write_mono16(tmp_path / "raw.wav", speechlike(12, rate, peaky=peaky, level=level),
                          rate)
    samples = 13 * loudness.SAMPLE_RATE + 7  # longer than the speech: padded with silence
    target = tmp_path / "narration.wav"
    result = loudness.normalize(source, target, samples=samples)
    with wave.open(str(target)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (48000, 2, 2)
        assert wav.getnframes() == samples
    level_lufs, peak = ebur128(target)
    assert level_lufs == pytest.approx(loudness.TARGET_LUFS, abs=loudness.TOLERANCE_LU)
    assert peak <= loudness.TARGET_TP
    assert result.integrated == pytest.approx(level_lufs, abs=0.2)
    assert result.true_peak == pytest.approx(peak, abs=0.2)
    assert loudness.measure(target) == pytest.approx(result, abs=0.2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["narration.wav", "raw.wav"]


def test_a_shorter_length_cuts_the_narration_exactly(tmp_path):
    source = write_mono16(tmp_path / "raw.wav", speechlike(6, 22050, peaky=False), 22050)
    target = tmp_path / "out.wav"
    loudness.normalize(source, target, samples=48000 * 5 + 1)
    with wave.open(str(target)) as wav:
        assert wav.getnframes() == 48000 * 5 + 1


def test_other_formats_are_decoded_and_resampled_in_process(tmp_path):
    signal = speechlike(4, 44100, peaky=False, level=0.5)
    source = write_stereo_float(tmp_path / "voice.wav", signal, 44100)
    clip = read_clip(source, 22050)
    assert clip.rate == 22050
    assert len(clip.samples) == pytest.approx(4 * 22050, abs=64)
    # the left channel's level (the louder one) survives the downmix within a few dB
    peak = max(abs(s) for s in clip.samples) / 32767
    assert 0.25 < peak < 0.6


def test_integrated_reads_only_the_first_seconds_when_asked(tmp_path):
    rate = 48000
    loud = speechlike(3, rate, peaky=False, level=0.8)
    quiet = speechlike(9, rate, peaky=False, level=0.3)
    source = write_mono16(tmp_path / "music.wav", np.concatenate([loud, quiet]), rate)
    first = loudness.integrated(source, seconds=3)
    whole = loudness.integrated(source)
    assert first > whole + 3
    assert first == pytest.approx(loudness.integrated(
        write_mono16(tmp_path / "loud.wav", loud, rate)), abs=0.3)


def test_silence_and_non_audio_are_one_line_errors(tmp_path):
    silent = write_mono16(tmp_path / "silent.wav", np.zeros(22050 * 3), 22050)
    with pytest.raises(ToolError, match="the narration is silent"):
        loudness.normalize(silent, tmp_path / "out.wav", samples=48000)
    assert loudness.integrated(silent) <= loudness.SILENT_LUFS
    text = tmp_path / "notes.wav"
    text.write_text("not audio at all\n" * 50)
    for call in (lambda: loudness.integrated(text), lambda: loudness.measure(text),
                 lambda: read_clip(text)):
        with pytest.raises(ToolError) as error:
            call()
        assert "notes.wav" in str(error.value) and "\n" not in str(error.value)
    assert not (tmp_path / "out.wav").exists()
