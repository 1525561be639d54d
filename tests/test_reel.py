"""The reel stage on a real release: the MP4 is what browsers and YouTube want, the pictures
follow the narration, captions are burned in where phones show them, music ducks under the voice.

One captioned reel with music is rendered for the whole module (and one zoomed reel without
crossfades or captions); the tests read them with ffprobe/ffmpeg.
"""

from __future__ import annotations

import dataclasses
import itertools
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from audio_samples import decode_mono, rms_db
from factories import sample_facts
from PIL import Image, ImageChops

from pipeline.art import CAPTION_BOTTOM, CAPTION_TOP, render_artwork
from pipeline.config import Brand, Config, ReelOptions, VoiceOptions
from pipeline.errors import InputError, ToolError
from pipeline.reel import render_reel
from pipeline.story import write_story
from pipeline.structure import Narration, Reel, Slide, SlideKind, Story
from pipeline.tools import probe
from pipeline.voice import narrate

pytestmark = pytest.mark.skipif(
    not (shutil.which("espeak-ng") and shutil.which("ffmpeg") and shutil.which("ffprobe")),
    reason="needs espeak-ng and ffmpeg (scripts/install-system-deps.sh)",
)

W, H, RATE = 1080, 1920, 48000
KEEP = (SlideKind.TITLE, SlideKind.FIXES, SlideKind.CLOSING)  # a short reel: ~15 s


def short_story() -> Story:
    story = write_story(sample_facts(), Config())
    story.slides = [slide for slide in story.slides if slide.kind in KEEP]
    return story


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("reel")


@pytest.fixture(scope="module")
def slides(work) -> list[Path]:
    story = short_story()
    return render_artwork(sample_facts(), story, Brand(), work / "art").slides


@pytest.fixture(scope="module")
def narration(work) -> Narration:
    return narrate(short_story(), VoiceOptions(), work / "voice", crossfade=0.5)


@pytest.fixture(scope="module")
def music(work) -> Path:
    """4 s of a two-note chord: shorter than the reel, so it has to loop."""
    path = work / "music.wav"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i",
         "aevalsrc=0.3*sin(2*PI*220*t)+0.2*sin(2*PI*330*t):d=4:s=44100",
         "-ac", "2", str(path)], check=True)
    return path


@pytest.fixture(scope="module")
def rendered(work, slides, narration, music) -> tuple[Reel, list[float]]:
    seen: list[float] = []
    reel = render_reel(slides, narration, ReelOptions(music=music), work / "out" / "reel.mp4",
                       brand=Brand(), progress=seen.append)
    return reel, seen


@pytest.fixture(scope="module")
def reel(rendered) -> Reel:
    return rendered[0]


def streams(path: Path) -> tuple[dict, dict, dict]:
    info = probe(path)
    video = next(s for s in info["streams"] if s["codec_type"] == "video")
    audio = next(s for s in info["streams"] if s["codec_type"] == "audio")
    return info["format"], video, audio


def frame(video: Path, at: float) -> Image.Image:
    """The decoded frame shown at ``at`` seconds, as 8-bit luma."""
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-ss", f"{at:.3f}", "-i", str(video), "-frames:v", "1",
         "-f", "rawvideo", "-pix_fmt", "gray", "-"], capture_output=True, check=True).stdout
    return Image.frombytes("L", (W, H), raw[: W * H])


def ink(before: Image.Image, after: Image.Image) -> tuple[int, int, tuple | None]:
    """Pixels that changed clearly (beyond encoder noise): (inside the caption zone, outside
    it, bounding box inside it)."""
    changed = ImageChops.difference(before, after).point(lambda v: 255 if v > 60 else 0)
    zone = changed.crop((0, CAPTION_TOP, W, CAPTION_BOTTOM))
    inside = zone.histogram()[255]
    outside = changed.histogram()[255] - inside
    return inside, outside, zone.getbbox()


def mean_difference(a: Image.Image, b: Image.Image, box: tuple) -> float:
    histogram = ImageChops.difference(a.crop(box), b.crop(box)).histogram()
    return sum(i * n for i, n in enumerate(histogram)) / sum(histogram)


def top_level_boxes(path: Path) -> list[str]:
    boxes = []
    with path.open("rb") as f:
        while header := f.read(8):
            size, kind = struct.unpack(">I4s", header)
            boxes.append(kind.decode("latin-1"))
            if size == 1:
                size = struct.unpack(">Q", f.read(8))[0]
                f.seek(size - 16, 1)
            elif size == 0:
                break
            else:
                f.seek(size - 8, 1)
    return boxes


