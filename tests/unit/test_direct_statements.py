"""Statements compiled once for asyncpg (api/db/direct.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import (
    Boolean,
    Column,
    Float,
    Integer,
    MetaData,
    Table,
    bindparam,
    insert,
    literal,
    select,
    text,
)
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


def test_a_constant_of_the_clause_is_bound_with_its_own_value_and_a_parameter_must_be_given() -> (
    None
):
    clause = select(literal(1e6, Float) * bindparam("x", type_=Float)).where(
        bindparam("x", type_=Float) > 0
    )
    s = Statement(clause)
    assert s.args({"x": 2.0}) == [1e6, 2.0, 0]
    with pytest.raises(KeyError):
        s.args({})  # a parameter nobody gave is a mistake, never a silent NULL


def test_an_in_list_is_refused_for_one_written_with_any() -> None:
    table = Table("t", MetaData(), Column("a", Integer))
    with pytest.raises(TypeError, match="expanding"):
        Statement(select(table.c.a).where(table.c.a.in_([1, 2])))
