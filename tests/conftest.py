"""Fixtures shared by the whole suite.

Fixtures live here rather than being imported into test modules (an import pytest needs but
nothing reads); the services behind them are imported when a test asks for one, so tests of the
pipeline alone need none of the App's packages.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from factories import sample_facts

from pipeline.structure import ReleaseFacts


@pytest.fixture
def facts() -> ReleaseFacts:
    return sample_facts()


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A private redis-server for one test module (:class:`app_fixtures.RedisServer`)."""
    from app_fixtures import RedisServer

    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's chromium driven by Playwright (which never downloads a browser here)."""
    from pathlib import Path

    from app_fixtures import CHROMIUM, CHROMIUM_FLAGS

    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed (scripts/install-system-deps.sh --test)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS,
                                              headless=True)
        yield launched
        launched.close()
