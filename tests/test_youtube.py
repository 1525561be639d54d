"""Publishing to YouTube through the real client library, against a local TLS server speaking
the YouTube Data API v3 upload protocol, with injected network and API faults."""

from __future__ import annotations

import hashlib
import logging
import math
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import trustme
from factories import sample_facts
from youtube_server import GRANULARITY, UPLOAD_ONLY, FakeYouTube

from pipeline.config import Config
from pipeline.errors import InputError, PublishError
from pipeline.request import YouTubeRequest
from pipeline.retry import RetryPolicy
from pipeline.site.post import render_post
from pipeline.story import write_story
from pipeline.tools import ffmpeg_exe, run_tool
from pipeline.youtube import (
    ReelUpload,
    Transport,
    YouTubeAuth,
    YouTubeOptions,
    publish_to_youtube,
)
from pipeline.youtube.config import CredentialNames
from pipeline.youtube.metadata import release_marker
from pipeline.youtube.post import RecordedVideo, recorded_video

CHUNK = GRANULARITY  # 256 KiB: the smallest chunk the API takes, so a small reel has several
FAST = RetryPolicy(attempts=5, initial_wait=0.01, max_wait=0.05)
LOCAL_REEL = "/assets/releasecast/acme-widgets-v1-2-0/reel.mp4"


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="session")
def reel_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A real 2 s vertical H.264/AAC MP4 (noise keeps it ~1.5 MB: several chunks), captions in
    two languages and a cover image."""
    root = tmp_path_factory.mktemp("reel")
    video = root / "reel.mp4"
    run_tool([ffmpeg_exe(), "-v", "error", "-y",
              "-f", "lavfi", "-i", "testsrc2=size=360x640:rate=30,noise=alls=60:allf=t",
              "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "2",
              "-c:v", "libx264", "-preset", "ultrafast", "-b:v", "6M", "-pix_fmt", "yuv420p",
              "-c:a", "aac", "-shortest", "-movflags", "+faststart", str(video)],
             what="make test reel")
    cover = root / "cover.png"
    run_tool([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i",
              "color=c=0x0f172a:size=1280x720", "-frames:v", "1", str(cover)],
             what="make test cover")
    en = root / "reel.en.vtt"
    en.write_text("WEBVTT\n\n00:00.000 --> 00:01.500\nFaster exports are here.\n")
    es = root / "reel.es.vtt"
    es.write_text("WEBVTT\n\n00:00.000 --> 00:01.500\nLas exportaciones son más rápidas.\n")
    return {"video": video, "cover": cover, "en": en, "es": es}


@pytest.fixture
def yt(ca: trustme.CA, tmp_path: Path):
    with FakeYouTube(ca, tmp_path) as server:
        yield server


def _post(path: Path, youtube: RecordedVideo | None = None) -> Path:
    """The post exactly as the site stage renders it, with the local reel in its video block
    (and the YouTube video, once there is one)."""
    facts = sample_facts()
    story = write_story(facts, Config())
    text = render_post(
        facts, story, Config(),
        images={"cover": "/assets/cover.png", "social_card": "/assets/card.png", "slides": []},
        video={"url": LOCAL_REEL, "poster": "/assets/cover.png", "tracks": []},
        extra_front_matter={"youtube_id": youtube.id, "youtube_url": youtube.url}
        if youtube else None,
        youtube=youtube.player() if youtube else None,
    )
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def upload(tmp_path: Path, reel_files: dict[str, Path]) -> ReelUpload:
    facts = sample_facts()
    return ReelUpload(
        video=reel_files["video"], post=_post(tmp_path / "2024-05-14-acme-widgets-v1-2-0.md"),
        facts=facts, story=write_story(facts, Config()), duration=2.0, width=360, height=640,
        captions={"en": reel_files["en"], "es": reel_files["es"]},
        thumbnail=reel_files["cover"],
        post_url="https://blog.example.com/2024/05/14/acme-widgets-v1-2-0.html",
    )


def _auth(yt: FakeYouTube, refresh_token: str = "refresh-good") -> YouTubeAuth:
    return YouTubeAuth(yt.client_id, yt.client_secret, refresh_token, token_uri=yt.token_uri)


def _publish(yt: FakeYouTube, upload: ReelUpload, *, refresh_token: str = "refresh-good",
             retry: RetryPolicy = FAST, timeout: float = 10.0, **options):
    options.setdefault("chunk_size", CHUNK)
    result = publish_to_youtube(
        upload, _auth(yt, refresh_token), YouTubeOptions(**options),
        transport=Transport(api_endpoint=yt.base_url, ca_certs=str(yt.ca_bundle),
                            timeout=timeout),
        retry=retry,
    )
    assert upload.post is not None
    _post(upload.post, result.record)  # what the site stage does next: render the post once
    return result


def _only_video(yt: FakeYouTube):
    assert len(yt.videos) == 1, f"expected exactly one video, the server has {len(yt.videos)}"
    return next(iter(yt.videos.values()))


def _assert_intact(yt: FakeYouTube, reel: Path) -> None:
    """One video whose bytes are the file's, and no acknowledged byte sent twice."""
    video = _only_video(yt)
    assert video.sha256 == hashlib.sha256(reel.read_bytes()).hexdigest()
    (session,) = yt.sessions.values()
    assert session.resent_acknowledged_bytes == 0, session.chunks


