"""Statements compiled once for asyncpg (api/db/direct.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import bindparam, text
from sqlalchemy.types import Enum

from api.db.direct import Statement


def test_parameters_are_numbered_once_in_the_order_the_compiler_chose() -> None:
    s = Statement(text("SELECT :a, :b WHERE :a > 0"))
    assert s.sql == "SELECT $1, $2 WHERE $1 > 0"
    assert s.names == ("a", "b")
    assert s.args({"b": "two", "a": 1, "unused": None}) == [1, "two"]


def test_a_parameter_sqlalchemy_would_convert_is_refused() -> None:
    clause = text("SELECT :kind").bindparams(bindparam("kind", type_=Enum("a", "b", name="k")))
    with pytest.raises(TypeError, match="conversion"):
        Statement(clause)
