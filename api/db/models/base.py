"""The declarative base every model shares, with its constraint naming convention, and the small
column helpers the aggregates use."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, MappedColumn, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING)


class BilingualName:
    """A display name in Indonesian and in English (agencies, categories)."""

    name_id: Mapped[str] = mapped_column(sa.String(200))
    name_en: Mapped[str] = mapped_column(sa.String(200))


def created_now() -> MappedColumn[datetime]:
    """A ``timestamptz`` the database sets to the time of the insert."""
    return mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())


def moment(*, nullable: bool = False) -> MappedColumn[Any]:
    """A ``timestamptz``; nullable for a moment that may not have happened yet."""
    return mapped_column(sa.DateTime(timezone=True), nullable=nullable)


def foreign_key(target: str, ondelete: str, *, nullable: bool = False) -> MappedColumn[Any]:
    """A reference to ``target`` (``"table.column"``) and what a delete there does to it."""
    return mapped_column(sa.ForeignKey(target, ondelete=ondelete), nullable=nullable)


def trigram_index(name: str, column: str) -> sa.Index:
    """A GIN trigram index: pg_trgm folds case itself, so it serves ``ILIKE '%..%'`` and
    ``similarity()`` alike."""
    return sa.Index(name, column, postgresql_using="gin", postgresql_ops={column: "gin_trgm_ops"})


def one_of(column: str, values: Iterable[str]) -> str:
    """A check constraint's ``column IN ('a', 'b')``, from one of the vocabulary's lists."""
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"
