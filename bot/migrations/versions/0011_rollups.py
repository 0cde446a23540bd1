"""Rollups: the statistics read aggregates instead of the event log (issue #13).

Creates ``rollup_days`` (the additive figures per day × locale × country × intent),
``rollup_periods`` (the same per week and month for every grouping of the three),
``rollup_children`` (distinct children per week and month for every grouping, as links that add
up over any range of whole periods), ``rollup_horizon`` (how far the purge has sealed them) and
an index on ``events.child_key`` (the writers read a child's earlier events by it), then counts
the events already held into the rollups (``bot.storage.rollups.rebuild``; about 25 s per
million events). ``safebot rollups rebuild`` counts them again at any time.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.rollups import rebuild

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def _count(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger(), nullable=False, server_default=sa.text("0"))


_DAY_MEASURES = (
    "messages",
    "escalations",
    "crisis_net",
    "text_messages",
    "clarified",
    "fallbacks",
    "feedback",
    "helpful",
)


def upgrade() -> None:
    op.create_index("ix_events_child_key", "events", ["child_key"])
    op.create_table(
        "rollup_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("country", sa.String(length=3), nullable=False),
        sa.Column("intent", sa.String(length=32), nullable=False),
        *(_count(name) for name in _DAY_MEASURES),
        *(_count(f"{name}_keys") for name in _DAY_MEASURES),
        sa.PrimaryKeyConstraint("day", "locale", "country", "intent", name=op.f("pk_rollup_days")),
    )
    op.create_table(
        "rollup_periods",
        sa.Column("period", sa.String(length=5), nullable=False),
        sa.Column("grouping", sa.SmallInteger(), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("country", sa.String(length=3), nullable=False),
        sa.Column("intent", sa.String(length=32), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        *(_count(name) for name in _DAY_MEASURES),
        *(_count(f"{name}_keys") for name in _DAY_MEASURES),
        sa.PrimaryKeyConstraint(
            "period",
            "grouping",
            "locale",
            "country",
            "intent",
            "start",
            name=op.f("pk_rollup_periods"),
        ),
    )
    op.create_table(
        "rollup_children",
        sa.Column("period", sa.String(length=5), nullable=False),
        sa.Column("grouping", sa.SmallInteger(), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("country", sa.String(length=3), nullable=False),
        sa.Column("intent", sa.String(length=32), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("previous", sa.Date(), nullable=False),
        _count("users"),
        _count("users_keys"),
        _count("feedback_users"),
        _count("feedback_users_keys"),
        sa.PrimaryKeyConstraint(
            "period",
            "grouping",
            "locale",
            "country",
            "intent",
            "start",
            "previous",
            name=op.f("pk_rollup_children"),
        ),
    )
    op.create_table(
        "rollup_horizon",
        sa.Column("id", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("cutoff", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rollup_horizon")),
    )
    rebuild(op.get_bind())


def downgrade() -> None:
    op.drop_table("rollup_horizon")
    op.drop_table("rollup_children")
    op.drop_table("rollup_periods")
    op.drop_table("rollup_days")
    op.drop_index("ix_events_child_key", table_name="events")
