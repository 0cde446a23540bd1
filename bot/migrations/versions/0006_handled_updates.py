"""Handled webhook updates: each Telegram update is answered once, whichever replica gets it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "handled_updates",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("handled_hour", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("update_id", name=op.f("pk_handled_updates")),
    )
    op.create_index("ix_handled_updates_handled_hour", "handled_updates", ["handled_hour"])


def downgrade() -> None:
    op.drop_index("ix_handled_updates_handled_hour", table_name="handled_updates")
    op.drop_table("handled_updates")
