"""Run history: Alembic migrations on SQLite and PostgreSQL, and the run state machine."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from app_fixtures import postgres_database
from sqlalchemy import inspect, text

from app.db import Database, DatabaseError
from app.models import Base, RunStatus
from app.runs import Outcome, RunRequest, RunStore


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/runs.db"
    else:
        with postgres_database() as url:
            yield url


def request_for(run_id: str, repository: str = "acme/widget") -> RunRequest:
    return RunRequest(run_id=run_id, delivery_id=run_id, event="release.published",
                      repository=repository, private=False, tag="v1.0.0", release_id=7,
                      installation_id=2**40, payload={})


def test_migrations_create_the_schema_the_models_describe(database_url: str) -> None:
    db = Database(database_url)
    with db.engine.connect() as connection:
        assert set(inspect(connection).get_table_names()) == {"runs", "alembic_version"}
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert version == "0001"
    assert diff == []  # a model change without a migration fails here
    Database(database_url)  # a second start migrates nothing and does not fail
    db.dispose()


def test_concurrent_starts_migrate_once(tmp_path: Path) -> None:
    with postgres_database() as url:
        code = f"from app.db import Database; Database({url!r}).dispose()"
        procs = [subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE)
                 for _ in range(4)]
        results = [(p.wait(60), p.stderr.read().decode()) for p in procs]
        assert all(rc == 0 for rc, _ in results), results
        db = Database(url, migrate_schema=False)
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
        db.dispose()


def test_a_run_goes_queued_running_succeeded_and_is_not_redone(database_url: str) -> None:
    store = RunStore(Database(database_url))
    request = request_for("d-1")
    store.record_queued(request)
    store.record_queued(request)  # the worker may get there first: no error, one row
    assert store.get("d-1")["status"] == "queued"
    assert store.start(request) is True
    running = store.get("d-1")
    assert running["status"] == "running" and running["attempts"] == 1
    assert running["started_at"].endswith("Z")
    store.finish("d-1", RunStatus.SUCCEEDED, outcome=Outcome(post_url="https://b/p.html"))
    done = store.get("d-1")
    assert done["status"] == "succeeded" and done["post_url"] == "https://b/p.html"
    assert done["finished_at"] is not None
    assert store.start(request) is False  # a second attempt finds it done
    assert store.get("d-1")["attempts"] == 1


def test_a_failed_run_can_be_run_again(database_url: str) -> None:
    store = RunStore(Database(database_url))
    request = request_for("d-2")
    assert store.start(request)
    store.finish("d-2", RunStatus.FAILED, error="publish: refused")
    assert store.start(request) is True  # e.g. `rq requeue` after fixing the cause
    run = store.get("d-2")
    assert run["attempts"] == 2 and run["error"] is None and run["status"] == "running"


def test_the_worker_creates_a_run_the_web_process_did_not_record(database_url: str) -> None:
    store = RunStore(Database(database_url))
    assert store.start(request_for("d-3", "acme/other")) is True
    runs, total = store.list(repository="acme/other")
    assert total == 1 and runs[0]["status"] == "running"


def test_an_unreachable_database_is_one_clear_error() -> None:
    with pytest.raises(DatabaseError, match="database postgresql"):
        Database("postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=2")
