"""An open crisis lasts a time, not a number of replies: until when, for which intent, how urgent.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("profiles") as batch:
        batch.add_column(sa.Column("crisis_until", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("crisis_intent", sa.String(length=32), nullable=True))
        batch.add_column(
            sa.Column("crisis_emergency", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.drop_column("crisis_replies_left")
        batch.drop_column("checkin_pending")


def downgrade() -> None:
    with op.batch_alter_table("profiles") as batch:
        batch.add_column(
            sa.Column("checkin_pending", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(
            sa.Column("crisis_replies_left", sa.SmallInteger(), nullable=False, server_default="0")
        )
        batch.drop_column("crisis_emergency")
        batch.drop_column("crisis_intent")
        batch.drop_column("crisis_until")
