"""Answers read from rows: a use case's result struct filled from a row's attributes."""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec

S = TypeVar("S", bound=msgspec.Struct)


def result(cls: type[S], obj: object, **fields: Any) -> S:
    """The answer ``cls`` read from a row's attributes (ORM object or named row), with
    ``fields`` given explicitly (computed ones, or names the row spells differently)."""
    if fields:
        taken = {f: getattr(obj, f) for f in cls.__struct_fields__ if f not in fields}
        return cls(**taken, **fields)
    return msgspec.convert(obj, cls, from_attributes=True)
