"""The reel stage on a real release: the MP4 is what browsers and YouTube want, the pictures
follow the narration, captions are burned in where phones show them, music ducks under the voice.

One captioned, variable-frame-rate reel with music is rendered for the whole module, one at a
constant 30 fps, and one zoomed reel without crossfades or captions; the tests read them with
ffprobe/ffmpeg.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from audio_samples import decode_mono, rms_db
from factories import sample_facts
from PIL import Image, ImageChops

from pipeline.art import CAPTION_BOTTOM, CAPTION_TOP, render_slides
from pipeline.config import Brand, Config, ReelOptions, VoiceOptions
from pipeline.errors import InputError, ToolError
from pipeline.reel import render_reel
from pipeline.reel.encode import KEYFRAME_INTERVAL
from pipeline.story import write_story
from pipeline.structure import Narration, Reel, Slide, SlideKind, Story
from pipeline.tools import probe
from pipeline.voice import narrate
from pipeline.voice.narrate import Speech, speak

pytestmark = pytest.mark.skipif(
    not (shutil.which("espeak-ng") and shutil.which("ffmpeg") and shutil.which("ffprobe")),
    reason="needs espeak-ng and ffmpeg (scripts/install-system-deps.sh)",
)

W, H, RATE, FPS = 1080, 1920, 48000, 30
KEEP = (SlideKind.TITLE, SlideKind.FIXES, SlideKind.CLOSING)  # a short reel: ~15 s
VOICE = VoiceOptions(backend="espeak")  # fast and always there; the reel reads any voice's cues
HEADER = (0, 0, W, 600)  # header and heading: on screen all the time a slide is


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
    return render_slides(sample_facts(), story, Brand(), work / "art")  # no cover or card


@pytest.fixture(scope="module")
def narration(work) -> Narration:
    return narrate(short_story(), VOICE, work / "voice", crossfade=0.5)


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


@pytest.fixture(scope="module")
def constant(work, slides, narration) -> Reel:
    return render_reel(slides, narration, ReelOptions(frame_rate="constant"),
                       work / "cfr" / "reel.mp4", brand=Brand())


def streams(path: Path) -> tuple[dict, dict, dict]:
    info = probe(path)
    video = next(s for s in info["streams"] if s["codec_type"] == "video")
    audio = next(s for s in info["streams"] if s["codec_type"] == "audio")
    return info["format"], video, audio


def frame(video: Path, at: float) -> Image.Image:
    """The decoded frame a player shows at ``at`` seconds, as 8-bit luma: the last one that
    starts at or before then (seeking gives the first one at or after: with a variable frame
    rate, that may be the next picture, seconds later)."""
    start = max(t for t in frame_times(video) if t <= at + 1e-6)
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-ss", f"{max(0.0, start - 0.001):.4f}", "-i", str(video),
         "-frames:v", "1",
         "-f", "rawvideo", "-pix_fmt", "gray", "-"], capture_output=True, check=True).stdout
    return Image.frombytes("L", (W, H), raw[: W * H])


@functools.cache
def frame_times(video: Path) -> list[float]:
    """When each encoded frame starts being shown."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v", "-show_entries", "packet=pts_time",
         "-of", "csv=p=0", str(video)], capture_output=True, text=True, check=True).stdout
    return sorted(float(line) for line in out.split())


def ink(before: Image.Image, after: Image.Image) -> tuple[int, tuple | None]:
    """Pixels of the caption zone that changed clearly (beyond encoder noise), and their box."""
    changed = ImageChops.difference(before, after).point(lambda v: 255 if v > 60 else 0)
    zone = changed.crop((0, CAPTION_TOP, W, CAPTION_BOTTOM))
    return zone.histogram()[255], zone.getbbox()


def mean_difference(a: Image.Image, b: Image.Image, box: tuple) -> float:
    histogram = ImageChops.difference(a.crop(box), b.crop(box)).histogram()
    return sum(i * n for i, n in enumerate(histogram)) / sum(histogram)


