"""End to end with real processes: a signed delivery to ``releasecast serve``, RQ workers
(``releasecast worker``) running the offline pipeline, publishing to real bare Git repositories
behind a local GitHub (smart HTTP + REST + App tokens), run history in PostgreSQL."""

from __future__ import annotations

import copy
import json
import re
import stat
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme
from app_fixtures import (
    APP_ID,
    GIT_TOKEN,
    INSTALLATION_ID,
    METRICS_TOKEN,
    CaptureHost,
    FakeGitHubApp,
    RedisServer,
    WebServer,
    WorkerProcess,
    app_env,
    commits_on,
    fixture_payload,
    free_port,
    git,
    make_private_key,
    postgres_database,
    seed_blog,
    seed_source_repository,
    sign_in,
    wait_until,
)
from youtube_server import FakeYouTube

from pipeline.release_link import END, START

NO_REEL = """\
reel:
  enabled: false
app:
  blog_repository: {blog}
"""


@dataclass
class Stack:
    github: FakeGitHubApp
    web: WebServer
    env: dict[str, str]
    root: Path
    redis: RedisServer
    workers: list[WorkerProcess]
    youtube: FakeYouTube
    shared: WorkerProcess | None = None

    def worker(self, name: str) -> WorkerProcess:
        process = WorkerProcess(self.env, self.root / f"{name}.log", name=name)
        self.workers.append(process)
        return process

    def shared_worker(self) -> WorkerProcess:
        """The worker that tests about the pipeline share: started once (a worker's start and
        stop cost about 2 s under coverage), again only after a test stopped it or it died."""
        if self.shared is None or self.shared.process.poll() is not None:
            self.shared = self.worker(f"w-{uuid.uuid4().hex[:6]}")
        return self.shared

    def only_own_workers(self) -> None:
        """Stop the shared worker: the calling test's own workers must be the ones that take
        its jobs (or none may be listening)."""
        if self.shared is not None:
            self.shared.stop()
            self.shared = None

    def project(self, name: str, config: str | None = None, *, blog: str | None = None,
                tag: str = "v1.1.0") -> dict[str, Any]:
        """A repository with releases and its blog on this GitHub; returns the release event."""
        blog = blog or f"acme/{name}-blog"
        source = self.github.add_repo(f"acme/{name}", description=f"The {name} project")
        seed_source_repository(source, self.root / "src" / name,
                               (config or NO_REEL).format(blog=blog))
        if blog not in self.github.repos:
            blog_bare = self.github.add_repo(blog, pages_branch="gh-pages")
            seed_blog(blog_bare, self.root / "blogs" / blog.replace("/", "_"))
        self.github.add_release(f"acme/{name}", "v1.0.0", name="First")
        self.github.add_release(
            f"acme/{name}", tag, name="Faster spinning",
            body="## What's Changed\n* Spin the widget faster by @ada in #12\n"
                 "* Fix an off-by-one in spin by @bob in #13\n",
        )
        # The shape of GitHub's own delivery (shared fixture), with this server's release.
        payload = fixture_payload("release/published.payload.json")
        event = self.github.event_for(f"acme/{name}", tag)
        payload.update(release=event["release"], repository=event["repository"],
                       installation={"id": INSTALLATION_ID, "node_id": "MDIzOkludGVncmF0aW9uMQ=="})
        return payload

    def deliver(self, payload: dict[str, Any], delivery_id: str | None = None) -> str:
        delivery_id = delivery_id or str(uuid.uuid4())
        response = self.web.post_delivery("release", payload, delivery_id=delivery_id)
        assert response.status_code == 202, response.text
        assert response.json()["status"] == "queued", response.text
        return delivery_id

    def run(self, job_id: str) -> dict[str, Any]:
        with self.web.admin() as client:
            response = client.get(f"/jobs/{job_id}")
        assert response.status_code == 200, response.text
        return response.json()

    def wait_finished(self, job_id: str, timeout: float = 120) -> dict[str, Any]:
        def finished() -> dict[str, Any] | None:
            run = self.run(job_id)
            return run if run["status"] in ("succeeded", "failed", "skipped") else None

        try:
            return wait_until(finished, timeout, 0.2, what=f"run {job_id}")
        except AssertionError:
            logs = "\n".join(f"--- {w.name}\n{w.log()[-3000:]}" for w in self.workers)
            raise AssertionError(f"run {job_id} did not finish: {self.run(job_id)}\n{logs}") \
                from None

    def blog_bare(self, blog: str) -> Path:
        return self.github.repos[blog].bare


