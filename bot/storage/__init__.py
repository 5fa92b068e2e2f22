"""Storage: one async SQLAlchemy Core engine (SQLite by default, PostgreSQL by URL), Alembic
migrations, and one repository module per aggregate returning frozen dataclasses."""