def boxes(data: bytes, start: int = 0, end: int | None = None) -> list[tuple[str, int, int]]:
    """(type, offset, size) of the MP4 boxes between ``start`` and ``end``."""
    found, at, end = [], start, len(data) if end is None else end
    while at + 8 <= end:
        size, kind = struct.unpack(">I4s", data[at:at + 8])
        if size == 1:
            size = struct.unpack(">Q", data[at + 8:at + 16])[0]
        elif size == 0:
            size = end - at
        found.append((kind.decode("latin-1"), at, size))
        at += size
    return found


def box_types(path: Path) -> tuple[list[str], set[str]]:
    """Top-level box types in order, and every box type inside moov (trak/mdia/... walked)."""
    data = path.read_bytes()
    top = boxes(data)
    inside: set[str] = set()
    containers = {"moov", "trak", "edts", "mdia", "minf", "stbl", "dinf", "udta"}
    pending = [(at + 8, at + size) for kind, at, size in top if kind == "moov"]
    while pending:
        start, end = pending.pop()
        for kind, at, size in boxes(data, start, end):
            inside.add(kind)
            if kind in containers:
                pending.append((at + 8, at + size))
    return [kind for kind, _, _ in top], inside


def before_first_cue(narration: Narration, index: int) -> float:
    """A moment when slide ``index`` is fully visible and no caption is shown yet."""
    timing = narration.slides[index]
    fade = 0.5 if index else 0.0
    moment = timing.start + fade + 0.05
    assert moment < min(c.start for c in narration.cues if c.slide == index)
    return moment


def settled(narration: Narration, index: int) -> float:
    """The last moment slide ``index`` is fully visible: every part has entered."""
    timing = narration.slides[index]
    return timing.end - (0.5 if index + 1 < len(narration.slides) else 0.0) - 0.05


@pytest.mark.slow
def test_mp4_is_h264_high_1080x1920_yuv420p_with_aac_lc_48k_stereo(reel, narration):
    container, video, audio = streams(reel.video)
    assert video["codec_name"] == "h264" and video["profile"] == "High"
    assert (video["width"], video["height"]) == (W, H)
    assert video["pix_fmt"] == "yuv420p" and video.get("field_order", "progressive") == \
        "progressive"
    assert video["color_space"] == "bt709" and video["color_range"] == "tv"
    assert video["r_frame_rate"] == "30/1"  # the time grid; frames are held for many steps
    assert audio["codec_name"] == "aac" and audio["profile"] == "LC"
    assert int(audio["sample_rate"]) == RATE and audio["channels"] == 2
    assert 15 <= float(container["duration"]) <= 60
    assert float(video["duration"]) == pytest.approx(narration.duration, abs=1 / FPS)
    assert float(audio["duration"]) == pytest.approx(float(video["duration"]), abs=1 / FPS)
    assert float(video["start_time"]) == 0 and float(audio["start_time"]) == 0
    assert "mp4" in container["format_name"]


@pytest.mark.slow
def test_moov_first_and_no_edit_list(reel, constant):
    for path in (reel.video, constant.video):
        top, inside = box_types(path)
        assert top[0] == "ftyp"
        assert top.index("moov") < top.index("mdat")
        assert "trak" in inside and "stts" in inside
        assert "elst" not in inside and "edts" not in inside  # YouTube warns about edit lists


@pytest.mark.slow
def test_only_frames_that_change_are_encoded(reel, narration):
    _, video, _ = streams(reel.video)
    shown = round(narration.duration * FPS)
    encoded = int(video["nb_frames"])
    assert encoded < shown * 0.4, (encoded, shown)
    times = frame_times(reel.video)
    assert times[0] == 0
    # every slide starts on a keyframe, so players can seek to it
    keyframes = keyframe_times(reel.video)
    for index, timing in enumerate(narration.slides):
        shown_from = timing.start + (0.5 if index else 0.0)
        assert any(abs(k - shown_from) < 1.5 / FPS for k in keyframes), shown_from


def keyframe_times(video: Path) -> list[float]:
    return [float(t) for t in subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v", "-skip_frame", "nokey",
         "-show_entries", "frame=pts_time", "-of", "csv=p=0", str(video)],
        capture_output=True, text=True, check=True).stdout.replace(",", " ").split()]


