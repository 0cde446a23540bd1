"""Messages answered as a crisis or emergency, so no replica answers an edit of one again.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "answered_messages",
        sa.Column("pseudonym", sa.String(length=64), nullable=False),
        sa.Column("message_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("urgency", sa.SmallInteger(), nullable=False),
        sa.Column("answered_hour", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("pseudonym", "message_id", name=op.f("pk_answered_messages")),
    )
    op.create_index("ix_answered_messages_answered_hour", "answered_messages", ["answered_hour"])


def downgrade() -> None:
    op.drop_index("ix_answered_messages_answered_hour", table_name="answered_messages")
    op.drop_table("answered_messages")
