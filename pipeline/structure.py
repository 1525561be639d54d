"""The plain data that flows between the pipeline's stages.

Every stage takes and returns these dataclasses (and file paths); none of them holds a
client, a connection or a callback, so any stage can be run and tested alone and results can
be serialized with :func:`dataclasses.asdict`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path


class ChangeKind(StrEnum):
    """What a change means for a reader, in the order the post lists them."""

    BREAKING = "breaking"
    SECURITY = "security"
    REMOVAL = "removal"
    DEPRECATION = "deprecation"
    FEATURE = "feature"
    FIX = "fix"
    PERFORMANCE = "performance"
    DOCS = "docs"
    OTHER = "other"


@dataclass(frozen=True)
class Repository:
    full_name: str  # "owner/name"
    description: str = ""
    html_url: str = ""
    private: bool = False

    @property
    def owner(self) -> str:
        return self.full_name.split("/", 1)[0]

    @property
    def name(self) -> str:
        return self.full_name.split("/", 1)[-1]


@dataclass
class ChangeItem:
    """One entry of the release notes (a bullet), classified."""

    text: str  # the entry as the author wrote it (Markdown inline), without "by @x in URL"
    kind: ChangeKind = ChangeKind.OTHER
    section: str = ""  # heading it was found under, e.g. "Fixed", "What's Changed"
    author: str | None = None  # GitHub login without "@"
    pr: int | None = None
    url: str | None = None
    scope: str | None = None  # conventional-commit scope, "feat(cli): ..." -> "cli"
    group: str | None = None  # the component a parent bullet or sub-heading names ("Form")
    emoji: str | None = None  # the gitmoji the entry started with: shown, never spoken
    refs: list[int] = field(default_factory=list)  # every PR/issue number it cites, pr first
    labels: list[str] = field(default_factory=list)  # the PR's labels, when GitHub told us


@dataclass
class Commit:
    sha: str
    subject: str
    author_name: str
    author_email: str
    date: datetime
    type: str | None = None  # conventional-commit type: feat, fix, docs, ...
    breaking: bool = False
    prs: list[int] = field(default_factory=list)
    co_authors: list[str] = field(default_factory=list)  # "Name <email>" of Co-authored-by


@dataclass
class DiffStat:
    files: int = 0
    insertions: int = 0
    deletions: int = 0


@dataclass
class Contributor:
    login: str  # GitHub login when known, else the commit author name
    first_time: bool = False
    commits: int = 0
    name: str | None = None  # the person's name from git, when it differs from the login
    avatar_url: str | None = None  # from the GitHub API, when it was asked
    bot: bool = False  # automation; kept out of the people thanked unless configured


@dataclass
class ReleaseFacts:
    """Everything known about one release. Writers may only state what is in here."""

    tag: str
    name: str
    body: str
    date: datetime
    url: str
    repository: Repository
    prerelease: bool = False
    draft: bool = False
    previous_tag: str | None = None
    commits: list[Commit] = field(default_factory=list)
    diffstat: DiffStat = field(default_factory=DiffStat)
    items: list[ChangeItem] = field(default_factory=list)
    contributors: list[Contributor] = field(default_factory=list)
    full_changelog_url: str | None = None
    # Whether commits, diffstat and commit authors are the release's real figures: False for
    # a release read from its event alone or from a shallow checkout that could not be
    # completed, so no wrong number is published. ``history`` says where they came from.
    counted: bool = True
    history: str = "git"  # "git", "github" (the compare API) or "" (not counted)
    warnings: list[str] = field(default_factory=list)  # what the facts stage had to leave out

    @property
    def title(self) -> str:
        """The release's display name: its name, else its tag."""
        return " ".join(self.name.split()) or self.tag

    def of_kind(self, kind: ChangeKind) -> list[ChangeItem]:
        return [item for item in self.items if item.kind == kind]

    @property
    def breaking(self) -> list[ChangeItem]:
        return self.of_kind(ChangeKind.BREAKING)

    @property
    def features(self) -> list[ChangeItem]:
        return self.of_kind(ChangeKind.FEATURE)

    @property
    def fixes(self) -> list[ChangeItem]:
        return self.of_kind(ChangeKind.FIX)

    @property
    def others(self) -> list[ChangeItem]:
        return self.of_kind(ChangeKind.OTHER)

    @property
    def security(self) -> list[ChangeItem]:
        return self.of_kind(ChangeKind.SECURITY)

    @property
    def removals(self) -> list[ChangeItem]:
        return self.of_kind(ChangeKind.REMOVAL)

    @property
    def deprecations(self) -> list[ChangeItem]:
        return self.of_kind(ChangeKind.DEPRECATION)

    @property
    def performance(self) -> list[ChangeItem]:
        return self.of_kind(ChangeKind.PERFORMANCE)

    @property
    def docs(self) -> list[ChangeItem]:
        return self.of_kind(ChangeKind.DOCS)

    @property
    def pull_requests(self) -> list[int]:
        """Distinct PR numbers the items and commits name, in order of appearance."""
        found = [n for item in self.items for n in (item.refs or ([item.pr] if item.pr else []))]
        found += [n for commit in self.commits for n in commit.prs]
        return list(dict.fromkeys(found))

    @property
    def first_time_contributors(self) -> list[Contributor]:
        return [c for c in self.contributors if c.first_time]