@pytest.mark.slow
def test_constant_frame_rate_shows_the_same_pictures(reel, constant, narration):
    _, video, audio = streams(constant.video)
    assert video["r_frame_rate"] == "30/1" and video["avg_frame_rate"] == "30/1"
    assert int(video["nb_frames"]) == round(narration.duration * FPS)
    assert float(audio["duration"]) == pytest.approx(float(video["duration"]), abs=1 / FPS)
    # keyframes where slides start and every KEYFRAME_INTERVAL frames, not on each repeat of
    # a slide's first picture
    assert len(keyframe_times(constant.video)) <= len(narration.slides) + int(
        video["nb_frames"]) // KEYFRAME_INTERVAL + 1
    for index in range(len(narration.slides)):
        for at in (before_first_cue(narration, index), settled(narration, index)):
            # the same picture, give or take the encoder (repeated frames refine it)
            assert mean_difference(frame(reel.video, at), frame(constant.video, at),
                                   (0, 0, W, H)) < 3


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
    originals = [Image.open(path).convert("L") for path in slides]
    for index in range(len(slides)):
        shown = frame(reel.video, settled(narration, index))
        distances = [mean_difference(shown, original, HEADER) for original in originals]
        assert distances.index(min(distances)) == index
        assert distances[index] < 3  # the same picture, give or take the encoder


@pytest.mark.slow
def test_crossfade_blends_neighbouring_slides(reel, narration):
    before = frame(reel.video, settled(narration, 0))
    after = frame(reel.video, before_first_cue(narration, 1))
    middle = frame(reel.video, narration.slides[1].start + 0.25)
    apart = mean_difference(before, after, HEADER)
    assert 0.2 * apart < mean_difference(middle, before, HEADER) < 0.8 * apart
    assert 0.2 * apart < mean_difference(middle, after, HEADER) < 0.8 * apart


@pytest.mark.slow
def test_captions_are_burned_into_the_caption_zone_while_spoken(reel, narration):
    for cue in narration.cues:
        plain = frame(reel.video, before_first_cue(narration, cue.slide))
        spoken = frame(reel.video, (cue.start + cue.end) / 2)
        inside, box = ink(plain, spoken)
        assert inside > 3000, f"no caption ink for {cue.text!r}"
        left, top, right, bottom = box
        assert right - left > 100 and bottom - top > 40  # large text, not noise
        assert left >= 40 and right <= W - 40  # inside the frame's safe sides


@pytest.mark.slow
def test_each_caption_appears_on_the_frame_its_words_start(reel, narration):
    """Sync within one frame: a caption change is an encoded frame at its word's time."""
    times = frame_times(reel.video)
    for cue in narration.cues:
        assert any(abs(t - cue.start) <= 1 / FPS + 1e-6 for t in times), cue


