"""Bring-your-own narration: a recording transcribed by openai-whisper into timed captions.

Whisper runs for real on a tiny randomly initialised checkpoint saved here in the format
``whisper.load_model`` reads from a path (its tokenizer files ship with the package): the load →
transcribe → captions path runs offline; the words are garbage, the plumbing is not.
"""

from __future__ import annotations

import itertools
import shutil
import subprocess
import wave
from dataclasses import asdict

import pytest

from pipeline.errors import InputError
from pipeline.structure import Slide, SlideKind, Story
from pipeline.voice.timeline import FPS, to_frames
from pipeline.voice.transcribe import (
    Segment,
    narration_from_recording,
    slide_bounds,
    timed_cues,
    transcribe,
)

STORY = Story("T", "S", slides=[
    Slide(SlideKind.TITLE, "rocket v1.5.0", [], ["rocket version 1.5.0 is out."]),
    Slide(SlideKind.HIGHLIGHTS, "What's new", [], ["Here is what's new.",
                                                  "The deploy command has a dry run option."]),
    Slide(SlideKind.CLOSING, "rocket v1.5.0", [], ["Read the full story on the blog."]),
])
SEGMENTS = [Segment(0.3, 2.0, "Rocket 1.5 is out."), Segment(2.6, 4.0, "Here is what's new."),
            Segment(4.3, 7.1, "The deploy command has a dry run option."),
            Segment(7.8, 9.6, "Read the full story on the blog.")]


def test_slides_follow_the_story_and_cut_in_the_pauses():
    bounds = slide_bounds(SEGMENTS, [5, 10, 7], 10.0, 0.5)
    fade = to_frames(0.5)
    # the crossfade sits inside the pause nearest to the story's proportion
    assert bounds[0] / FPS >= 2.0 and (bounds[0] + fade) / FPS <= 2.6
    assert bounds[1] / FPS >= 7.1 and (bounds[1] + fade) / FPS <= 7.8
    slides, cues = timed_cues(SEGMENTS, bounds, to_frames(10.0), 0.5)
    assert [c.slide for c in cues] == [0, 1, 1, 2]
    assert slides[0].start == 0 and slides[-1].end == 10.0
    assert all(round((a.end - b.start) * FPS) == fade for a, b in itertools.pairwise(slides))


def test_speech_without_pauses_still_gets_slides_and_cues_stay_visible():
    one = [Segment(0.0, 9.9, "one long breathless sentence")]
    bounds = slide_bounds(one, [1, 1, 1], 10.0, 0.5)
    slides, cues = timed_cues(one, bounds, to_frames(10.0), 0.5)
    assert len(slides) == 3 and all(s.end - s.start >= 1.5 for s in slides)
    (cue,) = cues
    assert cue.slide == 1 and slides[1].start + 0.5 <= cue.start < cue.end <= slides[1].end - 0.5


def test_a_recording_too_short_for_the_slides_is_one_clear_error():
    with pytest.raises(InputError, match=r"too short for 3 slides"):
        slide_bounds(SEGMENTS, [1, 1, 1], 3.0, 0.5)


# -- whisper, for real, on a tiny random checkpoint -----------------------------------------

@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory):
    torch = pytest.importorskip("torch")
    pytest.importorskip("whisper")
    from whisper.model import ModelDimensions, Whisper

    torch.manual_seed(0)
    # real vocabulary and audio front end (80 mels, 1500 audio positions); one tiny layer each,
    # and a short text context so a random model's endless sentence ends quickly
    dims = ModelDimensions(n_mels=80, n_audio_ctx=1500, n_audio_state=32, n_audio_head=2,
                           n_audio_layer=1, n_vocab=51865, n_text_ctx=64, n_text_state=32,
                           n_text_head=2, n_text_layer=1)
    path = tmp_path_factory.mktemp("whisper") / "tiny-random.pt"
    torch.save({"dims": asdict(dims), "model_state_dict": Whisper(dims).state_dict()}, path)
    return path


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    if not shutil.which("espeak-ng"):
        pytest.skip("espeak-ng is not installed")
    path = tmp_path_factory.mktemp("rec") / "voice-over.wav"
    subprocess.run(["espeak-ng", "-w", str(path), "Rocket one point five is out. Here is what "
                    "is new. Read the full story on the blog."], check=True)
    return path


def test_whisper_transcribes_a_recording_into_timed_segments(tiny_checkpoint, recording):
    segments, language = transcribe(recording, model=str(tiny_checkpoint), language="en",
                                    temperature=0.0)
    assert language == "en"
    assert segments and all(s.text and 0 <= s.start < s.end for s in segments)


def test_a_recording_becomes_the_reels_narration(tiny_checkpoint, recording, tmp_path):
    narration = narration_from_recording(recording, STORY, tmp_path, model=str(tiny_checkpoint),
                                         language="en", temperature=0.0)
    with wave.open(str(recording)) as wav:
        seconds = wav.getnframes() / wav.getframerate()
    assert abs(narration.duration - seconds) <= 1 / FPS
    with wave.open(str(narration.audio)) as wav:  # normalized like synthesized narration
        assert (wav.getframerate(), wav.getnchannels()) == (48000, 2)
        assert abs(wav.getnframes() / 48000 - narration.duration) < 0.001
    assert abs(narration.loudness_lufs + 14) <= 1
    assert len(narration.slides) == 3 and narration.cues
    for cue in narration.cues:
        slide = narration.slides[cue.slide]
        assert slide.start <= cue.start < cue.end <= slide.end
    assert narration.vtt.read_text().startswith("WEBVTT")
    assert narration.cues[0].text in " ".join(narration.srt.read_text().split())  # 2 lines


def test_a_missing_checkpoint_is_one_clear_error(recording, tmp_path):
    pytest.importorskip("whisper")
    with pytest.raises(InputError, match="whisper model not found"):
        transcribe(recording, model=str(tmp_path / "nope.pt"))
