"""Slack: no installer kept (personal data a bot-only install never needs), and room for
encrypted tokens (they are encrypted at the next start, with FEDBOT_SECRET_KEY).

Revision ID: 0005_slack_secrets
Revises: 0002_slack
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_slack_secrets"
down_revision = "0002_slack"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("UPDATE slack_installations SET installer_user_id = NULL")
    if op.get_bind().dialect.name != "sqlite":  # SQLite does not enforce lengths
        for column in ("bot_token", "bot_refresh_token"):
            op.alter_column("slack_installations", column, type_=sa.String(2000))


def downgrade() -> None:
    pass  # the wider columns and the forgotten installers stay