@pytest.mark.slow
def test_items_enter_as_they_are_spoken_and_are_legible_mid_animation(reel, narration, slides):
    """The fixes slide: each line enters with its sentence; a frame in the middle of each
    entry shows its text inside the content area, with text contrast, nothing clipped."""
    index = next(i for i, path in enumerate(slides) if "fixes" in path.name)
    cues = [cue for cue in narration.cues if cue.slide == index]
    lines = len(short_story().slides[index].lines)
    assert len(cues) > lines  # an introduction, then one sentence per line
    empty = frame(reel.video, before_first_cue(narration, index))
    final = frame(reel.video, settled(narration, index))
    content = (0, 600, W, CAPTION_TOP)
    previous = empty
    for cue in cues[-lines:]:
        before = frame(reel.video, cue.start - 0.2)
        middle = frame(reel.video, cue.start + 0.1)  # ~4 frames into an 8-frame entry
        after = frame(reel.video, cue.start + 0.6)
        assert mean_difference(before, previous, content) < 2, "nothing enters early"
        changed = ImageChops.difference(before, middle).crop(content).point(
            lambda v: 255 if v > 40 else 0)
        box = changed.getbbox()
        assert box is not None, f"nothing moved for {cue.text!r}"
        left, top, right, bottom = box
        assert left >= 80 and right <= W - 80 and bottom + content[1] < CAPTION_TOP - 20
        # legible: bright text pixels stand well clear of the backdrop in the entering item
        item = middle.crop((left, top + content[1], right, bottom + content[1]))
        levels = sorted(item.getdata())
        assert levels[int(len(levels) * 0.99)] - levels[len(levels) // 2] > 90
        previous = after
    assert mean_difference(previous, final, content) < 6  # the last one still emphasised


@pytest.mark.slow
def test_closing_card_counts_up_and_shows_a_qr_code(reel, narration, slides):
    index = len(slides) - 1
    cues = [cue for cue in narration.cues if cue.slide == index]
    numbers = (0, 780, W, 920)
    early = frame(reel.video, cues[-1].start + 0.05)
    done = frame(reel.video, settled(narration, index))
    assert mean_difference(early, done, numbers) > 1, "the numbers are still counting"
    rest = Image.open(slides[index]).convert("L")
    assert mean_difference(done, rest, (0, 0, W, CAPTION_TOP)) < 3
    # the QR code: black and white modules on its white tile
    tile = done.crop((120, 990, 340, 1240))
    levels = tile.histogram()
    assert sum(levels[:60]) > 0.2 * sum(levels) and sum(levels[200:]) > 0.2 * sum(levels)


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


def onsets(samples, threshold: float = 0.02) -> list[float]:
    """When speech resumes after at least 0.2 s of quiet, in seconds."""
    level = int(32768 * threshold)
    found, quiet, run = [], 0, int(0.2 * RATE)
    for index, sample in enumerate(samples):
        if abs(sample) < level:
            quiet += 1
        else:
            if quiet >= run:
                found.append(index / RATE)
            quiet = 0
    return found


@pytest.mark.slow
def test_voice_is_in_sync_with_the_picture(constant, narration):
    """The AAC encoder's priming samples are compensated: speech starts within a frame of
    where the narration (and so the captions and motion) put it."""
    expected = onsets(decode_mono(narration.audio))
    heard = onsets(decode_mono(constant.video))
    assert len(heard) == len(expected) > 2
    for a, b in zip(expected, heard, strict=True):
        assert abs(a - b) < 1 / FPS, (a, b)


@pytest.mark.slow
def test_a_dubbed_reel_is_in_sync_with_its_own_voice(work, slides, narration):
    """A dubbed reel shows the original slides over another voice's timing (what
    ``pipeline.dub`` renders): its captions, motion and voice follow that timing. As in the
    pipeline, the reel is given the speech before its loudness pass, which the reel's audio
    thread makes while the first pictures are encoded."""
    story = short_story()
    speech = speak(story, VoiceOptions(backend="espeak", voice="es"), work / "voice-es",
                   crossfade=0.5, language="es")
    assert not speech.timing.audio.exists(), "not normalized yet"
    reel = render_reel(slides, speech, ReelOptions(preset="ultrafast"),
                       work / "dub" / "reel.es.mp4")
    dubbed = speech.normalize()
    assert dubbed.audio.is_file() and dubbed.loudness_lufs == pytest.approx(-14, abs=1)
    assert [p.name for p in dubbed.audio.parent.iterdir() if p.suffix == ".wav"] == [
        "narration.es.wav"], "the unnormalized speech is gone"
    assert [round(c.start, 2) for c in dubbed.cues] != [round(c.start, 2) for c in narration.cues]
    _, video, audio = streams(reel.video)
    assert float(video["duration"]) == pytest.approx(dubbed.duration, abs=1 / FPS)
    assert float(audio["duration"]) == pytest.approx(dubbed.duration, abs=1 / FPS)
    times = frame_times(reel.video)
    for cue in dubbed.cues:
        assert any(abs(t - cue.start) <= 1 / FPS + 1e-6 for t in times), cue
    expected, heard = onsets(decode_mono(dubbed.audio)), onsets(decode_mono(reel.video))
    assert len(heard) == len(expected) > 2
    assert all(abs(a - b) < 1 / FPS for a, b in zip(expected, heard, strict=True))
    # the fixes slide's line enters with its own (dubbed) sentence, not the original's
    index = next(i for i, path in enumerate(slides) if "fixes" in path.name)
    spoken = [cue for cue in dubbed.cues if cue.slide == index][-1]
    entry = [t for t in times if spoken.start - 0.1 <= t <= spoken.start + 0.3]
    assert len(entry) >= 4, "the entry's frames are where the dubbed sentence starts"


@pytest.mark.slow
def test_plays_to_the_end_in_chromium(reel, constant):
    """A real <video> element in headless Chromium plays both reels to their end."""
    from app_fixtures import CHROMIUM, CHROMIUM_FLAGS

    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed (scripts/install-system-deps.sh --test)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS,
                                             headless=True)
        try:
            for made in (reel, constant):
                page = browser.new_page()
                page.set_default_timeout(120_000)
                page.goto(made.video.as_uri())  # Chromium's own player page for the file
                result = page.evaluate("""async () => {
                    const video = document.querySelector('video');
                    await new Promise(r => video.readyState >= 1 ? r() :
                                           video.addEventListener('loadedmetadata', r));
                    video.muted = true;
                    video.playbackRate = 16;  // Chromium's fastest: it still decodes to the end
                    const ended = new Promise(r => video.addEventListener('ended', r));
                    await video.play();
                    await ended;
                    return {duration: video.duration, at: video.currentTime,
                            error: video.error && video.error.code,
                            width: video.videoWidth, height: video.videoHeight,
                            frames: video.getVideoPlaybackQuality().totalVideoFrames};
                }""")
                page.close()
                assert result["error"] is None
                assert (result["width"], result["height"]) == (W, H)
                assert result["duration"] == pytest.approx(made.duration, abs=2 / FPS)
                assert result["at"] == pytest.approx(made.duration, abs=2 / FPS)
                assert result["frames"] > 0
        finally:
            browser.close()


