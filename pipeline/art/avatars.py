"""Contributors' avatars for the thanks slide: fetched when the facts carry their URLs (the
GitHub API was asked), bounded, cached on disk, under the shared retry policy; any failure
leaves that person with the initial avatar, so a slow or missing network never fails a run.

Only the picture is fetched: no credentials are sent, whatever the URL. The cache lives in
``$RELEASECAST_CACHE/avatars`` (default ``~/.cache/releasecast/avatars``), one PNG per URL, so
the reel, a re-run or a dubbed reel draws them again without the network.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import logging
import os
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from PIL import Image, UnidentifiedImageError

from ..errors import ReleasecastError
from ..retry import RetryPolicy, call_remote
from ..structure import Contributor

log = logging.getLogger("releasecast.art")

AVATAR_PX = 160  # stored size: the largest marker a slide draws, twice over
MAX_AVATARS = 12  # a thanks slide shows at most a handful; more would only cost time
MAX_BYTES = 2 * 2**20
_MAX_PIXELS = 4096 * 4096


def cache_dir() -> Path:
    root = os.environ.get("RELEASECAST_CACHE")
    return (Path(root) if root else Path.home() / ".cache" / "releasecast") / "avatars"


def fetch_avatars(contributors: Iterable[Contributor], policy: RetryPolicy | None = None
                  ) -> dict[str, str]:
    """login -> cached PNG path, for the contributors whose avatar could be had."""
    wanted = [(c.login, c.avatar_url) for c in contributors
              if getattr(c, "avatar_url", None)][:MAX_AVATARS]
    if not wanted:
        return {}
    base = policy or RetryPolicy.from_env()
    # Pictures are a nicety: a tighter budget than the calls a post depends on.
    policy = dataclasses.replace(base, deadline=min(base.deadline, 20.0),
                                 timeout=min(base.timeout, 10.0))
    found: dict[str, str] = {}
    with httpx.Client(timeout=policy.timeout, follow_redirects=True,
                      headers={"Accept": "image/png,image/jpeg,image/*"}) as client:
        for login, url in wanted:
            assert url is not None
            path = _cached(client, url, policy)
            if path is not None:
                found[login] = str(path)
    return found


def _cached(client: httpx.Client, url: str, policy: RetryPolicy) -> Path | None:
    if urlsplit(url).scheme not in ("http", "https"):
        return None
    path = cache_dir() / f"{hashlib.sha256(url.encode()).hexdigest()[:32]}.png"
    if path.is_file():
        return path
    try:
        data = call_remote(lambda: _download(client, _sized(url)), what="avatar",
                           policy=policy)
        image = _decode(data)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
        image.save(partial, "PNG")
        os.replace(partial, path)
    except (ReleasecastError, OSError, ValueError) as exc:
        log.info("avatar not used (%s): the initial is drawn instead", _why(exc))
        return None
    return path


def _sized(url: str) -> str:
    """GitHub's avatar service scales on request: fetch the size drawn, not the original."""
    if urlsplit(url).hostname == "avatars.githubusercontent.com":
        return f"{url}{'&' if '?' in url else '?'}s={AVATAR_PX}"
    return url


def _download(client: httpx.Client, url: str) -> bytes:
    with client.stream("GET", url) as response:
        response.raise_for_status()
        chunks, size = [], 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > MAX_BYTES:
                raise ValueError(f"larger than {MAX_BYTES // 2**20} MiB")
            chunks.append(chunk)
    return b"".join(chunks)


def _decode(data: bytes) -> Image.Image:
    try:
        with Image.open(io.BytesIO(data)) as opened:
            if opened.width * opened.height > _MAX_PIXELS:
                raise ValueError(f"{opened.width}x{opened.height} px is not an avatar")
            image = opened.convert("RGBA")
    except UnidentifiedImageError:
        raise ValueError("not an image") from None
    # A square from the middle, on white (transparent avatars read on any backdrop).
    side = min(image.size)
    left, top = (image.width - side) // 2, (image.height - side) // 2
    square = image.crop((left, top, left + side, top + side)).resize(
        (AVATAR_PX, AVATAR_PX), Image.Resampling.LANCZOS)
    flat = Image.new("RGB", square.size, (255, 255, 255))
    flat.paste(square, (0, 0), square)
    return flat


def _why(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:120] or type(exc).__name__


def load_avatar(path: str) -> Image.Image | None:
    """A cached avatar, or None when it is gone (the cache was cleared since)."""
    try:
        with Image.open(path) as opened:
            return opened.convert("RGB")
    except (OSError, UnidentifiedImageError):
        return None