def content_time(narration: Narration, index: int) -> float:
    """A moment when slide ``index`` is fully visible and no caption is shown yet."""
    timing = narration.slides[index]
    fade = 0.5 if index else 0.0
    first_cue = min(c.start for c in narration.cues if c.slide == index)
    moment = timing.start + fade + 0.05
    assert moment < first_cue
    return moment


@pytest.mark.slow
def test_mp4_is_h264_high_1080x1920_30fps_yuv420p_with_aac_48k(reel, narration):
    container, video, audio = streams(reel.video)
    assert video["codec_name"] == "h264" and video["profile"] == "High"
    assert (video["width"], video["height"]) == (W, H)
    assert video["r_frame_rate"] == "30/1" and video["avg_frame_rate"] == "30/1"
    assert video["pix_fmt"] == "yuv420p"
    assert audio["codec_name"] == "aac" and int(audio["sample_rate"]) == RATE
    assert audio["channels"] == 2
    duration = float(container["duration"])
    assert 15 <= duration <= 60
    assert float(video["duration"]) == pytest.approx(narration.duration, abs=1 / 30)
    assert float(audio["duration"]) == pytest.approx(float(video["duration"]), abs=1 / 30)
    assert int(video["nb_frames"]) == round(narration.duration * 30)
    assert "mp4" in container["format_name"]


@pytest.mark.slow
def test_moov_comes_before_mdat_for_streaming(reel):
    boxes = top_level_boxes(reel.video)
    assert boxes[0] == "ftyp"
    assert boxes.index("moov") < boxes.index("mdat")


@pytest.mark.slow
def test_reel_describes_itself(reel, narration, rendered):
    assert reel.duration == pytest.approx(narration.duration)
    assert (reel.width, reel.height, reel.language) == (W, H, "en")
    assert reel.captions_vtt == narration.vtt and reel.captions_srt == narration.srt
    assert not list(reel.video.parent.glob(".*")), "no partial files or temporary folders left"
    _, progress = rendered
    assert len(progress) > 1 and progress == sorted(progress) and progress[-1] == 1.0


@pytest.mark.slow
def test_slides_follow_the_narration(reel, narration, slides):
    content = (0, 0, W, CAPTION_TOP)
    originals = [Image.open(path).convert("L") for path in slides]
    for index in range(len(slides)):
        shown = frame(reel.video, content_time(narration, index))
        distances = [mean_difference(shown, original, content) for original in originals]
        assert distances.index(min(distances)) == index
        assert distances[index] < 3  # the same picture, give or take the encoder


@pytest.mark.slow
def test_crossfade_blends_neighbouring_slides(reel, narration):
    before = frame(reel.video, content_time(narration, 0))
    after = frame(reel.video, content_time(narration, 1))
    middle = frame(reel.video, narration.slides[1].start + 0.25)
    content = (0, 0, W, CAPTION_TOP)
    apart = mean_difference(before, after, content)
    assert 0.2 * apart < mean_difference(middle, before, content) < 0.8 * apart
    assert 0.2 * apart < mean_difference(middle, after, content) < 0.8 * apart


@pytest.mark.slow
def test_captions_are_burned_into_the_caption_zone_while_spoken(reel, narration):
    for cue in narration.cues:
        plain = frame(reel.video, content_time(narration, cue.slide))
        spoken = frame(reel.video, (cue.start + cue.end) / 2)
        inside, outside, box = ink(plain, spoken)
        assert inside > 5000, f"no caption ink for {cue.text!r}"
        assert outside < inside / 50, "the caption stays in its zone"
        left, top, right, bottom = box
        assert right - left > 200 and bottom - top > 40  # a line of large text, not noise


@pytest.mark.slow
def test_music_fills_the_pauses_and_ducks_under_the_voice(reel, narration):
    mixed = decode_mono(reel.video)
    voice = decode_mono(narration.audio)
    cues = narration.cues
    # the pause between two slides: silent narration, audible music
    pauses = [(a.end + 0.3, b.start - 0.3) for a, b in itertools.pairwise(cues)
              if b.slide != a.slide]
    assert pauses
    for start, end in pauses:
        assert rms_db(voice, start, end) < -60
        assert rms_db(mixed, start, end) > -45
    for cue in cues:
        speech = rms_db(mixed, cue.start, cue.end)
        assert speech == pytest.approx(rms_db(voice, cue.start, cue.end), abs=3)
        for start, end in pauses:
            assert speech > rms_db(mixed, start, end) + 6  # the voice dominates