@pytest.fixture(scope="module")
def zoomed(work, slides) -> tuple[Reel, Narration]:
    # The title and the fixes slide (11.6 s of the 17.2): the test reads the first slide, and
    # one hard cut still lies between two zooming slides; every zoomed frame is encoded, so
    # the closing slide would cost a third of the module's slowest render.
    story = short_story()
    story.slides = story.slides[:2]
    timed = narrate(story, VOICE, work / "voice-cut", crossfade=0, min_duration=5)  # no padding
    options = ReelOptions(zoom=True, crossfade=0, captions="off", preset="ultrafast")
    # a "%" in the folder name is just a character
    return render_reel(slides[:2], timed, options, work / "100% zoom" / "zoom.mp4"), timed


@pytest.mark.slow
def test_zoom_without_crossfades_or_captions(zoomed, slides):
    reel, timed = zoomed
    _, video, _ = streams(reel.video)
    # continuous motion: the picture changes every second frame all the way through
    assert int(video["nb_frames"]) > round(timed.duration * FPS) * 0.45
    first = timed.slides[0]
    original = Image.open(slides[0]).convert("L")
    early = frame(reel.video, first.start + 0.1)
    late = frame(reel.video, first.end - 0.1)
    header = (0, 0, W, 400)
    # the first slide starts as drawn and ends zoomed in
    assert mean_difference(early, original, header) < 3
    zoomed_in = mean_difference(late, original, header)
    assert zoomed_in > 4 and zoomed_in > 3 * mean_difference(early, original, header)
    # no caption while a sentence is spoken
    cue = next(c for c in timed.cues if c.slide == 0)
    inside, _ = ink(frame(reel.video, cue.start - 0.1), frame(reel.video, cue.start + 0.5))
    assert inside < 1000


@pytest.mark.slow
@pytest.mark.parametrize("scripts", [[["Only one slide here."]],
                                     [["First."], [], ["Last."]]], ids=["single", "silent"])
def test_a_single_slide_and_a_slide_without_narration(tmp_path, slides, scripts):
    kinds = [SlideKind.TITLE, SlideKind.HIGHLIGHTS, SlideKind.CLOSING]
    story = Story("t", "s", slides=[Slide(kind, "x", narration=lines)
                                    for kind, lines in zip(kinds, scripts, strict=False)])
    timed = narrate(story, VOICE, tmp_path, min_duration=5)
    reel = render_reel(slides[:len(scripts)], timed, ReelOptions(preset="ultrafast"),
                       tmp_path / "reel.mp4")
    _, video, audio = streams(reel.video)
    assert float(video["duration"]) == pytest.approx(timed.duration, abs=1 / FPS)
    assert float(audio["duration"]) == pytest.approx(timed.duration, abs=1 / FPS)


