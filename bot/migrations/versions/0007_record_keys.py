"""Record and child keys on events, for the statistics' cell-key perturbation.

Existing events get a random record key (the database's random(): the keys only have to be
unknown outside the database) and the child key of their pseudonym.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.record_keys import KEY_RANGE, child_key

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_BATCH = 5_000


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("record_key", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("child_key", sa.Integer(), nullable=True))
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        random_key = f"floor(random() * {KEY_RANGE})::integer"
    else:  # SQLite: random() is a signed 64-bit integer; keep its low 31 bits
        random_key = f"(random() & {KEY_RANGE - 1})"
    connection.execute(sa.text(f"UPDATE events SET record_key = {random_key}"))
    pseudonyms = connection.execute(sa.text("SELECT DISTINCT pseudonym FROM events")).scalars()
    update = sa.text("UPDATE events SET child_key = :key WHERE pseudonym = :pseudonym")
    batch_rows: list[dict[str, object]] = []
    for pseudonym in pseudonyms.all():
        batch_rows.append({"key": child_key(pseudonym), "pseudonym": pseudonym})
        if len(batch_rows) >= _BATCH:
            connection.execute(update, batch_rows)
            batch_rows = []
    if batch_rows:
        connection.execute(update, batch_rows)
    with op.batch_alter_table("events") as batch:
        batch.alter_column("record_key", existing_type=sa.Integer(), nullable=False)
        batch.alter_column("child_key", existing_type=sa.Integer(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.drop_column("child_key")
        batch.drop_column("record_key")