@pytest.fixture(scope="module")
def stack(redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    root = tmp_path_factory.mktemp("app-e2e")
    key = make_private_key(root / "app.pem")
    with postgres_database() as database_url, FakeGitHubApp(
        root / "github", token=GIT_TOKEN, app_id=APP_ID, public_key=key.public_key(),
        installation_id=INSTALLATION_ID,
    ) as github, FakeYouTube(trustme.CA(), root) as youtube:
        (root / "youtube.json").write_text(json.dumps({
            "client_id": youtube.client_id, "client_secret": youtube.client_secret,
            "refresh_token": "refresh-good"}))
        env = app_env(redis_url=redis_server.url, database_url=database_url,
                      data_dir=root / "data", private_key_file=root / "app.pem",
                      api_url=github.api_url, YOUTUBE_CREDENTIALS_FILE=str(root / "youtube.json"),
                      RELEASECAST_YOUTUBE_API_ENDPOINT=youtube.base_url,
                      RELEASECAST_YOUTUBE_TOKEN_URI=youtube.token_uri,
                      HTTPLIB2_CA_CERTS=str(youtube.ca_bundle))
        web = WebServer(env, root / "serve.log")
        stack = Stack(github, web, env, root, redis_server, [], youtube)
        try:
            yield stack
        finally:
            for worker in stack.workers:
                worker.stop()
            web.stop()


@pytest.fixture(scope="module")
def capture() -> Iterator[CaptureHost]:
    with CaptureHost() as host:
        yield host


@pytest.fixture
def worker(stack: Stack) -> WorkerProcess:
    """A running worker. Each job runs in a fresh work horse forked from it, so jobs share
    nothing through it; the tests about workers themselves start their own."""
    return stack.shared_worker()


def test_release_delivery_to_published_post(stack: Stack, worker: WorkerProcess,
                                            browser: Any) -> None:
    payload = stack.project("widget")
    job_id = stack.deliver(payload)
    run = stack.wait_finished(job_id)
    assert run["status"] == "succeeded", run
    assert run["attempts"] == 1
    assert run["repository"] == "acme/widget" and run["tag"] == "v1.1.0"
    assert re.fullmatch(r"https://acme\.example/2024/05/01/[\w.-]+\.html", run["post_url"]), run
    assert run["error"] is None
    # The post was committed and pushed to the blog's Pages branch over authenticated HTTP.
    bare = stack.blog_bare("acme/widget-blog")
    assert commits_on(bare, "gh-pages")[0] == "Add release post for acme/widget v1.1.0"
    files = git(bare, "ls-tree", "-r", "--name-only", "gh-pages").splitlines()
    posts = [f for f in files if f.startswith("_posts/")]
    assert len(posts) == 1 and posts[0].endswith(".md")
    post = git(bare, "show", f"gh-pages:{posts[0]}")
    assert "Spin the widget faster" in post
    assert any(f.startswith("assets/releasecast/") and f.endswith(".png") for f in files)
    author = git(bare, "log", "-1", "--format=%an <%ae>", "gh-pages")
    assert author == "releasecast[bot] <releasecast[bot]@users.noreply.github.com>"
    # The App authenticated with a JWT and used the installation token.
    assert stack.github.tokens_issued >= 1
    # Workers' metrics reach the web process through Redis.
    with httpx.Client(base_url=stack.web.url,
                      headers={"Authorization": f"Bearer {METRICS_TOKEN}"}) as client:
        metrics = client.get("/metrics").text
    assert re.search(r'^pipeline_runs_total\{status="succeeded"\} [1-9]', metrics, re.M)
    assert re.search(r'^pipeline_duration_seconds_count\{stage="story"\} [1-9]', metrics, re.M)
    assert re.search(r'^pipeline_duration_seconds_bucket\{le="\+Inf",stage="publish"\} [1-9]',
                     metrics, re.M)
    # Every REST call the worker made (token, and PyGithub's inside the publishing code) counted.
    api_calls = [path for _method, path in stack.github.requests if path.startswith("/api/")]
    assert len(api_calls) >= 3  # the installation token, the blog repository, its Pages site
    assert re.search(rf"^github_api_calls_total {len(api_calls)}\.0$", metrics, re.M), api_calls
    assert re.search(r"^workers [1-9]", metrics, re.M)
    # The dashboard shows the run with a link to the post.
    page = sign_in(browser, stack.web.url)
    row = page.wait_for_selector(f'tr[data-run-id="{job_id}"]')
    assert row.query_selector(".status").inner_text() == "succeeded"
    assert row.query_selector("a").get_attribute("href") == run["post_url"]
    page.context.close()


def test_tokens_are_cached_across_jobs(stack: Stack, worker: WorkerProcess) -> None:
    issued = stack.github.tokens_issued
    first = stack.deliver(stack.project("sprocket"))
    assert stack.wait_finished(first)["status"] == "succeeded"
    after_first = stack.github.tokens_issued
    second = stack.deliver(stack.project("cog"))
    assert stack.wait_finished(second)["status"] == "succeeded"
    assert stack.github.tokens_issued == after_first <= issued + 1
    # Stored encrypted: the token itself is nowhere in Redis.
    connection = stack.redis.client()
    for key in connection.scan_iter("releasecast:installation-token:*"):
        assert GIT_TOKEN.encode() not in connection.get(key)


def test_a_rerun_of_the_same_release_commits_nothing(stack: Stack, worker: WorkerProcess) -> None:
    payload = stack.project("gear")
    assert stack.wait_finished(stack.deliver(payload))["status"] == "succeeded"
    bare = stack.blog_bare("acme/gear-blog")
    before = commits_on(bare, "gh-pages")
    # A new delivery for the same release after the dedupe window (keys expired).
    stack.redis.client().delete(*stack.redis.client().keys("releasecast:release:*"))
    again = stack.wait_finished(stack.deliver(payload))
    assert again["status"] == "succeeded"
    assert commits_on(bare, "gh-pages") == before


LINKED = NO_REEL + "  release_link: true\n"


def test_the_release_links_its_post_through_the_installation_token(
        stack: Stack, worker: WorkerProcess) -> None:
    """``app.release_link``: the line is added once to the body the API holds, updated in
    place on a re-run, the author's text around it kept, and never read back as notes."""
    payload = copy.deepcopy(stack.project("ratchet", LINKED))  # the delivery: a snapshot
    release = stack.github.repos["acme/ratchet"].releases[0]  # what the API holds
    author = release["body"]
    first = stack.wait_finished(stack.deliver(payload))
    assert first["status"] == "succeeded", first
    post_url = first["post_url"]
    assert post_url.startswith("https://acme.example/"), first
    block = f"{START}\n**Release post:** [read it]({post_url})\n{END}"
    assert release["body"] == f"{author.rstrip()}\n\n{block}"
    edits = [path for method, path in stack.github.requests
             if method == "PATCH" and path.endswith(f"/releases/{release['id']}")]
    assert len(edits) == 1 and edits[0].startswith("/api/v3/repos/acme/ratchet/")
    bare = stack.blog_bare("acme/ratchet-blog")
    before = commits_on(bare, "gh-pages")

    # Since then the line went stale and the author wrote below it; the next delivery's
    # payload is older than that (it has the line, not the later note).
    release["body"] = (f"{author.rstrip()}\n\n{block.replace(post_url, 'https://old.example/p')}"
                       "\n\nA later note.\n")
    again_payload = copy.deepcopy(payload)
    again_payload["release"]["body"] = f"{author.rstrip()}\n\n{block}"
    stack.redis.client().delete(*stack.redis.client().keys("releasecast:release:*"))
    again = stack.wait_finished(stack.deliver(again_payload))
    assert again["status"] == "succeeded", again
    # The API's body, edited in place: one line, the later note where the author put it.
    assert release["body"] == f"{author.rstrip()}\n\n{block}\n\nA later note.\n"
    # The link is not part of the notes: same facts, same post, nothing committed.
    assert commits_on(bare, "gh-pages") == before
    posts = [f for f in git(bare, "ls-tree", "-r", "--name-only", "gh-pages").splitlines()
             if f.startswith("_posts/")]
    post = git(bare, "show", f"gh-pages:{posts[0]}")
    assert "releasecast:links" not in post and "read it" not in post


def test_the_token_goes_only_to_the_configured_github(stack: Stack, worker: WorkerProcess,
                                                      capture: CaptureHost) -> None:
    """A signed delivery whose URLs all point at another host: the worker clones from the
    configured GitHub, and the other host hears nothing at all (no token, no request)."""
    payload = stack.project("harvest")
    for key in ("html_url", "clone_url", "git_url", "url", "svn_url", "releases_url"):
        payload["repository"][key] = f"{capture.url}/steal/{key}"
    for key in ("html_url", "url", "upload_url", "assets_url", "tarball_url"):
        payload["release"][key] = f"{capture.url}/steal/{key}"
    run = stack.wait_finished(stack.deliver(payload))
    assert run["status"] == "succeeded", run
    assert commits_on(stack.blog_bare("acme/harvest-blog"), "gh-pages")[0] == \
        "Add release post for acme/harvest v1.1.0"
    assert capture.requests == []


def test_an_installation_id_of_another_installation_gets_no_token(
        stack: Stack, worker: WorkerProcess, capture: CaptureHost) -> None:
    payload = stack.project("borrowed")
    payload["installation"]["id"] = INSTALLATION_ID + 1  # someone else's installation
    issued = stack.github.tokens_issued
    run = stack.wait_finished(stack.deliver(payload))
    assert run["status"] == "failed" and run["attempts"] == 1, run  # final: not retried
    assert run["error"] == (f"auth: installation {INSTALLATION_ID + 1} is not this App's "
                            "installation on acme/borrowed; the delivery is refused")
    assert stack.github.tokens_issued == issued
    assert not any("/access_tokens" in path for _method, path in stack.github.requests[-5:])
    assert capture.requests == []


def test_a_tag_the_repository_lacks_fails_for_good(stack: Stack, worker: WorkerProcess) -> None:
    payload = stack.project("phantom")
    payload["release"]["tag_name"] = "v9.9.9"
    run = stack.wait_finished(stack.deliver(payload))
    assert run["status"] == "failed" and run["attempts"] == 1, run
    assert run["error"] == "checkout: acme/phantom: tag 'v9.9.9' not found in the repository"


def test_a_bad_repository_config_fails_once_with_one_line(stack: Stack,
                                                         worker: WorkerProcess) -> None:
    payload = stack.project("broken", "reel:\n  enabled: false\n  zoooom: true\n")
    run = stack.wait_finished(stack.deliver(payload))
    assert run["status"] == "failed"
    assert run["attempts"] == 1  # configuration errors are not retried
    assert "reel.zoooom: unknown key" in run["error"]
    assert "\n" not in run["error"] and "Traceback" not in run["error"]


def test_a_transient_failure_is_retried_with_backoff(stack: Stack,
                                                    worker: WorkerProcess) -> None:
    connection = stack.redis.client()
    for key in connection.scan_iter("releasecast:installation-token:*"):
        connection.delete(key)  # so this job must ask GitHub for a token
    stack.github.token_outages = 1
    job_id = stack.deliver(stack.project("flaky"))
    wait_until(lambda: "will retry" in (stack.run(job_id)["error"] or ""), 60, 0.1,
               what="the first attempt to fail")
    retrying = stack.run(job_id)
    assert retrying["status"] == "queued"
    assert retrying["error"].startswith("auth: GitHub App authentication failed")
    run = stack.wait_finished(job_id)
    assert run["status"] == "succeeded" and run["attempts"] == 2 and run["error"] is None
    assert stack.github.token_outages == 0
    with httpx.Client(base_url=stack.web.url,
                      headers={"Authorization": f"Bearer {METRICS_TOKEN}"}) as client:
        metrics = client.get("/metrics").text
    assert re.search(r'^pipeline_errors_total\{stage="auth"\} [1-9]', metrics, re.M)


def test_a_run_that_ran_out_of_retries_is_replayed_with_rq_requeue(
        stack: Stack, worker: WorkerProcess) -> None:
    """RUNBOOK.md's "Replaying deliveries and runs", as written."""
    import subprocess
    import sys

    connection = stack.redis.client()
    for key in connection.scan_iter("releasecast:installation-token:*"):
        connection.delete(key)
    stack.github.token_outages = 3  # the first attempt and both retries
    job_id = stack.deliver(stack.project("stubborn"))
    run = stack.wait_finished(job_id)
    assert run["status"] == "failed" and run["attempts"] == 3
    requeue = subprocess.run(
        [str(Path(sys.executable).with_name("rq")), "requeue", "-u", stack.redis.url,
         "--queue", "releasecast", "--serializer", "json", job_id],
        capture_output=True, text=True, timeout=60)
    assert requeue.returncode == 0, requeue.stderr
    wait_until(lambda: stack.run(job_id)["status"] != "failed", 30, 0.1, what="the requeue")
    run = stack.wait_finished(job_id)
    assert run["status"] == "succeeded" and run["attempts"] == 4, run


def _slow_first_push(bare: Path, marker_dir: Path, seconds: int = 8) -> None:
    """A pre-receive hook: the first push hangs (the worker is killed meanwhile) and is then
    refused; later pushes go straight through."""
    hook = bare / "hooks" / "pre-receive"
    hook.write_text(
        "#!/bin/sh\n"
        f"if [ ! -e '{marker_dir}/first-push' ]; then\n"
        f"  touch '{marker_dir}/first-push'\n"
        f"  sleep {seconds}\n"
        "  exit 1\n"
        "fi\n"
        f"echo push >> '{marker_dir}/pushes'\n"
    )
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR)


