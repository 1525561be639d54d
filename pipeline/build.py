"""Running the whole chain for one release: facts → story → art + voice → reel → site.

This is the one function the CLI, the GitHub Action and the App worker call.
"""

from __future__ import annotations

import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import Config
from .errors import InputError
from .progress import Progress, quiet
from .site import Media, check_site, write_site
from .site.slug import release_slug
from .story import write_story
from .structure import Artwork, Narration, Reel, ReleaseFacts, SiteOutput, Story


@dataclass
class BuildResult:
    facts: ReleaseFacts
    story: Story
    slug: str
    site: Path
    output: SiteOutput
    work_dir: Path
    narration: Narration | None = None
    reel: Reel | None = None
    dubs: dict[str, Reel] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    def cleanup(self) -> None:
        """Remove the work directory (the reel files there are gone afterwards)."""
        shutil.rmtree(self.work_dir, ignore_errors=True)

    def summary(self) -> dict[str, Any]:
        """Machine-readable: every artifact's path and the stage timings."""
        site = self.site
        return {
            "release": {"repository": self.facts.repository.full_name, "tag": self.facts.tag,
                        "previous_tag": self.facts.previous_tag, "url": self.facts.url},
            "slug": self.slug,
            "site": str(site),
            "post": str(site / self.output.post),
            "post_url": self.output.post_url,
            "video": str(site / self.output.video) if self.output.video else None,
            "images": [str(site / p) for p in self.output.images],
            "assets": [str(site / p) for p in self.output.assets],
            "reel": {
                "duration": self.reel.duration,
                "languages": [self.reel.language, *self.dubs],
            } if self.reel else None,
            "narration": {
                "loudness_lufs": self.narration.loudness_lufs,
                "true_peak_dbtp": self.narration.true_peak_dbtp,
                "cues": len(self.narration.cues),
            } if self.narration else None,
            "writer": self.story.writer,
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }


def _art_and_voice(
    facts: ReleaseFacts, story: Story, config: Config, work: Path, progress: Progress
) -> tuple[Artwork, Narration | None]:
    """Art (Pillow, in-process) and voice (espeak-ng + ffmpeg, subprocesses) overlap well."""
    from .art import render_artwork

    def art() -> Artwork:
        with progress.stage("art", "images", spinner=False):
            return render_artwork(facts, story, config.brand, work / "art")

    def voice() -> Narration:
        from .voice import narrate

        recording = config.voice.recording
        if recording is not None:
            from .voice.transcribe import narration_from_recording

            if not recording.is_file():
                raise InputError(f"voice.recording: file not found: {recording}")
            with progress.stage("voice", "narration (recorded, timed by Whisper)",
                                spinner=False):
                return narration_from_recording(
                    recording, story, work / "voice", crossfade=config.reel.crossfade,
                    model=config.voice.whisper_model,
                )
        with progress.stage("voice", "narration", spinner=False):
            return narrate(
                story, config.voice, work / "voice", crossfade=config.reel.crossfade,
                min_duration=config.reel.min_duration, max_duration=config.reel.max_duration,
            )

    if not config.reel.enabled:
        return art(), None
    with ThreadPoolExecutor(max_workers=2) as pool:
        artwork = pool.submit(art)
        narration = pool.submit(voice)
        return artwork.result(), narration.result()


def build_release(
    facts: ReleaseFacts,
    config: Config,
    site: Path,
    *,
    work_dir: Path | None = None,
    video_url: str | None = None,
    languages: list[str] | None = None,
    extra_front_matter: dict[str, Any] | None = None,
    progress: Progress | None = None,
) -> BuildResult:
    """Build everything for ``facts`` and place it into the Jekyll ``site``.

    Intermediate files go to ``work_dir`` (a new temporary directory by default, kept so the
    reel can still be uploaded; call :meth:`BuildResult.cleanup` when done). ``languages``
    overrides ``config.languages`` for dubbed reels.
    """
    progress = progress or quiet()
    check_site(site)
    work = Path(work_dir) if work_dir else Path(tempfile.mkdtemp(prefix="releasecast-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        with progress.stage("story", f"story ({config.writer.backend} writer)"):
            story = write_story(facts, config)
        languages = languages if languages is not None else config.languages
        _check_languages(story, config, languages)
        artwork, narration = _art_and_voice(facts, story, config, work, progress)
        reel = None
        if narration is not None:
            from .reel import render_reel

            with progress.stage("reel", "reel (1080x1920 H.264)"):
                reel = render_reel(artwork.slides, narration, config.reel, work / "reel.mp4",
                                   brand=config.brand,
                                   progress=progress.fraction("reel (1080x1920 H.264)"))
        dubs = _dub(facts, story, config, artwork, narration, work, progress, languages)
        with progress.stage("site", "post and assets into the site"):
            output = write_site(
                site, facts, story, config,
                Media(artwork.cover, artwork.social_card, artwork.slides, reel, dubs),
                video_url=video_url, extra_front_matter=extra_front_matter,
            )
    except BaseException:
        if work_dir is None:
            shutil.rmtree(work, ignore_errors=True)
        raise
    return BuildResult(facts, story, release_slug(facts), site, output, work, narration, reel,
                       dubs, dict(progress.timings))


def _check_languages(story: Story, config: Config, languages: list[str]) -> None:
    """A language no translator here can reach fails now, before minutes of rendering."""
    if not languages or not config.reel.enabled:
        return
    from .translate import get_translator

    translator = get_translator(config)
    for language in languages:
        if language != story.language:
            translator.check(story.language, language)


def _dub(
    facts: ReleaseFacts, story: Story, config: Config, artwork: Artwork,
    narration: Narration | None, work: Path, progress: Progress, languages: list[str],
) -> dict[str, Reel]:
    if narration is None or not languages:
        return {}
    from .dub import dub_reel

    dubs: dict[str, Reel] = {}
    for language in languages:
        if language == story.language:
            continue
        with progress.stage(f"dub:{language}", f"dubbed reel ({language})"):
            dubs[language] = dub_reel(story, narration, artwork.slides, config, language,
                                      work / f"dub-{language}")
    return dubs
