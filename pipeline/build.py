"""Running the whole chain for one release: facts → story → art + voice → reel → site.

:func:`render_release` makes everything but the post (in a work directory);
:func:`write_release` renders the post, once, with the reels where they were placed, and moves
it all into the site. :func:`build_release` is both, for the CLI; :mod:`pipeline.blog` places
the reels (release assets, YouTube) in between.
"""

from __future__ import annotations

import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import Config
from .errors import InputError
from .progress import Progress, quiet
from .site import Media, VideoPlacement, check_site, write_site
from .site.slug import release_slug
from .story import write_story
from .structure import Artwork, Narration, Reel, ReleaseFacts, SiteOutput, Story

if TYPE_CHECKING:
    from .voice.narrate import Speech


@dataclass
class Rendered:
    """Everything made for a release before the post: files in ``work_dir``."""

    facts: ReleaseFacts
    story: Story
    slug: str
    work_dir: Path
    artwork: Artwork
    narration: Narration | None = None
    reel: Reel | None = None
    dubs: dict[str, Reel] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def reels(self) -> dict[str, Reel]:
        """Every reel by language, the original first."""
        return {self.reel.language: self.reel, **self.dubs} if self.reel else {}

    def media(self) -> Media:
        return Media(self.artwork.cover, self.artwork.social_card, self.artwork.slides,
                     self.reel, self.dubs)

    def cleanup(self) -> None:
        """Remove the work directory (the reel files there are gone afterwards)."""
        shutil.rmtree(self.work_dir, ignore_errors=True)


@dataclass(kw_only=True)
class BuildResult(Rendered):
    """A release built into a site: what was made, and where the site has it."""

    site: Path
    output: SiteOutput
    placement: VideoPlacement = field(default_factory=VideoPlacement)

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
    facts: ReleaseFacts, story: Story, config: Config, work: Path, progress: Progress,
    link: str | None = None,
) -> tuple[Artwork, Narration | Speech | None]:
    """Art (Pillow, in-process) and voice (a Piper server, or another program) overlap well.
    The narration's loudness is left to the reel, which normalizes it while it starts."""
    from .art import render_artwork

    def art() -> Artwork:
        with progress.stage("art", "images", spinner=False):
            return render_artwork(facts, story, config.brand, work / "art", link=link)

    def voice() -> Narration | Speech:
        from .voice.narrate import speak

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
            return speak(
                story, config.voice, work / "voice", crossfade=config.reel.crossfade,
                min_duration=config.reel.min_duration, max_duration=config.reel.max_duration,
                keep_voice=False,  # the reel, not a voice, needs the memory next
            )

    if not config.reel.enabled:
        return art(), None
    with ThreadPoolExecutor(max_workers=2) as pool:
        artwork = pool.submit(art)
        narration = pool.submit(voice)
        return artwork.result(), narration.result()


def _start_voice_early(config: Config) -> None:
    """Piper's server takes ~2 s to start: begin now, so that it overlaps the story and the
    art. The story's language is not known yet (detecting it may load a model): with
    ``story.language: auto`` the notes are taken to be in the voice's own language."""
    voice = config.voice
    if not config.reel.enabled or voice.recording is not None or voice.backend != "piper":
        return
    from .voice.backends.piper import start_early

    wanted = config.story.language
    start_early(voice, None if wanted == "auto" else wanted)


def post_link(facts: ReleaseFacts, site: Path | None) -> str | None:
    """The post's absolute URL, when the site says where it is served from."""
    from .site import post_url, read_settings
    from .site.scaffold import is_placeholder

    if site is None:
        return None
    settings = read_settings(site)
    if is_placeholder(settings.url):  # a scaffolded site's .invalid: no place to send viewers
        return None
    return settings.absolute(post_url(facts, release_slug(facts), settings))


