"""Alembic environment: the engine comes from :func:`app.db.alembic_config`, never from an ini."""

from __future__ import annotations

from alembic import context

from app.models import Base

config = context.config


def run_migrations_online() -> None:
    engine = config.attributes["engine"]
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER columns
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():
    raise SystemExit("releasecast migrations run online only (they need the engine)")
run_migrations_online()
