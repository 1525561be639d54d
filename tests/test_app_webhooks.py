"""POST /webhook on the real server (``releasecast serve`` on a loopback port) with a private
redis-server: signatures, size cap, routing, deduplication, and what lands in the queue."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import httpx
import pytest
from app_fixtures import (
    ADMIN_TOKEN,
    WEBHOOK_SECRET,
    RedisServer,
    WebServer,
    app_env,
    delivery,
    fixture_payload,
    release_payload,
    sign,
)
from rq import Queue
from rq.serializers import JSONSerializer

PREVIOUS_SECRET = "the-secret-before-rotation-42"


@pytest.fixture(scope="module")
def server(redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory):
    data = tmp_path_factory.mktemp("app-data")
    env = app_env(redis_url=redis_server.url, database_url=f"sqlite:///{data}/runs.db",
                  data_dir=data, RELEASECAST_MAX_BODY_BYTES="65536",
                  RELEASECAST_WEBHOOK_SECRET_PREVIOUS=PREVIOUS_SECRET)
    web = WebServer(env, data / "serve.log")
    yield web
    web.stop()


@pytest.fixture
def queue(redis_server: RedisServer) -> Queue:
    connection = redis_server.client()
    connection.flushdb()
    return Queue("releasecast", connection=connection, serializer=JSONSerializer)


def test_a_signed_release_is_queued_with_its_delivery_id(server: WebServer, queue: Queue) -> None:
    payload = release_payload(tag="v2.0.0", release_id=501)
    delivery_id = str(uuid.uuid4())
    response = server.post_delivery("release", payload, delivery_id=delivery_id)
    assert response.status_code == 202, response.text
    body = response.json()
    assert body == {"status": "queued", "job_id": delivery_id, "job_url": f"/jobs/{delivery_id}"}
    assert queue.job_ids == [delivery_id]
    job = queue.fetch_job(delivery_id)
    assert job.func_name == "app.jobs.process_release"
    (request,) = job.args
    assert request["repository"] == "Codertocat/Hello-World"
    assert request["tag"] == "v2.0.0"
    assert request["installation_id"] == 9001
    assert request["payload"]["release"]["id"] == 501
    assert job.retries_left == 2  # RELEASECAST_RETRY_INTERVALS=1,1
    with server.admin() as client:
        run = client.get(f"/jobs/{delivery_id}").json()
    assert run["status"] == "queued"
    assert run["tag"] == "v2.0.0"


def test_bad_signature_is_401_and_nothing_is_queued(server: WebServer, queue: Queue) -> None:
    headers, body = delivery("release", release_payload(release_id=502), secret="wrong-secret-123")
    with server.client() as client:
        response = client.post("/webhook", content=body, headers=headers)
    assert response.status_code == 401
    assert response.json()["reason"] == "signature does not match"
    assert queue.count == 0


def test_a_tampered_body_fails_the_signature(server: WebServer, queue: Queue) -> None:
    headers, body = delivery("release", release_payload(release_id=503))
    tampered = body.replace(b'"v1.0.0"', b'"v6.6.6"')
    with server.client() as client:
        response = client.post("/webhook", content=tampered, headers=headers)
    assert response.status_code == 401
    assert queue.count == 0


def test_missing_signature_is_401(server: WebServer, queue: Queue) -> None:
    headers, body = delivery("release", release_payload(release_id=504), secret=None)
    with server.client() as client:
        response = client.post("/webhook", content=body, headers=headers)
    assert response.status_code == 401
    assert response.json()["reason"] == "missing X-Hub-Signature-256"
    assert queue.count == 0


def test_during_a_rotation_the_previous_secret_still_works(server: WebServer,
                                                          queue: Queue) -> None:
    response = server.post_delivery("release", release_payload(release_id=520),
                                    secret=PREVIOUS_SECRET)
    assert response.status_code == 202 and response.json()["status"] == "queued"
    assert queue.count == 1


def test_a_sha1_signature_alone_is_not_accepted(server: WebServer, queue: Queue) -> None:
    import hashlib
    import hmac

    headers, body = delivery("release", release_payload(release_id=505), secret=None)
    sha1 = "sha1=" + hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha1).hexdigest()
    headers["X-Hub-Signature"] = sha1
    with server.client() as client:
        response = client.post("/webhook", content=body, headers=headers)
        assert response.status_code == 401
        headers["X-Hub-Signature-256"] = sha1  # not even under the SHA-256 header
        response = client.post("/webhook", content=body, headers=headers)
    assert response.status_code == 401
    assert queue.count == 0


def test_an_oversized_body_is_413_before_it_is_read(server: WebServer, queue: Queue) -> None:
    payload = release_payload(release_id=506)
    payload["release"]["body"] = "x" * 70_000  # the server caps bodies at 64 KiB here
    headers, body = delivery("release", payload)
    with server.client() as client:
        response = client.post("/webhook", content=body, headers=headers)
    assert response.status_code == 413
    assert queue.count == 0


def test_an_oversized_chunked_body_without_length_is_413(server: WebServer, queue: Queue) -> None:
    payload = release_payload(release_id=507)
    payload["release"]["body"] = "y" * 70_000
    headers, body = delivery("release", payload)

    def chunks():
        for start in range(0, len(body), 8192):
            yield body[start:start + 8192]

    with server.client() as client:
        response = client.post("/webhook", content=chunks(), headers=headers)
    assert "content-length" not in {k.lower() for k in headers}
    assert response.status_code == 413
    assert queue.count == 0


def test_an_unknown_event_is_accepted_and_ignored_with_a_reason(server: WebServer,
                                                               queue: Queue) -> None:
    response = server.post_delivery("push", fixture_payload("push/payload.json"))
    assert response.status_code == 202
    assert response.json() == {"status": "ignored", "reason": "push is not handled"}
    assert queue.count == 0


def test_unhandled_release_actions_are_ignored(server: WebServer, queue: Queue) -> None:
    for name, action in (("release/edited.payload.json", "edited"),
                         ("release/deleted.payload.json", "deleted")):
        response = server.post_delivery("release", fixture_payload(name))
        assert response.status_code == 202
        assert response.json()["reason"] == f"release.{action} is not handled"
    assert queue.count == 0


def test_the_same_delivery_twice_runs_once(server: WebServer, queue: Queue) -> None:
    payload = release_payload(tag="v3.0.0", release_id=508)
    delivery_id = str(uuid.uuid4())
    first = server.post_delivery("release", payload, delivery_id=delivery_id)
    again = server.post_delivery("release", payload, delivery_id=delivery_id)
    assert first.status_code == 202 and first.json()["status"] == "queued"
    assert again.status_code == 202
    assert again.json()["status"] == "duplicate"
    assert again.json()["job_id"] == delivery_id
    assert queue.job_ids == [delivery_id]


def test_published_and_released_for_one_release_run_once(server: WebServer, queue: Queue) -> None:
    published = server.post_delivery("release", release_payload(release_id=509))
    released = server.post_delivery(
        "release", release_payload(release_id=509, action="released"))
    assert published.json()["status"] == "queued"
    assert released.json()["status"] == "duplicate"
    assert released.json()["job_id"] == published.json()["job_id"]
    assert queue.count == 1


def test_concurrent_redeliveries_enqueue_exactly_one_job(server: WebServer, queue: Queue) -> None:
    import asyncio

    headers, body = delivery("release", release_payload(release_id=510))

    async def storm() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
            return await asyncio.gather(*(client.post("/webhook", content=body, headers=headers)
                                          for _ in range(20)))

    responses = asyncio.run(storm())
    statuses = sorted(r.json()["status"] for r in responses)
    assert statuses == ["duplicate"] * 19 + ["queued"]
    assert queue.count == 1


def test_prereleases_and_drafts_are_ignored_by_default(server: WebServer, queue: Queue) -> None:
    pre = server.post_delivery("release", fixture_payload("release/prereleased.payload.json"))
    assert pre.status_code == 202
    assert "prereleases are turned off" in pre.json()["reason"]
    draft = server.post_delivery("release", release_payload(release_id=511, draft=True))
    assert draft.json()["status"] == "ignored"
    assert queue.count == 0


def test_ping_answers_pong(server: WebServer) -> None:
    for name in ("ping/payload.json", "ping/with-app_id.payload.json"):
        response = server.post_delivery("ping", fixture_payload(name))
        assert response.status_code == 200
        assert response.json()["status"] == "pong"
        assert response.json()["zen"]


def test_installation_events_are_acknowledged(server: WebServer, queue: Queue) -> None:
    created = server.post_delivery("installation",
                                   fixture_payload("installation/created.payload.json"))
    assert created.status_code == 200
    assert created.json() == {"status": "ok", "action": "created"}
    # Removing the App drops its cached token.
    connection = queue.connection
    connection.set("releasecast:installation-token:1", b"x")
    removed = fixture_payload("installation/deleted.payload.json")
    removed["installation"]["id"] = 1
    assert server.post_delivery("installation", removed).status_code == 200
    assert connection.get("releasecast:installation-token:1") is None
    assert queue.count == 0


def test_malformed_deliveries_get_4xx(server: WebServer, queue: Queue) -> None:
    with server.client() as client:
        body = b"{not json"
        headers = {"Content-Type": "application/json", "X-GitHub-Event": "release",
                   "X-GitHub-Delivery": str(uuid.uuid4()), "X-Hub-Signature-256": sign(body)}
        assert client.post("/webhook", content=body, headers=headers).status_code == 400
        body = b"payload=%7B%7D"
        headers = {"Content-Type": "text/plain", "X-GitHub-Event": "release",
                   "X-GitHub-Delivery": str(uuid.uuid4()), "X-Hub-Signature-256": sign(body)}
        assert client.post("/webhook", content=body, headers=headers).status_code == 415
        body = json.dumps(release_payload(release_id=512)).encode()
        headers = {"Content-Type": "application/json", "X-GitHub-Event": "release",
                   "X-GitHub-Delivery": "../../etc/passwd", "X-Hub-Signature-256": sign(body)}
        assert client.post("/webhook", content=body, headers=headers).status_code == 400
        headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign(body),
                   "X-GitHub-Delivery": str(uuid.uuid4())}
        response = client.post("/webhook", content=body, headers=headers)
        assert response.status_code == 400
        assert "x-github-event" in response.json()["reason"]
        assert client.get("/webhook").status_code == 405
    assert queue.count == 0


def _malformed(payload: dict, path: str, value: object) -> dict:
    """``payload`` with the field at the dotted ``path`` replaced (or set) by ``value``."""
    copy = json.loads(json.dumps(payload))
    *parents, last = path.split(".")
    target = copy
    for key in parents:
        target = target[key]
    target[last] = value
    return copy


@pytest.mark.parametrize(("path", "value", "reason"), [
    ("release", "v1.0.0", "release: Input should be a valid dictionary"),
    ("action", ["published"], "action: Input should be a valid string"),
    ("release.tag_name", ["v1.0.0"], "release.tag_name: Input should be a valid string"),
    ("repository.full_name", {"owner": "x"}, "repository.full_name: Input should be a valid"),
    ("installation.id", "9001", "installation.id: Input should be a valid integer"),
    ("installation.id", -4, "installation.id: Input should be greater than 0"),
    ("release.draft", "no", "release.draft: Input should be a valid boolean"),
    ("repository.full_name", "../../x", "expected OWNER/NAME by GitHub's naming rules"),
    ("repository.full_name", "a/b/c", "expected OWNER/NAME by GitHub's naming rules"),
    ("release.tag_name", "../../etc/passwd", "'../../etc/passwd' is not a valid Git tag name"),
    ("release.tag_name", "v1 --upload-pack=x", "is not a valid Git tag name"),
])
def test_deliveries_of_the_wrong_shape_are_400_with_the_reason(
        server: WebServer, queue: Queue, path: str, value: object, reason: str) -> None:
    delivery_id = str(uuid.uuid4())
    payload = _malformed(release_payload(release_id=530), path, value)
    response = server.post_delivery("release", payload, delivery_id=delivery_id)
    assert response.status_code == 400, response.text
    assert response.json()["status"] == "error"
    assert reason in response.json()["reason"]
    assert queue.count == 0
    with server.admin() as client:
        assert client.get(f"/jobs/{delivery_id}").status_code == 404  # nothing out of sight
        text = client.get("/metrics").text
    assert re.search(r'^webhook_deliveries_total\{event="release",result="malformed"\} [1-9]',
                     text, re.M)


def test_other_events_of_the_wrong_shape_are_400(server: WebServer, queue: Queue) -> None:
    push = _malformed(fixture_payload("push/payload.json"), "action", {"a": 1})
    assert server.post_delivery("push", push).status_code == 400
    removed = _malformed(fixture_payload("installation/deleted.payload.json"),
                         "installation.id", "1")
    response = server.post_delivery("installation", removed)
    assert response.status_code == 400
    assert "installation.id" in response.json()["reason"]
    assert server.post_delivery("ping", b"[1, 2]").status_code == 400


def test_deliveries_are_counted_in_metrics(server: WebServer, queue: Queue) -> None:
    server.post_delivery("release", release_payload(release_id=513))
    server.post_delivery("push", fixture_payload("push/payload.json"))
    with server.client(headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}) as client:
        text = client.get("/metrics").text
    assert 'webhook_deliveries_total{event="release",result="queued"}' in text
    assert 'webhook_deliveries_total{event="push",result="ignored"}' in text
    assert 'webhook_deliveries_total{event="unverified",result="unauthorized"}' in text
    assert 'queue_depth{queue="releasecast"} 1.0' in text


def test_webhook_rate_limit_answers_429(redis_server: RedisServer, tmp_path: Path) -> None:
    env = app_env(redis_url=redis_server.url, database_url=f"sqlite:///{tmp_path}/runs.db",
                  data_dir=tmp_path, RELEASECAST_WEBHOOK_RATE_LIMIT="3/minute")
    web = WebServer(env, tmp_path / "serve.log")
    try:
        codes = [web.post_delivery("ping", fixture_payload("ping/payload.json")).status_code
                 for _ in range(5)]
        assert codes == [200, 200, 200, 429, 429]
        headers, body = delivery("ping", fixture_payload("ping/payload.json"))
        with web.client() as client:
            limited = client.post("/webhook", content=body, headers=headers)
        assert int(limited.headers["Retry-After"]) >= 1
    finally:
        web.stop()


def test_a_job_accepted_while_the_database_was_down_is_still_visible(
        server: WebServer, queue: Queue) -> None:
    from app.queue import enqueue_release, release_key
    from app.runs import RunRequest
    from app.settings import Settings

    job_id = str(uuid.uuid4())
    request = RunRequest(run_id=job_id, delivery_id=job_id, event="release.published",
                         repository="acme/late", private=False, tag="v5.0.0", release_id=5,
                         installation_id=1, payload={})
    # Enqueued without a run row, as when the web process could not reach the database.
    enqueue_release(queue, request, release=release_key(1, 5, False), settings=Settings())
    with server.admin() as client:
        job = client.get(f"/jobs/{job_id}").json()
    assert job == {"id": job_id, "delivery_id": job_id, "repository": "acme/late",
                   "tag": "v5.0.0", "status": "queued", "recorded": False}
