"""The shared SQLAlchemy MetaData; each repository module declares its tables on it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, DateTime, ForeignKey, Integer, MetaData, TypeDecorator

# Stable constraint names make migrations identical on SQLite and PostgreSQL.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on every engine (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def member_ref(name: str = "member_id", *, keep_row: bool = False, **kw: Any) -> Column[int]:
    """A column pointing at `members.id`. By default erasing the member (GDPR) erases the row;
    `keep_row=True` keeps the row and forgets who it was (SET NULL, nullable)."""
    kw.setdefault("nullable", keep_row)
    ondelete = "SET NULL" if keep_row else "CASCADE"
    return Column(name, Integer, ForeignKey("members.id", ondelete=ondelete), **kw)
