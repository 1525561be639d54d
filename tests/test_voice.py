"""The voice stage on real espeak-ng speech: timing, captions, loudness, fitting the duration."""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess
import wave
from pathlib import Path

import pytest
from audio_samples import decode_mono, ebur128, rms_db
from factories import sample_facts

from pipeline.config import Config, VoiceOptions
from pipeline.errors import ConfigError, InputError
from pipeline.story import write_story
from pipeline.structure import Narration, Slide, SlideKind, Story
from pipeline.voice import narrate
from pipeline.voice.backends import SpeechBackend, get_backend
from pipeline.voice.backends.espeak import EspeakBackend
from pipeline.voice.timeline import FPS

pytestmark = pytest.mark.skipif(
    not (shutil.which("espeak-ng") and shutil.which("ffmpeg")),
    reason="needs espeak-ng and ffmpeg (scripts/install-system-deps.sh)",
)

RATE = 48000
# These tests pin the program the voice stage drives: espeak-ng (the Piper voice has its own).
ESPEAK = VoiceOptions(backend="espeak")


def story() -> Story:
    """The template writer's story for a realistic release: 6 slides, 14 sentences."""
    return write_story(sample_facts(), Config())


@pytest.fixture(scope="module")
def narration(tmp_path_factory) -> Narration:
    return narrate(story(), ESPEAK, tmp_path_factory.mktemp("voice"))


def test_every_sentence_is_a_cue_on_its_own_slide(narration):
    spoken = [sentence for slide in story().slides for sentence in slide.narration]
    assert [cue.text for cue in narration.cues] == spoken
    expected_slides = [i for i, slide in enumerate(story().slides) for _ in slide.narration]
    assert [cue.slide for cue in narration.cues] == expected_slides
    assert narration.language == "en"


def test_audio_file_is_48k_stereo_and_as_long_as_the_narration(narration):
    with wave.open(str(narration.audio)) as wav:
        assert wav.getframerate() == RATE
        assert wav.getnchannels() == 2
        assert wav.getnframes() == round(narration.duration * RATE)
    assert narration.duration * FPS == pytest.approx(round(narration.duration * FPS))
    assert 15 <= narration.duration <= 60


def test_loudness_is_minus_14_lufs_with_true_peak_under_minus_1(narration):
    level, peak = ebur128(narration.audio)
    assert level == pytest.approx(-14, abs=1)
    assert peak <= -1.0
    assert narration.loudness_lufs == pytest.approx(level, abs=0.2)
    assert narration.true_peak_dbtp == pytest.approx(peak, abs=0.2)


def test_cues_are_ordered_inside_the_audio_and_inside_their_slide(narration):
    cues = narration.cues
    for cue in cues:
        assert 0 <= cue.start < cue.end <= narration.duration
    for before, after in itertools.pairwise(cues):
        assert before.end <= after.start
    fade = narration.slides[0].end - narration.slides[1].start
    assert fade == pytest.approx(0.5)
    for cue in cues:
        timing = narration.slides[cue.slide]
        # inside the slide, and never during a crossfade
        visible_from = timing.start + (fade if cue.slide else 0)
        visible_to = timing.end - (fade if cue.slide < len(narration.slides) - 1 else 0)
        assert visible_from <= cue.start and cue.end <= visible_to


def test_slides_cover_the_narration_overlapping_by_the_crossfade(narration):
    timings = narration.slides
    assert len(timings) == len(story().slides)
    assert timings[0].start == 0
    assert timings[-1].end == pytest.approx(narration.duration)
    for before, after in itertools.pairwise(timings):
        assert before.end - after.start == pytest.approx(0.5)
        for edge in (after.start, before.end):
            assert edge * FPS == pytest.approx(round(edge * FPS))  # on a frame


def test_cue_spans_are_the_real_speech(narration):
    samples = decode_mono(narration.audio)
    cues = narration.cues
    for cue in cues:
        assert rms_db(samples, cue.start, cue.end) > -35  # speech
    for before, after in itertools.pairwise(cues):
        # the pause between two sentences is silent, right up to the cue edges
        assert rms_db(samples, before.end + 0.01, after.start - 0.01) < -60
    for cue in cues:
        # speech begins within 30 ms of the cue's start
        assert rms_db(samples, cue.start, cue.start + 0.03) > rms_db(
            samples, cue.start - 0.06, cue.start - 0.03) + 10


def srt_times(text: str) -> list[tuple[float, float, str]]:
    def seconds(stamp: str) -> float:  # ffmpeg's WebVTT output omits zero hours
        *hm, rest = stamp.replace(",", ".").split(":")
        return sum(int(p) * 60 ** (len(hm) - i) for i, p in enumerate(hm)) + float(rest)

    found = re.findall(r"(\S+) --> (\S+)\n((?:.+\n?)+)", text)  # a cue has 1 or 2 lines
    return [(seconds(a), seconds(b), " ".join(body.split())) for a, b, body in found]


def convert(path: Path, fmt: str) -> str:
    """Parse a caption file with ffmpeg's demuxer and write it back in another format."""
    return subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-f", fmt, "-"],
                          capture_output=True, text=True, check=True).stdout


def test_webvtt_and_srt_parse_back_to_the_cues(narration):
    vtt = narration.vtt.read_text(encoding="utf-8")
    assert vtt.startswith("WEBVTT\n\n")
    assert re.search(r"^\d\d:\d\d:\d\d\.\d{3} --> \d\d:\d\d:\d\d\.\d{3}$", vtt, re.MULTILINE)
    for path, fmt in ((narration.vtt, "srt"), (narration.srt, "webvtt")):
        parsed = srt_times(convert(path, fmt))
        assert len(parsed) == len(narration.cues)
        for (start, end, text), cue in zip(parsed, narration.cues, strict=True):
            assert start == pytest.approx(cue.start, abs=0.0011)
            assert end == pytest.approx(cue.end, abs=0.0011)
            assert text == cue.text


