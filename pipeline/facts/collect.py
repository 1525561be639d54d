"""Assembling :class:`ReleaseFacts` from a release event, a git checkout, or both."""

from __future__ import annotations

import difflib
from dataclasses import replace
from functools import cmp_to_key
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..config import Config
from ..errors import InputError
from ..structure import ChangeItem, DiffStat, ReleaseFacts, Repository
from .categories import apply_categories
from .changelog import points_elsewhere, read_changelog
from .event import EventRelease, check_release_event, load_event, release_of
from .git import GitRepo, TagRef, github_full_name
from .history import History, People, items_from_commits, to_commit
from .notes import ReleaseNotes, parse_notes
from .versions import DatedTag, compare_versions, tag_version
from .versions import previous_tag as find_previous_tag

_CHECKOUT_HINT = "in GitHub Actions, check out with `fetch-depth: 0` so tags and history are there"


def collect_facts(
    *,
    repo: Path | None = None,
    tag: str | None = None,
    event: Path | dict | None = None,
    previous_tag: str | None = None,
    config: Config | None = None,
) -> ReleaseFacts:
    """Everything known about one release.

    ``event`` (a path to, or the parsed, GitHub ``release`` event) gives the tag, name, body,
    date, URL and repository; ``repo`` (a git checkout) gives the previous tag, the commits,
    their authors and the diffstat, and stands in for the event's fields when there is none.
    ``tag`` picks the release in ``repo`` (default: the newest tag reachable from HEAD);
    ``previous_tag`` overrides the semver-aware search for the release before it.
    ``config`` supplies ``notes:`` (changelog file, bots, exclusions) and ``categories:``.

    In a shallow checkout whose history does not reach the previous tag, commits, diffstat
    and commit authors are left out (``counted`` is False, with a warning): a release is
    counted right or not counted. :func:`pipeline.facts.shallow.ensure_history` completes
    such a checkout first; :func:`pipeline.facts.github.enrich` can count it from the API.
    """
    config = config or Config()
    released = _event_release(event) if event is not None else None
    if released and tag and tag != released.tag:
        raise InputError(f"tag {tag!r} was given, but the event is for tag {released.tag!r}")
    if repo is not None:
        facts = _from_checkout(GitRepo(Path(repo)), released, tag, previous_tag, config)
    elif released is None:
        raise InputError("nothing to read: give a release event, a git repository, or both")
    else:
        facts = _from_event_only(released, previous_tag, config)
    facts.items = apply_categories(facts.items, config.categories, config.notes.exclude,
                                   dict(config.github.labels))
    return facts


def _event_release(event: Path | str | dict[str, Any]) -> EventRelease:
    if isinstance(event, dict):
        check_release_event(event)
        return release_of(event)
    return release_of(load_event(Path(event)))


def _from_event_only(released: EventRelease, previous: str | None, config: Config
                     ) -> ReleaseFacts:
    notes = parse_notes(released.body) if config.notes.source != "changelog" else ReleaseNotes()
    if previous is None and notes.compared_tags and notes.compared_tags[1] == released.tag:
        previous = notes.compared_tags[0]
    if released.date is None:
        raise InputError("event: the release has neither published_at nor created_at")
    return ReleaseFacts(
        tag=released.tag,
        name=released.name,
        body=released.body,
        date=released.date,
        url=released.url or _release_url(released.repository, released.tag),
        repository=released.repository,
        prerelease=released.prerelease,
        draft=released.draft,
        previous_tag=previous,
        items=_with_urls(notes.items, released.repository),
        contributors=People(History([], None), notes,
                            bots=config.notes.thank_bots).contributors(),
        full_changelog_url=notes.full_changelog_url,
        counted=False,  # no history was read: no commit, file or line figures
        history="",
    )


def _from_checkout(git: GitRepo, released: EventRelease | None, tag: str | None,
                   previous: str | None, config: Config) -> ReleaseFacts:
    tags = git.tags()
    by_name = {t.name: t for t in tags}
    if released:
        tag = released.tag
    elif tag is None:
        tag = git.nearest_tag()
        if tag is None:
            raise InputError(f"no tag given and none reachable from HEAD in {git.path}; "
                             f"pass the release's tag")
    current = _require_tag(git, tags, by_name, tag, draft=bool(released and released.draft))
    if previous is None:
        previous = find_previous_tag(tag, [DatedTag(t.name, t.date) for t in tags])
    else:
        _require_tag(git, tags, by_name, previous)
    base = by_name[previous].commit if previous else None

    warnings: list[str] = []
    counted = git.range_complete(current.commit, base)
    if counted:
        raw_commits = git.commits(current.commit, base)
        files, insertions, deletions = git.diffstat(current.commit, base)
    else:
        raw_commits, (files, insertions, deletions) = [], (0, 0, 0)
        since = f"since {previous}" if previous else "before it"
        warnings.append(f"the checkout is shallow: the history of {tag} {since} is not all "
                        f"there, so commits, files and lines are not counted "
                        f"({_CHECKOUT_HINT})")
    repository = released.repository if released else _repository_of(git)
    name, body = (released.name, released.body) if released else _tag_message(current)
    notes = _notes(git, tag, body, config)
    history = History(raw_commits, current.commit)
    people = People(history, notes, bots=config.notes.thank_bots)
    items = notes.items or items_from_commits(history, people, repository.html_url or None)
    return ReleaseFacts(
        tag=tag,
        name=name,
        body=body,
        date=(released.date if released and released.date else current.date),
        url=(released.url if released else "") or _release_url(repository, tag),
        repository=repository,
        prerelease=released.prerelease if released else _is_prerelease(tag),
        draft=released.draft if released else False,
        previous_tag=previous,
        commits=[to_commit(c) for c in raw_commits],
        diffstat=DiffStat(files=files, insertions=insertions, deletions=deletions),
        items=_with_urls(items, repository),
        contributors=people.contributors(),
        full_changelog_url=notes.full_changelog_url or _compare_url(repository, previous, tag),
        counted=counted,
        history="git" if counted else "",
        warnings=warnings,
    )