@pytest.mark.slow
def test_an_attempt_past_the_job_timeout_is_stopped_and_retried(stack: Stack,
                                                                worker: WorkerProcess) -> None:
    from app.queue import enqueue_release, make_queue, release_key
    from app.runs import RunRequest
    from app.settings import Settings

    payload = stack.project("glacier")
    markers = stack.root / "glacier-markers"
    markers.mkdir()
    _slow_first_push(stack.blog_bare("acme/glacier-blog"), markers, seconds=25)
    # Enqueued as the web process does, with a 6 s limit per attempt: the push starts about
    # 2 s into a job here (under coverage), and the test waits out the limit once.
    settings = Settings(redis_url=stack.redis.url, job_timeout=6, retry_intervals=(1,))
    job_id = str(uuid.uuid4())
    request = RunRequest(run_id=job_id, delivery_id=job_id, event="release.published",
                         repository="acme/glacier", private=False, tag="v1.1.0",
                         release_id=payload["release"]["id"], installation_id=INSTALLATION_ID,
                         payload=payload)
    queue = make_queue(settings, stack.redis.client())
    enqueue_release(queue, request, release=release_key(0, job_id, False), settings=settings)
    wait_until(lambda: (markers / "first-push").exists(), 60, 0.1, what="the slow push")
    wait_until(lambda: "will retry" in (stack.run(job_id).get("error") or ""), 30, 0.2,
               what="the timeout")
    assert stack.run(job_id)["error"].startswith("publish: ")
    assert "timeout" in stack.run(job_id)["error"].lower()
    run = stack.wait_finished(job_id)
    assert run["status"] == "succeeded" and run["attempts"] == 2
    assert (markers / "pushes").read_text().splitlines() == ["push"]


