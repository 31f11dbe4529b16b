"""totals kept as points are awarded

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21

The all-time leaderboard summed every point entry of a workspace at read time; with years of history
that read grows without bound. The new `totals` table holds each member's points and answers per
workspace and is added to by every award. The upgrade fills it from `points` with one statement.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BACKFILL = """
INSERT INTO totals (platform, workspace, "user", points, answers)
SELECT platform, workspace, "user", SUM(amount), SUM(CASE WHEN reason = 'answer' THEN 1 ELSE 0 END)
FROM points
GROUP BY platform, workspace, "user"
"""


def upgrade() -> None:
    op.create_table(
        "totals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user", sa.String(length=64), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("answers", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("workspace", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_totals")),
        sa.UniqueConstraint("platform", "workspace", "user", name=op.f("uq_totals_platform_workspace_user")),
    )
    with op.batch_alter_table("totals", schema=None) as batch_op:
        batch_op.create_index("ix_totals_board", ["platform", "workspace", "points", "user", "answers"], unique=False)
    op.execute(BACKFILL)


def downgrade() -> None:
    with op.batch_alter_table("totals", schema=None) as batch_op:
        batch_op.drop_index("ix_totals_board")
    op.drop_table("totals")
