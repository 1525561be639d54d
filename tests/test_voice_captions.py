"""Captions made for phones, checked on real narration: line lengths, cue durations, reading
rate, and cue starts against the audio itself (onsets measured in the decoded WAV)."""

from __future__ import annotations

import itertools
import math
import re
import shutil
from pathlib import Path

import pytest
from audio_samples import RATE, decode_mono
from factories import SHARED, sample_facts

from pipeline.config import Config, VoiceOptions
from pipeline.facts.collect import collect_facts
from pipeline.story import write_story
from pipeline.structure import Narration, Slide, SlideKind, Story, Word
from pipeline.voice import narrate
from pipeline.voice.captions import break_lines, segment, subrip, webvtt
from pipeline.voice.words import is_cjk, join_words, split_words

pytestmark = pytest.mark.skipif(
    not (shutil.which("espeak-ng") and shutil.which("ffmpeg")),
    reason="needs espeak-ng and ffmpeg (scripts/install-system-deps.sh)",
)

NOTES = SHARED / "fixtures" / "release-notes"
ZH_SENTENCES = [
    "这个版本带来了新的流式读取器，大文件的导出速度提高了一倍以上，同时修复了三个与缓存有关的问题。",
    "感谢四位贡献者。",
]


def release_story(name: str, repository: str, tag: str) -> Story:
    body = (NOTES / name).read_text(encoding="utf-8")
    event = {"action": "published",
             "release": {"tag_name": tag, "name": tag, "body": body, "draft": False,
                         "prerelease": False, "published_at": "2026-01-01T00:00:00Z",
                         "html_url": f"https://github.com/{repository}/releases/tag/{tag}"},
             "repository": {"full_name": repository, "description": "",
                            "html_url": f"https://github.com/{repository}"}}
    return write_story(collect_facts(event=event), Config())


def rms_frames(samples, frame: float = 0.01) -> list[float]:
    size = int(frame * RATE)
    levels = []
    for start in range(0, len(samples) - size, size):
        window = samples[start:start + size]
        power = sum(s * s for s in window) / size
        levels.append(10 * math.log10(power / 32768**2) if power else -120.0)
    return levels


def onset(levels: list[float], around: float, *, frame: float = 0.01) -> float | None:
    """The first moment after a silence (-50 dB) where the sound rises above -35 dB, searched
    from 150 ms before ``around``."""
    first = max(0, int((around - 0.15) / frame))
    quiet = False
    for index in range(first, min(len(levels), first + 60)):
        if levels[index] < -50:
            quiet = True
        elif quiet and levels[index] > -35:
            return index * frame
    return None


def check_rules(narration: Narration) -> None:
    """The usual subtitle guidelines, on every cue."""
    for cue in narration.cues:
        lines = cue.lines or [cue.text]
        limit = 20 if is_cjk(cue.text) else 42
        assert len(lines) <= 2, cue
        for line in lines:
            assert len(line) <= limit or len(split_words(line)) == 1, cue
        assert join_words(split_words(" ".join(lines))) == cue.text
        duration = cue.end - cue.start
        assert 1.0 - 1e-6 <= duration <= 7.0, cue
        assert len(cue.text) / duration <= 20.5, cue
        assert cue.words and join_words([w.text for w in cue.words]) == cue.text
        for word in cue.words:
            assert cue.start - 1e-3 <= word.start <= word.end <= cue.end + 1e-3
    for before, after in itertools.pairwise(narration.cues):
        assert before.end <= after.start


def check_audio_timing(narration: Narration) -> None:
    """Every cue that begins a sentence starts within 100 ms of the speech's measured onset;
    a cue cut inside a sentence starts within 100 ms of a pause (an energy dip) in it."""
    levels = rms_frames(decode_mono(narration.audio))
    first_of_sentence = {}
    for cue in narration.cues:
        first_of_sentence.setdefault(cue.sentence, cue)
    for cue in narration.cues:
        if first_of_sentence[cue.sentence] is cue:
            heard = onset(levels, cue.start)
            assert heard is not None and abs(heard - cue.start) <= 0.1, (cue, heard)
        else:
            window = levels[int((cue.start - 0.1) / 0.01):int((cue.start + 0.1) / 0.01)]
            speech = max(levels[int(cue.start / 0.01):int(cue.end / 0.01)])
            assert min(window) < speech - 15, cue


@pytest.fixture(scope="module")
def demo_piper(tmp_path_factory) -> Narration:
    return narrate(write_story(sample_facts(), Config()), VoiceOptions(),
                   tmp_path_factory.mktemp("demo"))


