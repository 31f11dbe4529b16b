"""on-demand rounds carry a token

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21

An on-demand question can now be shown before its round is written: the core gives the round a random
token, the question's buttons carry it, and the round is stored with it once the answer is out. Rounds
from before (and every daily round) have no token; their buttons carry the round's id, as before. The
index holds only rounds with a token, so adding it to years of history reads the table once and writes
almost nothing.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HAS_TOKEN = sa.text("token IS NOT NULL")


def upgrade() -> None:
    op.add_column("rounds", sa.Column("token", sa.String(length=24), nullable=True))
    op.create_index(
        "uq_rounds_token", "rounds", ["token"], unique=True, sqlite_where=HAS_TOKEN, postgresql_where=HAS_TOKEN
    )


def downgrade() -> None:
    op.drop_index("uq_rounds_token", table_name="rounds")
    with op.batch_alter_table("rounds", schema=None) as batch_op:
        batch_op.drop_column("token")
