"""The facts stage: a GitHub release event and/or a git checkout become :class:`ReleaseFacts`.

``collect_facts`` is the entry point; the parts are usable alone: ``load_event`` reads and
checks an event file, ``parse_notes`` reads a release body, ``previous_tag`` orders tags.
"""

from .collect import collect_facts
from .event import check_release_event, load_event, parse_event
from .notes import ReleaseNotes, parse_notes
from .versions import DatedTag, previous_tag, tag_version

__all__ = [
    "DatedTag",
    "ReleaseNotes",
    "check_release_event",
    "collect_facts",
    "load_event",
    "parse_event",
    "parse_notes",
    "previous_tag",
    "tag_version",
]
