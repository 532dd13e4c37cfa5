"""Statements compiled once for asyncpg (api/db/direct.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import Boolean, Column, Integer, MetaData, Table, bindparam, insert, text
from sqlalchemy.dialects.postgresql import JSONB

from api.db.direct import Statement


def test_parameters_are_numbered_once_in_the_order_the_compiler_chose() -> None:
    s = Statement(text("SELECT :a, :b WHERE :a > 0"))
    assert s.sql == "SELECT $1, $2 WHERE $1 > 0"
    assert s.names == ("a", "b")
    assert s.args({"b": "two", "a": 1, "unused": None}) == [1, "two"]


def test_parameters_are_converted_as_sqlalchemy_converts_them() -> None:
    clause = text("SELECT :data, :flag, :n").bindparams(
        bindparam("data", type_=JSONB), bindparam("flag", type_=Boolean)
    )
    s = Statement(clause)
    # Serialised as through the engine (a JSON None is the JSON null); the rest as given.
    assert s.args({"data": {"a": [1]}, "flag": True, "n": 3}) == ['{"a": [1]}', True, 3]
    assert s.args({"data": None, "flag": None, "n": None}) == ["null", None, None]
    with pytest.raises(TypeError):
        s.args({"data": {}, "flag": "yes", "n": 1})  # the boolean converter checks


def test_a_column_default_sqlalchemy_would_compute_is_refused() -> None:
    table = Table("t", MetaData(), Column("a", Integer), Column("b", Boolean, default=False))
    with pytest.raises(TypeError, match="defaults"):
        Statement(insert(table).values(a=bindparam("a")))