def _notes(git: GitRepo, tag: str, body: str, config: Config) -> ReleaseNotes:
    """The release's notes: its body, or its section of the checkout's changelog file."""
    source = config.notes.source
    notes = parse_notes(body) if source != "changelog" else ReleaseNotes()
    if source == "release" or (source == "auto"
                               and not points_elsewhere(body, bool(notes.items))):
        return notes
    found = read_changelog(git.root, tag, config.notes.file)
    if found is None:
        if source == "changelog":
            raise InputError(f"notes: from: changelog, but no changelog section names {tag}")
        return notes
    section, _ = found
    from_file = parse_notes(section)
    from_file.full_changelog_url = notes.full_changelog_url or from_file.full_changelog_url
    return from_file


def _require_tag(git: GitRepo, tags: list[TagRef], by_name: dict[str, TagRef], tag: str,
                 *, draft: bool = False) -> TagRef:
    if tag in by_name:
        return by_name[tag]
    near = _nearby(tag, tags)
    hint = f"nearby: {', '.join(near)}" if near else f"the repository has no tags; {_CHECKOUT_HINT}"
    if draft:
        hint += "; a draft release's tag only exists once it is published"
    elif near and git.is_shallow():
        hint += "; this is a shallow clone: " + _CHECKOUT_HINT
    raise InputError(f"tag {tag!r} not found in {git.path} ({hint})")


def _nearby(tag: str, tags: list[TagRef]) -> list[str]:
    """Up to three tags a user may have meant: version neighbours, else similar names, else
    the newest."""
    wanted = tag_version(tag)
    if wanted:
        family = [(v.version, t.name) for t in tags
                  if (v := tag_version(t.name)) and v.prefix.lower() == wanted.prefix.lower()]
        order = cmp_to_key(compare_versions)
        family.sort(key=lambda pair: order(pair[0]))
        below = sum(1 for version, _ in family if version.compare(wanted.version) < 0)
        low = max(0, min(below - 2, len(family) - 3))
        window = [name for _, name in family[low:low + 3]]
        if window:
            return window[::-1]
    names = [t.name for t in sorted(tags, key=lambda t: t.date, reverse=True)]
    return difflib.get_close_matches(tag, names, n=3, cutoff=0.6) or names[:3]


def _tag_message(tag: TagRef) -> tuple[str, str]:
    """(name, body) from an annotated tag's message: a subject over a body names the release;
    a message of one paragraph is all body. Lightweight tags have neither."""
    if not tag.message:
        return "", ""
    subject, _, rest = tag.message.partition("\n\n")
    if rest.strip():
        return subject.strip(), rest.strip()
    return "", tag.message.strip()


def _repository_of(git: GitRepo) -> Repository:
    url = git.origin_url()
    full_name = github_full_name(url) if url else None
    if full_name:
        return Repository(full_name=full_name, html_url=f"https://github.com/{full_name}")
    return Repository(full_name=git.root.name.removesuffix(".git"))


def _release_url(repository: Repository, tag: str) -> str:
    return f"{repository.html_url}/releases/tag/{_quote(tag)}" if repository.html_url else ""


def _compare_url(repository: Repository, previous: str | None, tag: str) -> str | None:
    if not repository.html_url or not previous:
        return None
    return f"{repository.html_url}/compare/{_quote(previous)}...{_quote(tag)}"


def _quote(tag: str) -> str:
    return quote(tag, safe="/@+")


def _is_prerelease(tag: str) -> bool:
    parsed = tag_version(tag)
    return bool(parsed and parsed.version.prerelease)


def _with_urls(items: list[ChangeItem], repository: Repository) -> list[ChangeItem]:
    """Give "(#12)" entries the PR's URL when the repository is on GitHub."""
    if not repository.html_url:
        return items
    return [replace(item, url=f"{repository.html_url}/pull/{item.pr}")
            if item.pr and not item.url else item for item in items]