def test_demo_captions_follow_the_rules_and_the_audio(demo_piper):
    check_rules(demo_piper)
    check_audio_timing(demo_piper)
    # Piper's alignments time every word: they are not an even spread over the sentence
    words = [w for cue in demo_piper.cues for w in cue.words]
    rates = [(w.end - w.start) / len(w.text) for w in words if len(w.text) > 3]
    assert max(rates) > 1.5 * min(rates)


TOKIO = ("tokio-1.53.0.md", "tokio-rs/tokio", "tokio-1.53.0")
TERRAFORM = ("terraform-1.15.0.md", "hashicorp/terraform", "v1.15.0")
VUE = ("vue-core-3.6.0-rc.2.md", "vuejs/core", "v3.6.0-rc.2")


@pytest.mark.parametrize(("notes", "voice"), [(TOKIO, "piper"), (TERRAFORM, "piper"),
                                              (VUE, "espeak")])
def test_release_captions_follow_the_rules_and_the_audio(tmp_path, notes, voice):
    story = release_story(*notes)
    narration = narrate(story, VoiceOptions(backend=voice), tmp_path)
    check_rules(narration)
    check_audio_timing(narration)


def test_a_long_sentence_is_cut_at_its_phrases_each_timed_from_the_audio(tmp_path):
    long = ("The new streaming reader handles files larger than memory, exports to Parquet "
            "are twice as fast, and the command line shows progress for every step.")
    story = Story("t", "s", slides=[Slide(SlideKind.TITLE, "t", narration=[long])])
    for voice in ("piper", "espeak"):
        narration = narrate(story, VoiceOptions(backend=voice), tmp_path / voice,
                            min_duration=5)
        assert len(narration.cues) >= 2
        assert {cue.sentence for cue in narration.cues} == {0}
        assert " ".join(cue.text for cue in narration.cues) == long
        assert narration.cues[0].text.endswith(",")  # cut at punctuation
        check_rules(narration)
        check_audio_timing(narration)


def test_chinese_captions_have_short_lines_cut_at_punctuation(tmp_path):
    story = Story("t", "s", language="zh",
                  slides=[Slide(SlideKind.TITLE, "t", narration=ZH_SENTENCES)])
    narration = narrate(story, VoiceOptions(), tmp_path, min_duration=5)
    assert len(narration.cues) >= 3
    check_rules(narration)
    check_audio_timing(narration)
    first = narration.cues[0]
    assert first.text.endswith("，") and len(first.text) <= 40
    # never one caption on screen for the whole paragraph
    assert max(cue.end - cue.start for cue in narration.cues) <= 7


def test_line_breaks_and_segmentation_units():
    assert break_lines(split_words("Export to Parquet with widgets export parquet.")) == \
        ["Export to Parquet", "with widgets export parquet."]
    assert break_lines(["a" * 50]) == ["a" * 50]  # one word is never cut
    assert break_lines(split_words("word " * 30)) is None
    words = [Word(w, n * 0.4, n * 0.4 + 0.35) for n, w in enumerate(split_words(
        "One two three four, five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen twenty"))]
    parts = segment(words)
    assert len(parts) >= 2 and parts[0][-1].text == "four,"  # the comma is the first cut
    for part in parts:
        assert part[-1].end - part[0].start <= 7 and break_lines([w.text for w in part])
    assert split_words("新增 Vue3 支持，修复了问题。") == \
        ["新", "增", "Vue3", "支", "持，", "修", "复", "了", "问", "题。"]


def test_vtt_and_srt_carry_the_same_two_line_cues(demo_piper):
    vtt = demo_piper.vtt.read_text(encoding="utf-8")
    srt = demo_piper.srt.read_text(encoding="utf-8")
    assert vtt == webvtt(demo_piper.cues) and srt == subrip(demo_piper.cues)
    vtt_bodies = re.findall(r"--> \S+\n((?:.+\n?)+)", vtt)
    srt_bodies = re.findall(r"--> \S+\n((?:.+\n?)+)", srt)
    assert [b.strip() for b in vtt_bodies] == [b.strip() for b in srt_bodies]
    assert any("\n" in b.strip() for b in vtt_bodies)  # two-line cues exist
    assert len(vtt_bodies) == len(demo_piper.cues)


def test_no_caption_file_is_left_half_written(tmp_path: Path):
    narrate(write_story(sample_facts(), Config()), VoiceOptions(backend="espeak"), tmp_path)
    assert not list(tmp_path.glob(".*"))
