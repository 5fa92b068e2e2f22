"""Slack: bot installations per workspace (OAuth) and single-use OAuth states.

Revision ID: 0002_slack
Revises: 0001_core
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.schema import UTCDateTime

revision = "0002_slack"
down_revision = "0001_core"
branch_labels = ("slack",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "slack_installations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("workspace_key", sa.String(64), nullable=False, unique=True),
        sa.Column("enterprise_id", sa.String(32)),
        sa.Column("enterprise_name", sa.String(200)),
        sa.Column("team_id", sa.String(32)),
        sa.Column("team_name", sa.String(200)),
        sa.Column("app_id", sa.String(32)),
        sa.Column("bot_token", sa.String(255), nullable=False),
        sa.Column("bot_id", sa.String(32), nullable=False, server_default=""),
        sa.Column("bot_user_id", sa.String(32), nullable=False, server_default=""),
        sa.Column("bot_scopes", sa.String(1000), nullable=False, server_default=""),
        sa.Column("bot_refresh_token", sa.String(255)),
        sa.Column("bot_token_expires_at", UTCDateTime()),
        sa.Column("installer_user_id", sa.String(32)),
        sa.Column("is_enterprise_install", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("installed_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "slack_oauth_states",
        sa.Column("state", sa.String(64), primary_key=True),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("slack_oauth_states")
    op.drop_table("slack_installations")
