"""The ``.github/releasecast.yml`` configuration: typed options with precise errors.

Every section forbids unknown keys, so a typo is reported (with the key's dotted path)
instead of being silently ignored.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import ConfigError
from .request import PublishRequest

DEFAULT_CONFIG_PATH = Path(".github/releasecast.yml")
_HEX_COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}){1,2}$")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Colors(_Section):
    background: str = "#0f172a"
    foreground: str = "#f8fafc"
    accent: str = "#38bdf8"
    muted: str = "#94a3b8"

    @field_validator("background", "foreground", "accent", "muted", mode="before")
    @classmethod
    def _hex(cls, value: Any) -> str:
        if value is None:
            # `accent: #38bdf8` unquoted: YAML reads everything from `#` on as a comment
            raise ValueError("got no colour: quote hex colours in YAML, e.g. "
                             "accent: \"#38bdf8\" (an unquoted # starts a comment)")
        if not isinstance(value, str) or not _HEX_COLOUR.match(value):
            raise ValueError(f"expected a hex colour like '#0f172a', got {value!r}")
        return value


class Brand(_Section):
    name: str = ""  # empty: the repository's name
    colors: Colors = Colors()
    logo: Path | None = None  # PNG/JPEG, relative to the repository root
    font: Path | None = None  # a TTF/OTF/TTC to use before the bundled choices


class Output(_Section):
    posts_dir: str = "_posts"
    assets_dir: str = "assets/releasecast"  # each release gets <assets_dir>/<slug>/
    layout: str = "post"


class ReelOptions(_Section):
    enabled: bool = True
    max_duration: Annotated[float, Field(ge=15, le=60)] = 60.0
    min_duration: Annotated[float, Field(ge=5, le=60)] = 15.0
    max_items: Annotated[int, Field(ge=1, le=10)] = 3  # bullets per slide
    crossfade: Annotated[float, Field(ge=0, le=2)] = 0.5
    # A slow zoom on each slide: every frame then differs, so the reel costs a frame-by-frame
    # encode (several times the default's render time).
    zoom: bool = False
    # Burned-in captions: "words" (short phrases as they are spoken, the word being spoken in
    # the accent colour), "sentences" (each cue whole) or "off"; VTT/SRT are always written.
    captions: Literal["words", "sentences", "off"] = "words"
    # "variable": each distinct frame is encoded once and held until the next (most of a reel
    # is still); "constant": 30 fps, for platforms that want it.
    frame_rate: Literal["variable", "constant"] = "variable"
    music: Path | None = None  # background music file, ducked under the voice
    music_volume: Annotated[float, Field(ge=0, le=1)] = 0.2
    crf: Annotated[int, Field(ge=0, le=51)] = 23
    preset: Literal[
        "ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow"
    ] = "superfast"

    @field_validator("captions", mode="before")
    @classmethod
    def _captions_switch(cls, value: Any) -> Any:
        # `captions: true/false` (the older switch) still means words/off
        return {True: "words", False: "off"}.get(value, value) if isinstance(value, bool) else value


class VoiceOptions(_Section):
    # piper (neural, offline, en_US-joe-medium bundled): a language without a Piper voice is
    # spoken by espeak-ng; also espeak, openai, coqui (pipeline/voice/backends/)
    backend: str = "piper"
    voice: str = ""  # backend-specific voice name; empty: the language's default
    rate: Annotated[int, Field(ge=80, le=400)] = 165  # words per minute (espeak-ng -s)
    base_url: str | None = None
    # piper: a voice file (voice.onnx next to voice.onnx.json; relative to the repository);
    # openai: the model name
    model: str | None = None
    # How the narrator says a term: {ruff: ruff, antd: "ant design", "--color": "the color
    # option"}; matched as a whole word, case-insensitively (the key's case when it has capitals)
    lexicon: dict[str, str] = Field(default_factory=dict)
    # Bring your own narration: a recorded voice-over replaces TTS; Whisper (the `whisper`
    # extra) times its captions. `whisper_model` is a Whisper model name or a local .pt path.
    recording: Path | None = None
    whisper_model: str = "base"


class StoryOptions(_Section):
    # The narration's language: auto (the release notes' own, detected) or a code such as
    # "en": the items are then translated into it with `translator`.
    language: str = "auto"

    @field_validator("language")
    @classmethod
    def _language_code(cls, value: str) -> str:
        if value != "auto" and not re.fullmatch(r"[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*", value):
            raise ValueError(f"expected 'auto' or a language code like 'en', got {value!r}")
        return value


_KINDS = Literal["breaking", "security", "removal", "deprecation", "feature", "fix",
                 "performance", "docs", "other"]


class NotesExclude(_Section):
    labels: list[str] = Field(default_factory=list)  # PR labels, e.g. [skip-changelog]
    patterns: list[str] = Field(default_factory=list)  # regular expressions on the item text
    authors: list[str] = Field(default_factory=list)  # logins

    @field_validator("patterns")
    @classmethod
    def _regexes(cls, value: list[str]) -> list[str]:
        return _check_patterns(value)


def _check_patterns(value: list[str]) -> list[str]:
    for pattern in value:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {pattern!r} ({exc})") from None
    return value


class NotesOptions(_Section):
    """Where a release's change items come from (docs/facts.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    # auto: the release body, or the changelog file's section for the tag when the body is
    # empty or only points there; release: the body only; changelog: the file only.
    source: Literal["auto", "release", "changelog"] = Field("auto", alias="from")
    file: str | None = None  # default: the first of CHANGELOG.md, CHANGES.md, HISTORY.md, ...
    thank_bots: bool = False  # dependabot, renovate, pre-commit-ci... among the people thanked
    exclude: NotesExclude = NotesExclude()