def test_a_worker_killed_mid_job_is_taken_over_and_finishes_once(stack: Stack) -> None:
    # (Runs after the tests that need RQ's scheduler: the killed worker may hold its lock
    # for a minute, which delays scheduled retries; RUNBOOK.md mentions it.)
    stack.only_own_workers()
    payload = stack.project("turbine")
    markers = stack.root / "turbine-markers"
    markers.mkdir()
    _slow_first_push(stack.blog_bare("acme/turbine-blog"), markers)
    first = stack.worker("doomed")
    job_id = stack.deliver(payload)
    wait_until(lambda: (markers / "first-push").exists(), 90, 0.1,
               what="the first worker to start pushing")
    assert stack.run(job_id)["status"] == "running"
    second = stack.worker("rescuer")
    killed = first.kill_hard()
    assert len(killed) >= 2  # the worker and its work horse (and git)
    run = stack.wait_finished(job_id, timeout=120)
    assert run["status"] == "succeeded", run
    assert run["attempts"] == 2
    bare = stack.blog_bare("acme/turbine-blog")
    assert commits_on(bare, "gh-pages").count("Add release post for acme/turbine v1.1.0") == 1
    assert (markers / "pushes").read_text().splitlines() == ["push"]
    assert f"job {job_id}: its worker stopped responding; requeued" in second.log() + \
        "".join(w.log() for w in stack.workers if w is not first)
    second.stop()