def test_clean_upload_sends_chunks_metadata_and_extras(yt: FakeYouTube, upload: ReelUpload):
    result = _publish(yt, upload, playlist_id="PLreleasecast0000000000000000000")

    _assert_intact(yt, upload.video)
    video = _only_video(yt)
    assert result.created and result.id == video.id
    assert result.url == f"https://www.youtube.com/watch?v={video.id}"
    (session,) = yt.sessions.values()
    size = upload.video.stat().st_size
    assert size > 4 * CHUNK
    assert [c.start for c in session.chunks] == [i * CHUNK for i in range(math.ceil(size / CHUNK))]
    assert session.status_queries == 0

    snippet, status = video.resource["snippet"], video.resource["status"]
    assert snippet["title"].endswith("#Shorts") and len(snippet["title"]) <= 100
    assert snippet["categoryId"] == "28"
    assert snippet["defaultLanguage"] == "en"
    assert upload.facts.url in snippet["description"]
    assert upload.post_url in snippet["description"]
    assert "#Shorts" in snippet["description"]
    assert release_marker(upload.facts) in snippet["tags"]
    assert status["privacyStatus"] == "private"
    assert status["selfDeclaredMadeForKids"] is False
    assert "publishAt" not in status

    tracks = {c.language: c for c in yt.captions}
    assert set(tracks) == {"en", "es"}
    assert tracks["es"].body == upload.captions["es"].read_bytes()
    assert all(c.video_id == video.id for c in yt.captions)
    assert yt.thumbnails[video.id] == ("image/png", upload.thumbnail.read_bytes())
    assert yt.playlist_items == [("PLreleasecast0000000000000000000", video.id)]
    assert result.warnings == []

    recorded = recorded_video(upload.post)
    assert recorded is not None and recorded.id == video.id
    text = upload.post.read_text()
    assert f"https://www.youtube-nocookie.com/embed/{video.id}" in text
    assert f'href="{LOCAL_REEL}"' in text


