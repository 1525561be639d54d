"""The subset of GitHub's webhook payloads the App reads, as typed models (pydantic).

A delivery is validated against these before anything else looks at it: a field of the wrong
type or shape is refused with a reason (HTTP 400), never half-used. Models ignore the many
fields the App does not read, so GitHub adding fields changes nothing.

Names follow GitHub's rules (an owner is 1-39 letters, digits, hyphens or underscores, not
starting with a hyphen; a repository is 1-100 letters, digits, ``.``, ``-`` or ``_`` and not
``.`` or ``..``); tags follow ``git check-ref-format`` for ``refs/tags/<tag>`` — the same rules
:func:`tag_problem` applies wherever a tag is taken from outside.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
)

_OWNER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,38}")
_REPOSITORY = re.compile(r"[A-Za-z0-9._-]{1,100}")
# git check-ref-format: no control characters, space, ~ ^ : ? * [ or backslash anywhere.
_REF_FORBIDDEN = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]")
MAX_TAG_LENGTH = 255  # the run history's column


def full_name_problem(full_name: str) -> str | None:
    """Why ``full_name`` is not a GitHub ``OWNER/NAME``, or None."""
    owner, slash, name = full_name.partition("/")
    if not slash or not _OWNER.fullmatch(owner) or not _REPOSITORY.fullmatch(name) \
            or name in (".", ".."):
        return f"expected OWNER/NAME by GitHub's naming rules, got {full_name[:120]!r}"
    return None


def tag_problem(tag: str) -> str | None:
    """Why ``tag`` cannot be a Git tag name (``git check-ref-format refs/tags/<tag>``), or None."""
    shown = repr(tag[:80])
    if not tag or len(tag) > MAX_TAG_LENGTH:
        return f"a tag is 1 to {MAX_TAG_LENGTH} characters, got {len(tag)}"
    if _REF_FORBIDDEN.search(tag) or ".." in tag or "@{" in tag or tag == "@":
        return f"{shown} is not a valid Git tag name"
    components = tag.split("/")
    if any(not part or part.startswith(".") or part.endswith(".lock") for part in components) \
            or tag.endswith("."):
        return f"{shown} is not a valid Git tag name"
    return None


def _check(problem: Callable[[str], str | None]) -> AfterValidator:
    def validate(value: str) -> str:
        reason = problem(value)
        if reason is not None:
            raise ValueError(reason)
        return value

    return AfterValidator(validate)


FullName = Annotated[StrictStr, _check(full_name_problem)]
TagName = Annotated[StrictStr, _check(tag_problem)]
PositiveId = Annotated[StrictInt, Field(gt=0)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Installation(_Model):
    id: PositiveId


class Account(_Model):
    login: StrictStr | None = None


class InstallationInfo(Installation):
    account: Account | None = None


class Repository(_Model):
    id: PositiveId
    full_name: FullName
    private: StrictBool = False


class Release(_Model):
    id: PositiveId
    tag_name: TagName
    draft: StrictBool = False
    prerelease: StrictBool = False
    name: StrictStr | None = None
    body: StrictStr | None = None
    html_url: StrictStr | None = None
    published_at: StrictStr | None = None
    created_at: StrictStr | None = None


class Envelope(_Model):
    """What every delivery must satisfy before it is routed."""

    action: StrictStr | None = None


class ReleaseEvent(_Model):
    action: StrictStr
    release: Release
    repository: Repository
    installation: Installation | None = None


class InstallationEvent(_Model):
    action: StrictStr
    installation: InstallationInfo


class Hook(_Model):
    id: StrictInt | None = None
    app_id: StrictInt | None = None


class PingEvent(_Model):
    zen: StrictStr = ""
    hook: Hook | None = None


class MalformedDelivery(ValueError):
    """The payload does not have the shape the App reads; the message says where."""


def _where(location: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in location) or "payload"


M = TypeVar("M", bound=_Model)


def parse(model: type[M], data: Any) -> M:
    """``data`` as ``model``, or :class:`MalformedDelivery` naming up to three problems."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [f"{_where(e['loc'])}: {e['msg'].removeprefix('Value error, ')}"
                    for e in exc.errors(include_url=False)[:3]]
        raise MalformedDelivery("; ".join(problems)) from None
