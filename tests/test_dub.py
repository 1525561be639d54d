"""Dubbed reels: translated captions and voice, slides that grow to fit, capped speed-up."""

from __future__ import annotations

import re
import shutil

import pytest
from PIL import Image

from pipeline.config import Config, ReelOptions, VoiceOptions
from pipeline.dub import MAX_SPEEDUP, dub, dub_rate, dub_speech, keep_terms, translate_cues
from pipeline.structure import Slide, SlideKind, Story
from pipeline.tools import probe
from pipeline.translate import Translator
from pipeline.voice import narrate
from pipeline.voice.timeline import FPS

needs_tools = pytest.mark.skipif(
    not (shutil.which("apertium") and shutil.which("espeak-ng") and shutil.which("ffprobe")),
    reason="needs apertium, espeak-ng and ffmpeg (scripts/install-system-deps.sh)")

STORY = Story(
    title="rocket v1.5.0", summary="Rocket v1.5.0 is out.", language="en",
    slides=[
        Slide(SlideKind.TITLE, "rocket v1.5.0", ["Rocket 1.5"],
              ["rocket version 1.5.0 is out.", "This release brings 2 new features."]),
        Slide(SlideKind.HIGHLIGHTS, "What's new", ["add --dry-run to deploy"],
              ["Here is what's new.", "The deploy command has a dry run option."]),
        Slide(SlideKind.CONTRIBUTORS, "Thank you", ["@alice", "@bob"],
              ["Thanks to alice and bob for this release."]),
        Slide(SlideKind.CLOSING, "rocket v1.5.0", ["https://github.com/acme/rocket"],
              ["Read the full story on the blog."]),
    ],
)


class Doubling(Translator):
    """A real translator whose 'language' says everything twice: a dub twice as long."""

    name = "doubling"

    def _translate(self, texts: list[str], source: str, target: str) -> list[str]:
        return [f"{t} {t}" for t in texts]


def config(**reel: object) -> Config:
    options = {"min_duration": 5, "max_duration": 60, "crossfade": 0.5, "preset": "ultrafast",
               "crf": 35, **reel}
    return Config(translator="apertium", reel=ReelOptions(**options),
                  voice=VoiceOptions(backend="espeak", voice="en-us"))


@pytest.fixture(scope="module")
def english(tmp_path_factory):
    cfg = config()
    return narrate(STORY, cfg.voice, tmp_path_factory.mktemp("voice-en"),
                   crossfade=cfg.reel.crossfade, min_duration=5, max_duration=60)


def test_dub_rate_never_speeds_up_more_than_115_percent():
    assert dub_rate(165, 10.0, 15.0) == 165
    assert dub_rate(165, 16.0, 15.0) == 176
    assert dub_rate(165, 40.0, 15.0) == round(165 * MAX_SPEEDUP)


def test_names_of_project_and_contributors_are_kept():
    assert keep_terms(STORY, Config()) == ["rocket", "alice", "bob"]


def test_a_longer_translation_grows_its_slides_without_hurrying_the_voice(english, tmp_path,
                                                                          caplog):
    cfg = config(max_duration=15)
    cues = translate_cues(english.cues, Doubling(), "en", "es", keep_terms(STORY, cfg))
    dubbed = dub_speech(STORY, cues, cfg, "es", tmp_path).normalize()
    english_lengths = [t.end - t.start for t in english.slides]
    dubbed_lengths = [t.end - t.start for t in dubbed.slides]
    assert all(d > e + 0.5 for d, e in zip(dubbed_lengths, english_lengths, strict=True))
    assert dubbed.duration > cfg.reel.max_duration  # grew past it rather than speed up > 1.15x
    assert "over reel.max_duration" in caplog.text
    # spoken at most 1.15x faster: the doubled narration still takes > 2 / 1.15 of the speech
    speech = sum(c.end - c.start for c in dubbed.cues)
    assert speech > 2 * sum(c.end - c.start for c in english.cues) / MAX_SPEEDUP * 0.9
    _assert_cues_inside_slides(dubbed, cfg.reel.crossfade)


def _assert_cues_inside_slides(narration, crossfade: float) -> None:
    last = len(narration.slides) - 1
    for cue in narration.cues:
        slide = narration.slides[cue.slide]
        visible_from = slide.start + (crossfade if cue.slide else 0)
        visible_to = slide.end - (crossfade if cue.slide < last else 0)
        assert visible_from <= cue.start < cue.end <= visible_to, (cue, slide)


def _vtt_times(path) -> list[tuple[float, float]]:
    def seconds(stamp: str) -> float:
        h, m, s = stamp.split(":")
        return int(h) * 3600 + int(m) * 60 + float(s)

    return [(seconds(a), seconds(b)) for a, b in
            re.findall(r"(\d\d:\d\d:\d\d\.\d{3}) --> (\d\d:\d\d:\d\d\.\d{3})", path.read_text())]


@pytest.mark.slow
@needs_tools
def test_dubbed_reel_in_spanish_is_in_sync(english, tmp_path):
    slides = []
    for n, colour in enumerate(["#0f172a", "#1e293b", "#334155", "#475569"]):
        slides.append(tmp_path / f"slide{n}.png")
        Image.new("RGB", (1080, 1920), colour).save(slides[-1])
    cfg = config()
    result = dub(STORY, english, slides, cfg, "es", tmp_path / "dub-es")

    texts = [c.text for c in result.narration.cues]
    assert len(texts) == len(english.cues)
    assert texts[4].startswith("Gracias a alice y bob")  # names kept, words translated
    assert "1.5.0" in texts[0] and "rocket" in texts[0]
    assert result.reel.language == "es" and result.reel.video.name == "reel.es.mp4"

    info = probe(result.reel.video)
    video = next(s for s in info["streams"] if s["codec_type"] == "video")
    audio = next(s for s in info["streams"] if s["codec_type"] == "audio")
    assert (video["width"], video["height"]) == (1080, 1920)
    assert abs(float(video["duration"]) - float(audio["duration"])) <= 1 / FPS
    assert abs(float(info["format"]["duration"]) - result.narration.duration) <= 1 / FPS

    _assert_cues_inside_slides(result.narration, cfg.reel.crossfade)
    vtt_times = _vtt_times(result.reel.captions_vtt)
    assert len(vtt_times) == len(result.narration.cues)
    for (start, end), cue in zip(vtt_times, result.narration.cues, strict=True):
        assert abs(start - cue.start) < 0.002 and abs(end - cue.end) < 0.002
    assert "Gracias" in result.reel.captions_srt.read_text()

    # subtitles for the original reel: the same timings as the English captions
    vtt, srt = result.subtitles
    assert _vtt_times(vtt) == _vtt_times(english.vtt)
    assert "Gracias a alice y bob" in srt.read_text()