# httplib2 itself sends a request once more, at once, when the connection breaks before the
# answer; the reel's chunks are bytes so that resend is correct. A fault twice in a row gets
# past it to releasecast's own retry: the status query, then the rest.
@pytest.mark.parametrize("chunk, fault", [
    (2, "drop"),  # connection reset halfway through a chunk's body (and through the resend)
    (3, "500"),
    (2, "503"),
    (3, "expire-token"),  # the access token dies mid-upload: 401, refresh, same chunk again
    (2, "stall"),  # the server stores the chunk but answers after the client's timeout
    (-1, "drop-response"),  # the final chunk is stored, the video created, the answer lost
])
def test_upload_survives_fault_and_resumes(yt: FakeYouTube, upload: ReelUpload, chunk: int,
                                           fault: str, caplog: pytest.LogCaptureFixture):
    chunk_size = 2 * CHUNK if fault == "drop" else CHUNK  # a dropped 512 KiB chunk keeps 256
    chunks = math.ceil(upload.video.stat().st_size / chunk_size)
    first = chunks if chunk == -1 else chunk
    yt.fail("chunk", first, fault)
    if fault.startswith("drop"):
        yt.fail("chunk", first + 1, fault)
    caplog.set_level(logging.INFO, logger="releasecast.youtube")

    result = _publish(yt, upload, chunk_size=chunk_size, timeout=1.2 if fault == "stall" else 10)

    _assert_intact(yt, upload.video)
    assert result.id == _only_video(yt).id and result.created
    assert yt.count("start") == 1, "one upload session, resumed, never restarted"
    (session,) = yt.sessions.values()
    if fault == "expire-token":
        assert yt.token_grants == 2
        assert [c.outcome for c in session.chunks].count("401") == 1
        assert session.status_queries == 0  # refreshed and repeated inside the same request
        return
    retries = [r.getMessage() for r in caplog.records if "retry 1 of 4 in" in r.getMessage()]
    assert retries, caplog.text
    broken = r"(RemoteDisconnected|Connection\w*Error|SSL\w*Error|BrokenPipeError)"
    reason = {"drop": broken, "500": "HTTP 500 backendError", "503": "HTTP 503 "
              "serviceUnavailable", "stall": "timed out", "drop-response": broken}[fault]
    assert re.search(rf"upload from byte {(first - 1) * chunk_size} failed \({reason}.*\); "
                     r"retry 1 of 4 in \d+\.\d\d s$", retries[0]), retries[0]
    # A reset is seen while sending or while waiting for the answer (then httplib2 resends
    # once by itself), depending on timing: the second fault may need a second query.
    queries = session.status_queries
    assert queries == 1 or (fault.startswith("drop") and queries == 2), \
        "asked the server what it holds before continuing"
    if fault == "drop":
        # the server kept 256 KiB of a dropped 512 KiB chunk: the upload went on from there
        assert any(c.start % chunk_size == CHUNK for c in session.chunks), session.chunks
    if fault == "stall":
        stalled = session.chunks[chunk - 1]
        assert [c.start for c in session.chunks].count(stalled.start) == 1, \
            "a chunk the server had stored was not sent again"


def test_all_faults_in_one_upload(yt: FakeYouTube, upload: ReelUpload,
                                  caplog: pytest.LogCaptureFixture):
    for n, fault in enumerate(["drop", "500", "expire-token", "503", "drop"], start=2):
        yt.fail("chunk", n, fault)
    yt.fail("status", 1, "503")  # even the question "what do you have?" fails once
    caplog.set_level(logging.DEBUG)

    # Where each fault lands depends on timing (httplib2 resends some requests by itself),
    # so all six may hit one step: give it room for them, still bounded.
    _publish(yt, upload, retry=replace(FAST, attempts=8))

    _assert_intact(yt, upload.video)
    assert yt.count("start") == 1
    assert len(yt.captions) == 2
    # secrets never reach the logs
    assert yt.client_secret not in caplog.text
    assert "refresh-good" not in caplog.text
    assert not any(token in caplog.text for token in yt.access_tokens)


def test_rerun_for_the_same_release_uploads_nothing(yt: FakeYouTube, upload: ReelUpload):
    first = _publish(yt, upload)
    calls = len(yt.requests)
    after_first = upload.post.read_text()

    second = _publish(yt, upload)

    assert second.id == first.id and not second.created
    assert len(yt.requests) == calls, "the recorded post answers without any API call"
    assert upload.post.read_text() == after_first
    assert len(yt.videos) == 1 and len(yt.captions) == 2


def test_upload_whose_result_was_lost_is_found_not_repeated(yt: FakeYouTube,
                                                            upload: ReelUpload):
    """A run dies after YouTube created the video but before anything was recorded; the next
    run finds the video among the channel's uploads by the release's tag and adopts it."""
    chunks = math.ceil(upload.video.stat().st_size / CHUNK)
    for n in (chunks, chunks + 1):  # the answer is lost, and again on httplib2's resend
        yt.fail("chunk", n, "drop-response")
    for n in (1, 2):
        yt.fail("status", n, "503")
    before = upload.post.read_text()
    with pytest.raises(PublishError, match="kept failing"):
        _publish(yt, upload, retry=replace(FAST, attempts=2))
    assert len(yt.videos) == 1 and upload.post.read_text() == before
    assert yt.captions == []

    result = _publish(yt, upload)

    assert not result.created and result.id == _only_video(yt).id
    assert yt.count("start") == 1, "no second upload session"
    assert any("earlier run did not record it" in w for w in result.warnings)
    assert sorted(c.language for c in yt.captions) == ["en", "es"]
    assert recorded_video(upload.post).id == result.id

    third = _publish(yt, upload)  # and now the post knows
    assert third.id == result.id and len(yt.captions) == 2


