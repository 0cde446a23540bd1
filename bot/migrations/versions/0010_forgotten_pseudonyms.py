"""Children who used /forget in the last hour, so that no process writes their queued events.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "forgotten_pseudonyms",
        sa.Column("pseudonym", sa.String(length=64), nullable=False),
        sa.Column("forgotten_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("pseudonym", name=op.f("pk_forgotten_pseudonyms")),
    )
    op.create_index(
        "ix_forgotten_pseudonyms_forgotten_at", "forgotten_pseudonyms", ["forgotten_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_forgotten_pseudonyms_forgotten_at", table_name="forgotten_pseudonyms")
    op.drop_table("forgotten_pseudonyms")