@pytest.fixture(scope="module")
def zoomed(work, slides) -> tuple[Reel, Narration]:
    story = short_story()
    timed = narrate(story, VoiceOptions(), work / "voice-cut", crossfade=0)
    options = ReelOptions(zoom=True, crossfade=0, captions=False, preset="ultrafast")
    # a "%" in the folder must not be taken for part of ffmpeg's image-sequence pattern
    return render_reel(slides, timed, options, work / "100% zoom" / "zoom.mp4"), timed


@pytest.mark.slow
def test_zoom_without_crossfades_or_captions(zoomed, slides):
    reel, timed = zoomed
    _, video, _ = streams(reel.video)
    assert video["r_frame_rate"] == "30/1" and int(video["nb_frames"]) == round(timed.duration * 30)
    content = (0, 0, W, CAPTION_TOP)
    first = timed.slides[0]
    original = Image.open(slides[0]).convert("L")
    early = frame(reel.video, first.start + 0.1)
    late = frame(reel.video, first.end - 0.1)
    # the first slide starts as drawn and ends zoomed in
    assert mean_difference(early, original, content) < 3
    zoomed_in = mean_difference(late, original, content)
    assert zoomed_in > 4 and zoomed_in > 3 * mean_difference(early, original, content)
    # no caption while a sentence is spoken
    cue = next(c for c in timed.cues if c.slide == 0)
    inside, _, _ = ink(frame(reel.video, cue.start - 0.1), frame(reel.video, cue.start + 0.5))
    assert inside < 1000


@pytest.mark.slow
@pytest.mark.parametrize("scripts", [[["Only one slide here."]],
                                     [["First."], [], ["Last."]]], ids=["single", "silent"])
def test_a_single_slide_and_a_slide_without_narration(tmp_path, slides, scripts):
    kinds = [SlideKind.TITLE, SlideKind.HIGHLIGHTS, SlideKind.CLOSING]
    story = Story("t", "s", slides=[Slide(kind, "x", narration=lines)
                                    for kind, lines in zip(kinds, scripts, strict=False)])
    timed = narrate(story, VoiceOptions(), tmp_path, min_duration=5)
    reel = render_reel(slides[:len(scripts)], timed, ReelOptions(preset="ultrafast"),
                       tmp_path / "reel.mp4")
    _, video, audio = streams(reel.video)
    assert int(video["nb_frames"]) == round(timed.duration * 30)
    assert float(audio["duration"]) == pytest.approx(timed.duration, abs=1 / 30)


def test_slide_count_must_match_the_narration(work, narration, slides):
    with pytest.raises(InputError, match="2 slide images but the narration times 3"):
        render_reel(slides[:2], narration, ReelOptions(), work / "bad.mp4")


def test_crossfade_must_match_the_narration_timing(work, narration, slides):
    with pytest.raises(InputError, match=r"narrate with crossfade=reel\.crossfade"):
        render_reel(slides, narration, ReelOptions(crossfade=1.0), work / "bad.mp4")


def test_bad_music_and_slides_are_one_clear_error(work, narration, slides):
    with pytest.raises(InputError, match=r"reel\.music: file not found"):
        render_reel(slides, narration, ReelOptions(music=work / "nope.mp3"), work / "bad.mp4")
    junk = work / "junk.mp3"
    junk.write_text("not audio")
    with pytest.raises(InputError, match=r"reel\.music: cannot read audio"):
        render_reel(slides, narration, ReelOptions(music=junk), work / "bad.mp4")
    broken = work / "broken.png"
    broken.write_bytes(b"\x89PNG not really")
    with pytest.raises(InputError, match="slide 2: cannot read image"):
        render_reel([slides[0], broken, slides[2]], narration, ReelOptions(), work / "bad.mp4")
    assert not (work / "bad.mp4").exists()
    with pytest.raises(InputError, match="cannot write the reel into"):
        render_reel(slides, narration, ReelOptions(), junk / "reel.mp4")


def test_failed_render_leaves_nothing_behind(tmp_path, narration, slides):
    corrupt = tmp_path / "voice.wav"
    corrupt.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk" * 10)
    out = tmp_path / "out" / "reel.mp4"
    with pytest.raises(ToolError, match="rendering the reel failed"):
        render_reel(slides, dataclasses.replace(narration, audio=corrupt), ReelOptions(), out)
    assert not out.exists()
    assert not list(out.parent.iterdir()), "no partial file or temporary folder left"
