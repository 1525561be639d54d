"""Reading and writing run history. Each status change is one short transaction.

The web process records a run as ``queued`` right after enqueueing it, through
:class:`RunRecorder` (one transaction for all the runs accepted meanwhile, so the database's
commit rate does not cap the webhook's); the worker creates the row itself if it gets there
first, or if the web process could not write it (database down, process killed before its
batch was written), and a job that fails before starting records its row then: a run is
never missing from the history while its job exists.
"""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from .db import Database
from .models import FINISHED, Run, RunStatus, utcnow

log = logging.getLogger("releasecast.app.runs")


@dataclass(frozen=True)
class RunRequest:
    """What a job needs to know about the release; also the job's (JSON) argument."""

    run_id: str
    delivery_id: str
    event: str
    repository: str
    private: bool
    tag: str
    release_id: int | None
    installation_id: int | None
    payload: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunRequest:
        # Jobs queued by an earlier version may carry fields since dropped (``clone_url``:
        # clone URLs are no longer taken from the payload).
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})


@dataclass(frozen=True)
class Outcome:
    post_url: str | None = None
    video_url: str | None = None
    youtube_url: str | None = None


def _as_utc(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; everything is stored in UTC.
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def run_to_json(run: Run) -> dict[str, Any]:
    def iso(value: datetime | None) -> str | None:
        value = _as_utc(value)
        return value.isoformat().replace("+00:00", "Z") if value else None

    return {
        "id": run.id,
        "delivery_id": run.delivery_id,
        "event": run.event,
        "repository": run.repository,
        "private": run.private,
        "tag": run.tag,
        "status": run.status,
        "attempts": run.attempts,
        "created_at": iso(run.created_at),
        "started_at": iso(run.started_at),
        "finished_at": iso(run.finished_at),
        "post_url": run.post_url,
        "video_url": run.video_url,
        "youtube_url": run.youtube_url,
        "error": run.error,
    }


class RunStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def record_queued(self, request: RunRequest) -> None:
        """Insert the run unless it exists (a worker may already have started it)."""
        try:
            with self.db.session() as session:
                session.add(
                    Run(
                        id=request.run_id,
                        delivery_id=request.delivery_id,
                        event=request.event,
                        repository=request.repository,
                        private=request.private,
                        tag=request.tag,
                        release_id=request.release_id,
                        installation_id=request.installation_id,
                        status=RunStatus.QUEUED,
                        attempts=0,
                    )
                )
        except IntegrityError:
            pass

    def record_many(self, requests: list[tuple[RunRequest, datetime]]) -> None:
        """Insert queued runs (with the time each was accepted) in one transaction, skipping
        any that exist: the web process's group commit (:class:`RunRecorder`)."""
        if not requests:
            return
        rows = [{"id": r.run_id, "delivery_id": r.delivery_id, "event": r.event,
                 "repository": r.repository, "private": r.private, "tag": r.tag,
                 "release_id": r.release_id, "installation_id": r.installation_id,
                 "status": RunStatus.QUEUED, "attempts": 0, "created_at": accepted}
                for r, accepted in requests]
        dialect = self.db.engine.dialect.name
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        with self.db.session() as session:
            session.execute(insert(Run).on_conflict_do_nothing(), rows)

    def start(self, request: RunRequest) -> bool:
        """Mark the run as running (creating it if needed) and count the attempt.

        Returns False, changing nothing, when an earlier attempt already completed the run
        (a worker died after publishing but before RQ recorded the job as finished).
        """
        self.record_queued(request)
        with self.db.session() as session:
            run = session.get(Run, request.run_id, with_for_update=True)
            assert run is not None
            if run.status in (RunStatus.SUCCEEDED, RunStatus.SKIPPED):
                return False
            run.status = RunStatus.RUNNING
            run.attempts += 1
            run.started_at = utcnow()
            run.finished_at = None
            run.error = None
            return True

    def finish(
        self,
        run_id: str,
        status: RunStatus,
        *,
        outcome: Outcome | None = None,
        error: str | None = None,
    ) -> None:
        values: dict[str, Any] = {"status": status, "error": error}
        if status in FINISHED:
            values["finished_at"] = utcnow()
        if outcome is not None:
            values.update(
                post_url=outcome.post_url,
                video_url=outcome.video_url,
                youtube_url=outcome.youtube_url,
            )
        with self.db.session() as session:
            session.execute(update(Run).where(Run.id == run_id).values(**values))

    def get(self, run_id: str) -> dict[str, Any] | None:
        with self.db.session() as session:
            run = session.get(Run, run_id)
            return run_to_json(run) if run else None

    def list(
        self,
        *,
        repository: str | None = None,
        status: str | None = None,
        page: int = 1,
        per_page: int = 50,
    ) -> tuple[list[dict[str, Any]], int]:
        """Newest first; returns (runs on this page, total matching)."""
        query = select(Run)
        count = select(func.count()).select_from(Run)
        if repository:
            query = query.where(Run.repository == repository)
            count = count.where(Run.repository == repository)
        if status:
            query = query.where(Run.status == status)
            count = count.where(Run.status == status)
        query = query.order_by(Run.created_at.desc(), Run.id.desc())
        query = query.offset((page - 1) * per_page).limit(per_page)
        with self.db.session() as session:
            runs = [run_to_json(run) for run in session.scalars(query)]
            total = session.scalar(count) or 0
        return runs, total


class RunRecorder:
    """Writes the web process's queued runs from one thread, in batches (group commit)."""

    _STOP = None

    def __init__(self, store: RunStore, *, batch: int = 500) -> None:
        self.store = store
        self.batch = batch
        self._pending: queue.SimpleQueue[tuple[RunRequest, datetime] | None] = \
            queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def add(self, request: RunRequest) -> None:
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="run-recorder",
                                                    daemon=True)
                    self._thread.start()
        self._pending.put((request, utcnow()))

    def close(self, timeout: float = 10) -> None:
        """Write what is pending, then stop (at shutdown)."""
        if self._thread is not None:
            self._pending.put(self._STOP)
            self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            first = self._pending.get()
            batch = [] if first is None else [first]
            stop = first is None
            while len(batch) < self.batch and not stop:
                try:
                    item = self._pending.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                else:
                    batch.append(item)
            try:
                self.store.record_many(batch)
            except SQLAlchemyError as exc:
                # The jobs are safely queued; each worker creates its run's row at start.
                log.warning("%d queued runs not recorded yet: %s", len(batch),
                            type(exc).__name__)
            if stop:
                return
