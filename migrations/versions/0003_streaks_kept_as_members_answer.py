"""streaks kept as members answer

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21

Streaks were computed from every daily round at read time; at community scale (years of rounds in
thousands of channels) that made `stats` and the leaderboards slow. The new `streaks` table holds each
member's latest run and best run per channel and is kept up to date when they answer. The upgrade
fills it from the history with one statement (the rule of `ProgressRepository`: a channel's rounds
that were posted count, newest first; an answered round extends the run, any other breaks it).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Runs of consecutive answered rounds ("gaps and islands"): a round's position among its channel's
# counted rounds, minus the answer's rank among the member's answers there, is constant along a run.
BACKFILL = """
WITH counted AS (
    SELECT id, platform, workspace, channel, number,
           ROW_NUMBER() OVER (PARTITION BY platform, workspace, channel ORDER BY number DESC) AS pos
    FROM rounds
    WHERE kind = 'daily' AND state IN ('posting', 'open', 'revealing', 'revealed')
),
answered AS (
    SELECT a."user" AS member, c.platform, c.workspace, c.channel, c.number, c.pos,
           c.pos - ROW_NUMBER() OVER (
               PARTITION BY c.platform, c.workspace, c.channel, a."user" ORDER BY c.pos
           ) AS island
    FROM answers a JOIN counted c ON c.id = a.round_id
),
runs AS (
    SELECT member, platform, workspace, channel, COUNT(*) AS length, MIN(pos) AS top, MAX(number) AS last_number
    FROM answered
    GROUP BY member, platform, workspace, channel, island
),
ranked AS (
    SELECT member, platform, workspace, channel, length, last_number,
           MAX(length) OVER (PARTITION BY member, platform, workspace, channel) AS best,
           ROW_NUMBER() OVER (PARTITION BY member, platform, workspace, channel ORDER BY top) AS recency
    FROM runs
)
INSERT INTO streaks (platform, workspace, "user", channel, current_run, best_run, last_number)
SELECT platform, workspace, member, channel, length, best, last_number FROM ranked WHERE recency = 1
"""


def upgrade() -> None:
    op.create_table(
        "streaks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("current_run", sa.Integer(), nullable=False),
        sa.Column("best_run", sa.Integer(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("workspace", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_streaks")),
        sa.UniqueConstraint(
            "platform", "workspace", "user", "channel", name=op.f("uq_streaks_platform_workspace_user_channel")
        ),
    )
    op.execute(BACKFILL)


def downgrade() -> None:
    op.drop_table("streaks")