def test_caption_text_that_looks_like_markup_survives(tmp_path):
    hostile = "Use <queue> & {braces} --> now."
    result = narrate(
        Story("t", "s", slides=[Slide(SlideKind.TITLE, "t", narration=[hostile])]),
        ESPEAK, tmp_path, min_duration=5, max_duration=60,
    )
    assert "&lt;queue&gt; &amp; {braces} --&gt; now." in result.vtt.read_text(encoding="utf-8")
    for path, fmt in ((result.vtt, "srt"), (result.srt, "webvtt")):
        (_, _, text), = srt_times(convert(path, fmt))
        assert text.replace("\u200b", "").replace("\\{", "{").replace("\\}", "}") == hostile


def long_story() -> Story:
    base = story()
    wordy = [f"Improvement number {n} makes exports noticeably faster on large files."
             for n in range(1, 9)]
    base.slides[1].narration += wordy[:4]
    base.slides[3].narration += wordy[4:]
    return base


def test_too_long_narration_is_sped_up_then_loses_its_latest_trailing_sentences(tmp_path):
    source = long_story()
    result = narrate(source, ESPEAK, tmp_path, min_duration=5, max_duration=30)
    assert result.duration <= 30
    spoken = [cue.text for cue in result.cues]
    for slide in (source.slides[0], source.slides[-1]):  # title and closing are kept whole
        assert all(sentence in spoken for sentence in slide.narration)
    per_slide = [[cue.text for cue in result.cues if cue.slide == i]
                 for i in range(len(source.slides))]
    for i, kept in enumerate(per_slide):
        # what is kept of a slide is always its beginning
        assert kept == source.slides[i].narration[:len(kept)]
    # later slides lose sentences first: once a slide lost one, every later middle slide did
    lost = [len(kept) < len(source.slides[i].narration) for i, kept in enumerate(per_slide)]
    first_loss = lost.index(True)
    assert all(lost[first_loss:-1])
    # and it is spoken faster than the default rate (the same sentence is shorter)
    title = result.cues[0]
    with_default = narrate(Story("t", "s", slides=[source.slides[0]]), ESPEAK,
                           tmp_path / "default", min_duration=5)
    assert title.end - title.start < 0.95 * (with_default.cues[0].end - with_default.cues[0].start)


def test_short_narration_is_padded_to_the_minimum(tmp_path):
    short = Story("t", "s", slides=[
        Slide(SlideKind.TITLE, "t", narration=["Version two is out."]),
        Slide(SlideKind.CLOSING, "c", narration=["Upgrade today."]),
    ])
    result = narrate(short, ESPEAK, tmp_path, min_duration=15, max_duration=60)
    assert 15 <= result.duration < 15 + 1.5 / FPS
    with wave.open(str(result.audio)) as wav:
        assert wav.getnframes() == round(result.duration * RATE)
    # the slides share the extra time
    lengths = [t.end - t.start for t in result.slides]
    assert min(lengths) > 5


def test_the_bundled_library_speaks_like_the_program(tmp_path):
    options = ESPEAK
    program = EspeakBackend(options)
    library = EspeakBackend(options, executable=None)
    assert program.executable and library.executable is None
    text = "Streaming reader for large files."
    spoken = [backend.synthesize(text, "en", tmp_path / f"{n}.wav")
              for n, backend in enumerate((program, library))]
    lengths = []
    for path in spoken:
        samples = decode_mono(path)
        lengths.append(len(samples) / RATE)
        assert rms_db(samples, 0, len(samples) / RATE) > -35
    assert lengths[1] == pytest.approx(lengths[0], rel=0.3)


@pytest.mark.parametrize("executable", ["auto", None])
def test_unknown_voice_is_one_clear_error(tmp_path, executable):
    backend = EspeakBackend(VoiceOptions(backend="espeak", voice="xx-nope"), executable=executable)
    with pytest.raises(InputError, match="no voice 'xx-nope'"):
        backend.synthesize("Hello.", "en", tmp_path / "x.wav")


def test_backend_registry():
    backend = get_backend(ESPEAK)
    assert isinstance(backend, SpeechBackend)
    assert backend.name == "espeak"
    with pytest.raises(ConfigError, match=r"voice\.backend: unknown backend 'nope'"):
        get_backend(VoiceOptions(backend="nope"))


def test_bad_input_is_one_clear_error(tmp_path):
    silent = Story("t", "s", slides=[Slide(SlideKind.TITLE, "t", narration=["  "])])
    with pytest.raises(InputError, match="nothing to narrate"):
        narrate(silent, ESPEAK, tmp_path)
    with pytest.raises(InputError, match="min_duration"):
        narrate(story(), ESPEAK, tmp_path, min_duration=40, max_duration=20)
    impossible = Story("t", "s", slides=[
        Slide(SlideKind.TITLE, "t", narration=["A very long title sentence. " * 12]),
        Slide(SlideKind.CLOSING, "c", narration=["Bye."]),
    ])
    with pytest.raises(InputError, match=r"cannot fit reel\.max_duration"):
        narrate(impossible, ESPEAK, tmp_path, min_duration=5, max_duration=15)
    assert not list(tmp_path.iterdir()), "nothing half-written, no temporary files left"
    with pytest.raises(InputError, match="expected a language code"):
        narrate(story(), ESPEAK, tmp_path, language="../en")
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(InputError, match="cannot write the narration into"):
        narrate(story(), ESPEAK, blocker / "voice")