def test_redis_down_means_503_then_work_continues(stack: Stack, worker: WorkerProcess) -> None:
    payload = stack.project("dynamo")
    delivery_id = str(uuid.uuid4())
    stack.redis.stop()
    try:
        refused = stack.web.post_delivery("release", payload, delivery_id=delivery_id)
        assert refused.status_code == 503
        assert refused.headers["Retry-After"]
        with stack.web.client() as client:
            health = client.get("/health")
        assert health.status_code == 503
        assert health.json()["redis"].startswith("unavailable")
        assert health.json()["database"] == "ok"
    finally:
        stack.redis.start()
    with stack.web.client() as client:
        wait_until(lambda: client.get("/health").status_code == 200, 20, 0.2, what="health")
    # GitHub's redelivery of the refused delivery is accepted and runs.
    assert stack.deliver(payload, delivery_id=delivery_id) == delivery_id
    run = stack.wait_finished(delivery_id, timeout=120)
    assert run["status"] == "succeeded", run


def _slow_accepted_push(bare: Path, marker_dir: Path, seconds: int) -> None:
    """A pre-receive hook that marks the push's start, waits, and accepts it."""
    hook = bare / "hooks" / "pre-receive"
    hook.write_text(f"#!/bin/sh\ntouch '{marker_dir}/pushing'\nsleep {seconds}\n")
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR)