class SlideKind(StrEnum):
    TITLE = "title"
    HIGHLIGHTS = "highlights"
    BREAKING = "breaking"
    FIXES = "fixes"
    CONTRIBUTORS = "contributors"
    CLOSING = "closing"


@dataclass
class Slide:
    """One slide of the reel and what the narrator says while it is shown."""

    kind: SlideKind
    heading: str
    lines: list[str] = field(default_factory=list)  # bullet lines drawn on the slide
    narration: list[str] = field(default_factory=list)  # sentences, synthesized one by one


@dataclass
class Story:
    """What the writer produced: the words of the post and of the reel."""

    title: str
    summary: str  # one or two sentences, also the post's SEO description
    highlights: list[str] = field(default_factory=list)
    slides: list[Slide] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    language: str = "en"
    writer: str = "template"


@dataclass
class Artwork:
    cover: Path  # wide image on top of the post
    social_card: Path  # 1200x630, the post's `image`
    slides: list[Path]  # 1080x1920, one per Story.slides entry, without captions


@dataclass
class Word:
    """One spoken word and when it is heard, in seconds (from the reel's start inside a Cue)."""

    text: str  # as shown in the caption, punctuation attached ("files,")
    start: float
    end: float


@dataclass
class Cue:
    """One caption as shown on a phone, timed from the audio, in seconds from the reel's start.

    ``text`` is the cue on one line; ``lines`` the same words broken into at most two lines
    (<= 42 characters, about 16-20 for CJK) as the VTT/SRT files show them (empty: one line).
    A cue lasts 1-7 s and reads at <= ~20 characters per second.

    ``words`` are the cue's words in order, each timed from the audio (Piper's alignments) or
    estimated inside the cue's exact span (espeak-ng): enough to highlight the word being
    spoken. Joined with spaces (no space for CJK) they give ``text``. May be empty (a recorded
    voice-over transcribed without word timestamps).
    """

    start: float
    end: float
    text: str
    slide: int  # index into Story.slides
    lines: list[str] = field(default_factory=list)
    sentence: int = 0  # which spoken sentence (0, 1, ... over the reel): a long one has cues
    words: list[Word] = field(default_factory=list)


@dataclass
class SlideTiming:
    start: float
    end: float


@dataclass
class Narration:
    audio: Path  # normalized WAV, 48 kHz
    duration: float
    cues: list[Cue]
    slides: list[SlideTiming]  # when each slide is on screen (crossfades overlap the edges)
    vtt: Path
    srt: Path
    language: str = "en"
    loudness_lufs: float | None = None
    true_peak_dbtp: float | None = None


@dataclass
class Reel:
    video: Path
    duration: float
    width: int = 1080
    height: int = 1920
    language: str = "en"
    captions_vtt: Path | None = None
    captions_srt: Path | None = None


@dataclass
class SiteOutput:
    """Where the artifacts landed inside the Jekyll site (paths relative to the site root)."""

    post: Path
    post_url: str  # site-relative URL of the post, e.g. /2024/05/01/acme-v1-2-0.html
    assets: list[Path] = field(default_factory=list)
    video: Path | None = None
    images: list[Path] = field(default_factory=list)
