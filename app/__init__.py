"""The releasecast GitHub App: signed webhooks in, RQ jobs out, run history and a dashboard.

Processes (each a ``releasecast`` command):

* ``releasecast serve`` — :mod:`app.web`, a Starlette app: ``POST /webhook`` verifies the
  delivery, deduplicates it and enqueues a job in milliseconds; ``/api/runs``, ``/jobs/<id>``,
  ``/health``, ``/metrics`` and the dashboard at ``/``.
* ``releasecast worker`` — :mod:`app.worker`, RQ workers that run :func:`app.jobs.process_release`:
  authenticate as the App, clone the repository, run the pipeline, publish like the Action.

Both share Redis (queue, dedupe keys, worker metrics, token cache) and the run history database
(:mod:`app.db`, SQLite by default, PostgreSQL via ``DATABASE_URL``).
"""