def _workers_metric(stack: Stack) -> int:
    with httpx.Client(base_url=stack.web.url,
                      headers={"Authorization": f"Bearer {METRICS_TOKEN}"}) as client:
        text = client.get("/metrics").text
    found = re.search(r"^workers (\d+)", text, re.M)
    return int(found[1]) if found else -1


def test_a_worker_outlives_a_redis_restart_registers_again_and_works_on(stack: Stack) -> None:
    stack.only_own_workers()
    payload = stack.project("blip")
    markers = stack.root / "blip-markers"
    markers.mkdir()
    # The push outlasts the 1.5 s outage and the restart by over 2 s: heartbeats (every 1 s
    # here) meet the outage and then the empty Redis while the job runs.
    _slow_accepted_push(stack.blog_bare("acme/blip-blog"), markers, seconds=4)
    survivor = stack.worker("survivor")
    job_id = stack.deliver(payload)
    wait_until(lambda: (markers / "pushing").exists(), 90, 0.1, what="the push to start")
    stack.redis.stop()  # mid-job; it comes back empty (no persistence), as after a failover
    time.sleep(1.5)
    stack.redis.start()
    run = stack.wait_finished(job_id)
    assert run["status"] == "succeeded", run
    assert survivor.process.poll() is None, survivor.log()[-3000:]
    # Redis forgot every worker; the survivor registers again by itself.
    wait_until(lambda: _workers_metric(stack) >= 1, 60, 0.5, what="the worker to re-register")
    assert "registered again: Redis had lost its registration" in survivor.log()
    # ...and takes the next job.
    (markers / "pushing").unlink()
    (stack.blog_bare("acme/blip-blog") / "hooks" / "pre-receive").unlink()
    again = stack.wait_finished(stack.deliver(stack.project("after-blip")))
    assert again["status"] == "succeeded", again
    assert survivor.process.poll() is None
    survivor.stop()
    assert survivor.process.returncode == 0  # SIGTERM: a warm shutdown, not an error


