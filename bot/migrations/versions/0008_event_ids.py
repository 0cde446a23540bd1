"""A random id per event, so that writing the same spooled events twice keeps one copy.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01

Rows written before this revision have no id (NULL is never a duplicate): they were in the
database already and cannot come back from a spool.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("event_id", sa.Uuid(), nullable=True))
    op.create_index("ix_events_event_id", "events", ["event_id"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_events_event_id", table_name="events")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("event_id")