class Category(_Section):
    """One of release-drafter's ``categories``: matched by label, title pattern, emoji or the
    heading's title; the first match decides the item's kind over every other signal."""

    title: str
    kind: _KINDS | None = None  # default: what the title says ("Bug Fixes" -> fix)
    labels: list[str] = Field(default_factory=list)
    patterns: list[str] = Field(default_factory=list)  # regular expressions on the item text
    emoji: list[str] = Field(default_factory=list)

    @field_validator("patterns")
    @classmethod
    def _regexes(cls, value: list[str]) -> list[str]:
        return _check_patterns(value)


class GitHubFacts(_Section):
    # With a token (the Action's github-token, the App's installation token), ask GitHub's
    # API for the commits (compare), their pull requests and labels, first-time contributors.
    api: bool = True
    labels: dict[str, _KINDS] = Field(default_factory=dict)  # extra label -> kind


class WriterOptions(_Section):
    backend: str = "template"
    model: str | None = None
    base_url: str | None = None
    temperature: Annotated[float, Field(ge=0, le=2)] = 0.4


class Config(_Section):
    brand: Brand = Brand()
    templates: Path | None = None  # directory whose templates override the bundled ones
    output: Output = Output()
    reel: ReelOptions = ReelOptions()
    voice: VoiceOptions = VoiceOptions()
    voices: dict[str, VoiceOptions] = Field(default_factory=dict)  # per dubbed language
    story: StoryOptions = StoryOptions()
    writer: WriterOptions = WriterOptions()
    notes: NotesOptions = NotesOptions()
    categories: list[Category] = Field(default_factory=list)
    github: GitHubFacts = GitHubFacts()
    languages: list[str] = Field(default_factory=list)
    translator: str = "apertium"
    include_prereleases: bool = False
    tags: list[str] = Field(default_factory=lambda: ["release"])
    # Where the GitHub App publishes this repository's posts (the Action takes the same
    # choices as inputs; the CLI ignores it).
    app: PublishRequest = Field(default_factory=PublishRequest)

    @field_validator("languages")
    @classmethod
    def _language_codes(cls, value: list[str]) -> list[str]:
        for code in value:
            if not re.fullmatch(r"[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*", code):
                raise ValueError(f"expected language codes like 'es' or 'pt-BR', got {code!r}")
        return value


def describe_error(error: Any, prefix: str = "") -> str:
    """One validation problem as ``dotted.key: what was expected (got ...)``."""
    where = prefix + ".".join(str(part) for part in error["loc"]) or "(top level)"
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"{where}: unknown key"
    message = error["msg"]
    message = message.removeprefix("Value error, ")
    got = error.get("input")
    if kind != "missing" and not isinstance(got, dict) and "got" not in message:
        message = f"{message} (got {got!r})"
    return f"{where}: {message}"


def parse_config(data: object, source: str = "config") -> Config:
    """Validate already-parsed YAML data; raise :class:`ConfigError` naming each bad key."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping of options, got {type(data).__name__}")
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(describe_error(e) for e in exc.errors())
        raise ConfigError(f"{source}: {problems}") from None


def repository_root(config_file: Path) -> Path:
    """The root of the repository a config file is in, for callers that do not name it: the
    folder holding its ``.github/``, else the nearest one with ``.git``, else the current one."""
    for folder in config_file.absolute().parents:
        if folder.name == ".github":
            return folder.parent
        if (folder / ".git").exists():
            return folder
    return Path.cwd()


def load_config(path: Path | None, *, required: bool = False, source: str | None = None,
                root: Path | None = None) -> Config:
    """Load a config file. A missing optional file gives the defaults.

    ``source`` names the file in error messages (default: the path as given). Relative paths
    in it are relative to the repository root: ``root``, else :func:`repository_root`.
    """
    if path is None or not path.exists():
        if required and path is not None:
            raise ConfigError(f"config file not found: {path}")
        return Config()
    source = source or str(path)
    try:
        text = path.read_text(encoding="utf-8")
        data = yaml.safe_load(text)
    except UnicodeDecodeError:
        raise ConfigError(f"{source}: not UTF-8 text") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        reason = " ".join(part for part in (getattr(exc, "context", None),
                                            getattr(exc, "problem", None)) if part)
        raise ConfigError(f"{source}: invalid YAML{where}: {reason or 'cannot parse'}") from None
    except OSError as exc:
        raise ConfigError(f"{source}: cannot read: {exc.strerror}") from None
    config = resolve_paths(parse_config(data, source), root or repository_root(path))
    if config.templates is not None and not config.templates.is_dir():
        # Silently falling back to the bundled templates would publish posts nobody asked for.
        raise ConfigError(f"{source}: templates: {config.templates} is not a directory "
                          "(paths are relative to the repository root)")
    return config


def resolve_paths(config: Config, base: Path) -> Config:
    """Make file options relative to the repository root absolute."""

    def resolve(p: Path | None) -> Path | None:
        return p if p is None or p.is_absolute() else (base / p)

    brand = config.brand.model_copy(
        update={"logo": resolve(config.brand.logo), "font": resolve(config.brand.font)}
    )
    reel = config.reel.model_copy(update={"music": resolve(config.reel.music)})
    voice = config.voice.model_copy(update={"recording": resolve(config.voice.recording)})
    if voice.backend == "piper" and voice.model:  # a Piper voice is a file
        voice = voice.model_copy(update={"model": str(resolve(Path(voice.model)))})
    return config.model_copy(
        update={"brand": brand, "reel": reel, "voice": voice,
                "templates": resolve(config.templates)}
    )