def test_adopted_video_gets_only_the_missing_extras(yt: FakeYouTube, upload: ReelUpload):
    first = _publish(yt, upload, playlist_id="PLreleasecast0000000000000000000")
    # The post was never committed (e.g. the push failed): a fresh checkout has no record.
    upload.post.write_text(_post(upload.post.parent / "fresh.md").read_text())

    again = _publish(yt, upload, playlist_id="PLreleasecast0000000000000000000")

    assert again.id == first.id and not again.created
    assert len(yt.captions) == 2, "caption tracks that exist are not added twice"
    assert len(yt.playlist_items) == 1
    assert yt.count("start") == 1


def test_lost_caption_answer_is_not_repeated(yt: FakeYouTube, upload: ReelUpload):
    """The server added the track but its answer was lost: the retry finds the track."""
    yt.fail("captions", 1, "drop-response")
    yt.fail("captions", 2, "503")
    result = _publish(yt, upload)
    assert sorted(c.language for c in yt.captions) == ["en", "es"]
    assert yt.called("captions.list") >= 1
    assert result.warnings == []


def test_lost_insert_answers_are_looked_up_not_sent_again(yt: FakeYouTube, upload: ReelUpload):
    """YouTube stored the caption track and the playlist entry, then the connection dropped
    before the answer: no library re-sends the POST; our own lookup finds what is there."""
    yt.fail("captions", 1, "drop-response")
    yt.fail("playlist", 1, "drop-response")
    result = _publish(yt, upload, playlist_id="PLreleasecast0000000000000000000")
    assert sorted(c.language for c in yt.captions) == ["en", "es"]
    assert yt.playlist_items == [("PLreleasecast0000000000000000000", result.id)]
    assert yt.count("captions") == 2, "one POST per language, none repeated"
    assert yt.count("playlist") == 1
    assert yt.called("captions.list") >= 1 and yt.called("playlistItems.list") >= 1
    assert result.warnings == []


def test_quota_exceeded_says_when_to_retry(yt: FakeYouTube, upload: ReelUpload):
    yt.fail("start", 1, "quota")
    before = upload.post.read_text()
    with pytest.raises(PublishError) as error:
        _publish(yt, upload)
    message = str(error.value)
    assert "quotaExceeded" in message and "midnight Pacific Time" in message
    assert "<a" not in message and "\n" not in message
    assert yt.videos == {} and upload.post.read_text() == before
    assert yt.count("start") == 1, "a quota error is not retried"


def test_upload_limit_exceeded_is_explained(yt: FakeYouTube, upload: ReelUpload):
    yt.fail("start", 1, "upload-limit")
    with pytest.raises(PublishError, match=r"uploadLimitExceeded.*24 hours"):
        _publish(yt, upload)
    assert yt.videos == {}


def test_revoked_refresh_token_explains_testing_status(yt: FakeYouTube, upload: ReelUpload):
    with pytest.raises(PublishError) as error:
        _publish(yt, upload, refresh_token="revoked-or-expired")
    message = str(error.value)
    assert "invalid_grant" in message and "7 days" in message and "In production" in message
    assert "revoked-or-expired" not in message
    assert yt.videos == {}


def test_wrong_client_secret_is_named(yt: FakeYouTube, upload: ReelUpload):
    auth = YouTubeAuth(yt.client_id, "not-the-secret", "refresh-good", token_uri=yt.token_uri,
                       names=CredentialNames("youtube-client-id", "youtube-client-secret",
                                             "youtube-refresh-token"))
    with pytest.raises(PublishError, match=r"invalid_client.*youtube-client-secret"):
        publish_to_youtube(upload, auth, YouTubeOptions(chunk_size=CHUNK),
                           transport=Transport(yt.base_url, str(yt.ca_bundle)), retry=FAST)


