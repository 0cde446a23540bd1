"""Anonymised event log and per-child profiles.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
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
        "events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pseudonym", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("intent", sa.String(length=32), nullable=True),
        sa.Column("confidence_band", sa.String(length=8), nullable=True),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("country", sa.String(length=3), nullable=True),
        sa.Column("escalation", sa.String(length=16), nullable=False),
        sa.Column("button", sa.String(length=64), nullable=True),
        sa.Column("crisis_net", sa.Boolean(), nullable=False),
        sa.Column("clarified", sa.Boolean(), nullable=False),
        sa.Column("engine", sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    op.create_index("ix_events_hour", "events", ["hour"])
    op.create_index("ix_events_pseudonym", "events", ["pseudonym"])
    op.create_table(
        "profiles",
        sa.Column("pseudonym", sa.String(length=64), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=True),
        sa.Column("country", sa.String(length=3), nullable=True),
        sa.Column("country_asked", sa.Boolean(), nullable=False),
        sa.Column("crisis_replies_left", sa.SmallInteger(), nullable=False),
        sa.Column("checkin_pending", sa.Boolean(), nullable=False),
        sa.Column("updated_hour", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("pseudonym", name=op.f("pk_profiles")),
    )


def downgrade() -> None:
    op.drop_table("profiles")
    op.drop_index("ix_events_pseudonym", table_name="events")
    op.drop_index("ix_events_hour", table_name="events")
    op.drop_table("events")
