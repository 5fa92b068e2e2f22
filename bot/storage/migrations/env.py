"""Alembic environment: always run with the connection handed over by `Database.migrate`."""

from __future__ import annotations

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, render_as_batch=True, transactional_ddl=True)
context.run_migrations()