def test_refresh_token_without_the_needed_scope(ca: trustme.CA, tmp_path: Path,
                                                upload: ReelUpload):
    with FakeYouTube(ca, tmp_path, refresh_tokens={"upload-only": {UPLOAD_ONLY}}) as yt, \
            pytest.raises(PublishError, match=r"insufficientPermissions.*youtube\.force-ssl"):
        _publish(yt, upload, refresh_token="upload-only")


def test_privacy_forced_to_private_is_a_warning(ca: trustme.CA, tmp_path: Path,
                                                upload: ReelUpload):
    with FakeYouTube(ca, tmp_path, force_private=True) as yt:
        result = _publish(yt, upload, privacy="public")
        assert _only_video(yt).resource["status"]["privacyStatus"] == "private"
    assert result.privacy == "private"
    (warning,) = result.warnings
    assert "'private', not 'public'" in warning and "audit" in warning


def test_unverified_channel_thumbnail_is_a_warning(ca: trustme.CA, tmp_path: Path,
                                                   upload: ReelUpload):
    with FakeYouTube(ca, tmp_path, can_set_thumbnails=False) as yt:
        result = _publish(yt, upload)
        assert yt.thumbnails == {} and len(yt.videos) == 1
    (warning,) = result.warnings
    assert "thumbnail" in warning and "https://www.youtube.com/verify" in warning
    assert recorded_video(upload.post).id == result.id


def test_unknown_playlist_is_a_warning(yt: FakeYouTube, upload: ReelUpload):
    result = _publish(yt, upload, playlist_id="PLdoesnotexist")
    assert len(yt.videos) == 1 and yt.playlist_items == []
    (warning,) = result.warnings
    assert "playlistNotFound" in warning


def test_scheduled_publication_is_private_until_then(yt: FakeYouTube, upload: ReelUpload):
    when = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    _publish(yt, upload, privacy="public", publish_at=when)
    status = _only_video(yt).resource["status"]
    assert status["privacyStatus"] == "private"
    assert status["publishAt"] == when.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_retries_are_bounded(yt: FakeYouTube, upload: ReelUpload,
                             caplog: pytest.LogCaptureFixture):
    for n in range(2, 20):
        yt.fail("chunk", n, "503")
    for n in range(1, 20):
        yt.fail("status", n, "503")
    caplog.set_level(logging.WARNING, logger="releasecast.youtube")
    with pytest.raises(PublishError, match=r"upload.*kept failing \(HTTP 503"):
        _publish(yt, upload, retry=replace(FAST, attempts=3))
    assert len([r for r in caplog.records if "retry" in r.getMessage()]) == 2
    assert yt.videos == {}


def test_long_video_is_not_a_short(yt: FakeYouTube, upload: ReelUpload):
    _publish(yt, replace(upload, duration=75.0))
    snippet = _only_video(yt).resource["snippet"]
    assert "#Shorts" not in snippet["title"] and "#Shorts" not in snippet["description"]


def test_options_from_a_request():
    options = YouTubeRequest(
        privacy="Unlisted", playlist="https://www.youtube.com/playlist?list=PLabc123",
        publish_at="2999-01-02T03:04:05Z").options()
    assert options.privacy == "unlisted" and options.playlist_id == "PLabc123"
    assert options.publish_at == datetime(2999, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert YouTubeRequest().options() == YouTubeOptions()
    for fields, problem in [({"privacy": "friends"}, "expected one of private"),
                            ({"publish_at": "2001-01-01T00:00:00Z"}, "in the past"),
                            ({"publish_at": "2999-01-01T00:00:00"}, "time zone"),
                            ({"publish_at": "next tuesday"}, "ISO 8601"),
                            ({"playlist": "https://www.youtube.com/playlist"}, "list=")]:
        with pytest.raises(ValueError, match=problem):
            YouTubeRequest(**fields)
    with pytest.raises(InputError, match="256 KiB"):
        YouTubeOptions(chunk_size=1000)


def test_missing_secrets_are_named_not_shown():
    with pytest.raises(InputError, match="needs refresh_token") as error:
        YouTubeAuth("id", "secret-value", " ")
    assert "secret-value" not in str(error.value)
    assert "secret-value" not in repr(YouTubeAuth("id", "secret-value", "token-value"))
