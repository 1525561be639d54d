"""Errors a user can act on. The CLI prints ``str(error)`` on one line and exits non-zero."""


class ReleasecastError(Exception):
    """Base class: the message is shown to the user as is, without a traceback."""

    exit_code = 1


class InputError(ReleasecastError):
    """The input (event file, repository, tag, config) is wrong or unusable."""

    exit_code = 2


class ConfigError(InputError):
    """The configuration file is invalid; the message names the key and what was expected."""


class ToolError(ReleasecastError):
    """An external program (ffmpeg, espeak-ng, git) is missing or failed."""

    exit_code = 3


class PublishError(ReleasecastError):
    """Publishing (git push, GitHub API, YouTube) failed."""

    exit_code = 4
