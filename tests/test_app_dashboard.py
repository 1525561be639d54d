"""The dashboard in real headless Chromium (Debian's, driven by Playwright; never downloaded)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from app_fixtures import (
    ADMIN_TOKEN,
    RedisServer,
    WebServer,
    app_env,
    release_payload,
)


@pytest.fixture(scope="module")
def web(redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
        ) -> Iterator[WebServer]:
    data = tmp_path_factory.mktemp("dashboard")
    env = app_env(redis_url=redis_server.url, database_url=f"sqlite:///{data}/runs.db",
                  data_dir=data)
    server = WebServer(env, data / "serve.log")
    yield server
    server.stop()


def test_a_new_run_appears_within_one_refresh_without_reloading(browser, web: WebServer) -> None:
    context = browser.new_context()
    context.set_default_timeout(60_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(web.url + "/")
    page.fill("#token", ADMIN_TOKEN)
    page.click("button[type=submit]")
    page.wait_for_selector("#runs-table")
    # A selector wait, not wait_for_function: the dashboard's CSP forbids eval, which
    # Playwright's string predicates need.
    page.wait_for_selector('#runs-table[data-refreshed-at]:not([data-refreshed-at=""])',
                           state="attached")
    assert page.get_attribute("#runs-table", "data-refresh-ms") == "10000"
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads
    fetches_before = int(page.evaluate("document.querySelector('#runs-table').dataset.fetches"))
    tag = f"v9.{uuid.uuid4().int % 1000}.0"
    response = web.post_delivery("release", release_payload(
        tag=tag, release_id=uuid.uuid4().int % 10**9, full_name="acme/rocket"))
    assert response.status_code == 202
    job_id = response.json()["job_id"]
    row = page.wait_for_selector(f'tr[data-run-id="{job_id}"]', timeout=30_000)
    # Shown by the first refresh that started after the delivery (or one already under way).
    rendered_by = int(page.evaluate(
        "document.querySelector('#runs-table').dataset.renderedFetch"))
    assert rendered_by <= fetches_before + 1
    assert row.query_selector(".repository").inner_text() == "acme/rocket"
    assert row.query_selector(".tag").inner_text() == tag
    assert row.query_selector(".status").inner_text() == "queued"
    assert page.evaluate("window.__sameDocument") is True
    # Filters narrow the table through the API, still without a reload.
    page.fill("input[name=repository]", "acme/nothing-here")
    page.click("#filters button[type=submit]")
    page.wait_for_selector("#empty:not([hidden])")
    assert page.query_selector_all("#runs tr") == []
    page.fill("input[name=repository]", "acme/rocket")
    page.select_option("select[name=status]", "queued")
    page.click("#filters button[type=submit]")
    page.wait_for_selector(f'tr[data-run-id="{job_id}"]')
    assert page.evaluate("window.__sameDocument") is True
    assert errors == []
    context.close()


def test_without_the_token_the_dashboard_shows_nothing(browser, web: WebServer) -> None:
    web.post_delivery("release", release_payload(release_id=uuid.uuid4().int % 10**9,
                                                 full_name="acme/classified"))
    context = browser.new_context()
    page = context.new_page()
    page.goto(web.url + "/")
    assert page.query_selector("#runs-table") is None
    assert page.query_selector("#token") is not None
    assert "acme/" not in page.content()
    # Even a script on the page gets nothing from the API without the session.
    status = page.evaluate("fetch('/api/runs').then(r => r.status)")
    assert status == 401
    page.fill("#token", "wrong-token-wrong-token")
    page.click("button[type=submit]")
    assert "That token is not valid." in page.content()
    assert "acme/" not in page.content()
    context.close()