def test_a_worker_that_cannot_go_on_exits_non_zero_with_one_line(stack: Stack) -> None:
    import subprocess
    import sys

    env = {**stack.env, "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}
    proc = subprocess.run([sys.executable, "-m", "pipeline.cli", "worker"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert lines[-1].startswith("releasecast: error: cannot reach Redis"), proc.stderr
    assert "Traceback" not in proc.stderr


FULL_RUN = """\
reel:
  min_duration: 5
  max_duration: 30
app:
  blog_repository: {blog}
  video_storage: release-asset
  youtube:
    privacy: unlisted
"""


@pytest.mark.slow
def test_a_full_run_renders_the_reel_and_attaches_it_to_the_release(
        stack: Stack, worker: WorkerProcess, tmp_path: Path) -> None:
    from pipeline.tools import probe

    payload = stack.project("reactor", FULL_RUN)
    run = stack.wait_finished(stack.deliver(payload), timeout=300)
    assert run["status"] == "succeeded", run
    release = payload["release"]
    assert run["video_url"].startswith(f"{stack.github.url}/acme/reactor/releases/download/")
    (asset,) = [a for a in stack.github.assets.values() if a.release_id == release["id"]]
    assert run["video_url"] == asset.meta["browser_download_url"]
    video = tmp_path / "reel.mp4"
    video.write_bytes(asset.data)
    info = probe(video)
    stream = next(s for s in info["streams"] if s["codec_type"] == "video")
    assert (stream["width"], stream["height"]) == (1080, 1920)
    assert any(s["codec_type"] == "audio" for s in info["streams"])
    assert 5 <= float(info["format"]["duration"]) <= 31
    # The post links the asset; the video itself is not committed to the blog.
    bare = stack.blog_bare("acme/reactor-blog")
    files = git(bare, "ls-tree", "-r", "--name-only", "gh-pages").splitlines()
    assert not any(f.endswith(".mp4") for f in files)
    post = git(bare, "show", f"gh-pages:{next(f for f in files if f.startswith('_posts/'))}")
    assert run["video_url"] in post
    with httpx.Client(base_url=stack.web.url,
                      headers={"Authorization": f"Bearer {METRICS_TOKEN}"}) as client:
        metrics = client.get("/metrics").text
    assert re.search(r'^pipeline_duration_seconds_count\{stage="reel"\} [1-9]', metrics, re.M)
    # Uploaded to the App's YouTube channel, recorded in the run and in the post.
    (uploaded,) = stack.youtube.videos.values()
    assert run["youtube_url"] == f"https://www.youtube.com/watch?v={uploaded.id}"
    assert uploaded.resource["status"]["privacyStatus"] == "unlisted"
    assert f"youtube_id: {uploaded.id}" in post


def test_no_secret_reaches_any_log(stack: Stack) -> None:
    """Every log the web process and the workers of this module wrote so far."""
    from app_fixtures import ADMIN_TOKEN, WEBHOOK_SECRET

    from pipeline.blog.git import GitAuth

    key_lines = [ln for ln in (stack.root / "app.pem").read_text().splitlines()
                 if ln and not ln.startswith("-----")]
    secrets = [WEBHOOK_SECRET, ADMIN_TOKEN, METRICS_TOKEN, GIT_TOKEN,
               *GitAuth(GIT_TOKEN, stack.github.url).secrets, stack.youtube.client_secret,
               "refresh-good", *key_lines[:3]]
    logs = [stack.web.log(), *(w.log() for w in stack.workers)]
    assert any(w.log() for w in stack.workers)
    for text in logs:
        for secret in secrets:
            assert secret not in text


def test_several_worker_processes_share_the_queue(stack: Stack) -> None:
    """`releasecast worker --processes 2`: a supervised pool on one machine."""
    import subprocess
    import sys

    from app.queue import enqueue_release, make_queue, release_key
    from app.runs import RunRequest
    from app.settings import Settings

    stack.only_own_workers()  # the pool's two processes take every job
    settings = Settings(redis_url=stack.redis.url)
    queue = make_queue(settings, stack.redis.client())
    ids = [str(uuid.uuid4()) for _ in range(4)]
    for job_id in ids:  # jobs that fail fast, at the first step
        request = RunRequest(run_id=job_id, delivery_id=job_id, event="release.published",
                             repository="acme/../nowhere", private=False, tag="v1",
                             release_id=1, installation_id=None, payload={})
        enqueue_release(queue, request, release=release_key(0, job_id, False),
                        settings=settings)
    pool = subprocess.run([sys.executable, "-m", "pipeline.cli", "worker", "--processes", "2",
                           "--burst"], env=stack.env, capture_output=True, text=True,
                          timeout=120)
    assert pool.returncode == 0, pool.stderr[-2000:]
    started = set(re.findall(r"Worker (\w+): started with PID", pool.stderr))
    assert len(started) == 2  # which of them takes which job is up to the race
    for job_id in ids:
        run = stack.run(job_id)
        assert run["status"] == "failed"
        assert run["error"] == "checkout: acme/../nowhere: expected OWNER/NAME by GitHub's " \
                               "naming rules, got 'acme/../nowhere'"