def render_release(
    facts: ReleaseFacts,
    config: Config,
    *,
    work_dir: Path | None = None,
    languages: list[str] | None = None,
    progress: Progress | None = None,
    site: Path | None = None,
) -> Rendered:
    """Story, images, narration, reel and dubbed reels for ``facts``, in ``work_dir`` (a new
    temporary directory by default; :meth:`Rendered.cleanup` removes it). ``languages``
    overrides ``config.languages`` for dubbed reels. ``site``: the Jekyll site the post will
    land in; when its ``_config.yml`` names the site's ``url``, the closing card links the
    post, else the release page."""
    progress = progress or quiet()
    _start_voice_early(config)
    work = Path(work_dir) if work_dir else Path(tempfile.mkdtemp(prefix="releasecast-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        with progress.stage("story", f"story ({config.writer.backend} writer)"):
            story = write_story(facts, config)
        languages = languages if languages is not None else config.languages
        _check_languages(story, config, languages)
        artwork, spoken = _art_and_voice(facts, story, config, work, progress,
                                         post_link(facts, site))
        reel = narration = None
        if spoken is not None:
            from .reel import render_reel
            from .voice.narrate import Speech

            with progress.stage("reel", "reel (1080x1920 H.264)"):
                reel = render_reel(artwork.slides, spoken, config.reel, work / "reel.mp4",
                                   brand=config.brand,
                                   progress=progress.fraction("reel (1080x1920 H.264)"))
            narration = spoken.normalize() if isinstance(spoken, Speech) else spoken
        dubs = _dub(facts, story, config, artwork, narration, work, progress, languages)
    except BaseException:
        if work_dir is None:
            shutil.rmtree(work, ignore_errors=True)
        raise
    return Rendered(facts, story, release_slug(facts), work, artwork, narration, reel, dubs,
                    dict(progress.timings))


def write_release(rendered: Rendered, config: Config, site: Path, *,
                  placement: VideoPlacement | None = None,
                  progress: Progress | None = None,
                  front_matter: dict[str, Any] | None = None) -> BuildResult:
    """Render the post, once, with the reels where ``placement`` says, and move the post and
    its assets into the Jekyll ``site``. ``front_matter``: keys the caller records in the
    post (the inputs' fingerprint)."""
    progress = progress or quiet()
    placement = placement or VideoPlacement()
    with progress.stage("site", "post and assets into the site"):
        output = write_site(site, rendered.facts, rendered.story, config, rendered.media(),
                            placement, front_matter=front_matter)
    fields = {name: getattr(rendered, name) for name in Rendered.__dataclass_fields__}
    fields["timings"] = dict(progress.timings) or rendered.timings
    return BuildResult(**fields, site=site, output=output, placement=placement)


def build_release(
    facts: ReleaseFacts,
    config: Config,
    site: Path,
    *,
    work_dir: Path | None = None,
    languages: list[str] | None = None,
    progress: Progress | None = None,
) -> BuildResult:
    """Build everything for ``facts`` and place it into the Jekyll ``site``, the reels beside
    the post. Intermediate files stay in ``work_dir`` until :meth:`BuildResult.cleanup`."""
    progress = progress or quiet()
    check_site(site)
    rendered = render_release(facts, config, work_dir=work_dir, languages=languages,
                              progress=progress, site=site)
    try:
        return write_release(rendered, config, site, progress=progress)
    except BaseException:
        if work_dir is None:
            rendered.cleanup()
        raise


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
    from .dub import dub_reel, voice_for
    from .voice.backends import release_voice

    dubs: dict[str, Reel] = {}
    for language in languages:
        if language == story.language:
            continue
        with progress.stage(f"dub:{language}", f"dubbed reel ({language})"):
            dubs[language] = dub_reel(story, narration, artwork.slides, config, language,
                                      work / f"dub-{language}")
        # No later narration speaks this language: its voice's memory (a Piper server holds
        # ~300 MB) goes before the next dub's reel needs it.
        release_voice(voice_for(config, language))
    return dubs
