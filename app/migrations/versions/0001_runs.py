"""Create the runs table.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("delivery_id", sa.String(64), nullable=False, unique=True),
        sa.Column("event", sa.String(64), nullable=False),
        sa.Column("repository", sa.String(200), nullable=False),
        sa.Column("private", sa.Boolean(), nullable=False),
        sa.Column("tag", sa.String(255), nullable=False),
        sa.Column("release_id", sa.BigInteger(), nullable=True),
        sa.Column("installation_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("post_url", sa.String(2048), nullable=True),
        sa.Column("video_url", sa.String(2048), nullable=True),
        sa.Column("youtube_url", sa.String(2048), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
    )
    op.create_index("ix_runs_created", "runs", ["created_at"])
    op.create_index("ix_runs_repository_created", "runs", ["repository", "created_at"])
    op.create_index("ix_runs_status_created", "runs", ["status", "created_at"])


def downgrade() -> None:
    op.drop_table("runs")