@pytest.mark.slow
def test_any_image_can_be_a_slide(tmp_path, narration, slides):
    """A slide without the art stage's scene (a user's own picture, any size) is shown still."""
    own = tmp_path / "own.jpg"
    picture = Image.new("RGB", (1600, 900), (255, 255, 255))
    picture.paste((0, 0, 0), (800, 0, 1600, 900))
    picture.save(own)
    edited = tmp_path / slides[1].name  # the art stage's slide, changed after it was drawn
    Image.open(slides[1]).transpose(Image.Transpose.FLIP_TOP_BOTTOM).save(edited)
    reel = render_reel([own, edited, slides[2]], narration,
                       ReelOptions(preset="ultrafast", captions="off"), tmp_path / "reel.mp4")
    shown = frame(reel.video, settled(narration, 0))
    # cropped to cover the frame: white left, black right of the middle
    assert shown.getpixel((W // 2 - 100, H // 2)) > 220 > 35 > shown.getpixel((W // 2 + 100, 960))
    flipped = Image.open(edited).convert("L")
    assert mean_difference(frame(reel.video, before_first_cue(narration, 1)), flipped,
                           (0, 0, W, H)) < 3


@pytest.mark.slow
def test_the_reel_runs_no_program(tmp_path, narration, slides, monkeypatch):
    """Video, soundtrack and mux all happen in this process (PyAV's own FFmpeg): the Action's
    image needs no ffmpeg package for the reel."""
    started: list[list[str]] = []

    def refuse(self, args, *rest, **options):
        started.append(list(args))
        raise OSError(f"no program may run: {args[0]}")

    monkeypatch.setattr(subprocess.Popen, "__init__", refuse)
    reel = render_reel(slides, narration, ReelOptions(preset="ultrafast"), tmp_path / "reel.mp4")
    monkeypatch.undo()
    assert started == []
    _, video, audio = streams(reel.video)
    assert video["codec_name"] == "h264" and audio["codec_name"] == "aac"
    assert float(audio["duration"]) == pytest.approx(narration.duration, abs=1 / FPS)


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
    with pytest.raises(ToolError, match="reel's audio failed"):
        render_reel(slides, dataclasses.replace(narration, audio=corrupt),
                    ReelOptions(preset="ultrafast"), out)
    assert not out.exists()
    assert not list(out.parent.iterdir()), "no partial file or temporary folder left"


def test_speech_that_cannot_be_normalized_leaves_no_reel(tmp_path, narration, slides):
    """The reel's audio thread normalizes a speech it is given: silence fails there, as one
    clear error, and neither a reel nor a narration file is left."""
    silent = tmp_path / "silent.wav"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i",
                    f"anullsrc=r=22050:cl=mono:d={narration.duration}", str(silent)], check=True)
    timing = dataclasses.replace(narration, audio=tmp_path / "narration.en.wav")
    out = tmp_path / "out" / "reel.mp4"
    with pytest.raises(ToolError, match="the narration is silent"):
        render_reel(slides, Speech(timing, silent), ReelOptions(preset="ultrafast"), out)
    assert not out.exists() and not list(out.parent.iterdir())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"], "no narration, no raw speech"


def test_a_rendered_reel_lets_go_of_its_frames(tmp_path, narration, slides):
    """Its frames (kept for reuse while it renders) go when it returns, not at some later
    garbage collection: a process that renders several reels (the dubs) does not grow."""
    import gc

    import av

    def frames() -> int:
        return sum(isinstance(o, av.VideoFrame) for o in gc.get_objects())

    gc.collect()
    before = frames()
    gc.disable()
    try:
        render_reel(slides, narration, ReelOptions(preset="ultrafast"), tmp_path / "reel.mp4")
        assert frames() == before
    finally:
        gc.enable()
