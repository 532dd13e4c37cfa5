"""A category's extra questions (Open311 attributes) as an admin writes them, and an Open311
key's own request limit: the checks, and the one-language shape Open311 answers. No I/O here.

A question is stored as ``{code, datatype, required, description_id, description_en, values:
[{key, name_id, name_en}]}``, in the order asked. An Open311-style question with one
``description`` (and values with one ``name``) is taken as the same words in both languages.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")
LIST_TYPES = frozenset({"singlevaluelist", "multivaluelist"})
CODE = re.compile(r"^[a-z0-9_]{1,48}$")
MAX_QUESTIONS = 30
MAX_VALUES = 50
MAX_TEXT = 200

#: An Open311 key's own limit: service requests within the report window.
KEY_LIMIT_MIN = 1
KEY_LIMIT_MAX = 100_000


def key_limit_ok(limit: int | None) -> bool:
    """None (the city default) or a number of requests from 1 to :data:`KEY_LIMIT_MAX`."""
    return limit is None or KEY_LIMIT_MIN <= limit <= KEY_LIMIT_MAX


@dataclass(frozen=True, slots=True)
class Problem:
    """What is wrong (a message code) and where: ``attributes[2].values[0].key``."""

    field: str
    code: str


def _text(d: Mapping[str, Any], name: str, fallback: str) -> str:
    return str(d.get(name) or d.get(fallback) or "").strip()


def normalised(questions: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The questions in their stored shape: words trimmed, one-language words taken for both
    languages, and values kept only for the list types."""
    out = []
    for q in questions:
        datatype = str(q.get("datatype") or "string")
        values = (q.get("values") or []) if datatype in LIST_TYPES else []
        out.append(
            {
                "code": str(q.get("code") or "").strip(),
                "datatype": datatype,
                "required": bool(q.get("required")),
                "description_id": _text(q, "description_id", "description"),
                "description_en": _text(q, "description_en", "description"),
                "values": [
                    {
                        "key": str(v.get("key") or "").strip(),
                        "name_id": _text(v, "name_id", "name"),
                        "name_en": _text(v, "name_en", "name"),
                    }
                    for v in values
                ],
            }
        )
    return out


def _words(where: str, d: Mapping[str, Any], names: tuple[str, str]) -> list[Problem]:
    out = []
    for name in names:
        if not d[name]:
            out.append(Problem(f"{where}.{name}", "question_text_required"))
        elif len(d[name]) > MAX_TEXT:
            out.append(Problem(f"{where}.{name}", "question_text_too_long"))
    return out


def _code(field: str, code: str, seen: set[str], taken: str) -> list[Problem]:
    """A code's fault (``taken`` when one before it has it), noting it as seen."""
    fault = None if CODE.match(code) else "question_code_invalid"
    if fault is None and code in seen:
        fault = taken
    seen.add(code)
    return [Problem(field, fault)] if fault else []


def problems(questions: Sequence[Mapping[str, Any]]) -> list[Problem]:
    """Everything wrong with ``questions`` (in their stored shape, see :func:`normalised`):
    a code of lowercase letters, digits and underscores, once per category; Open311's
    datatypes; words in both languages; and for a list, values with unique keys and names."""
    if len(questions) > MAX_QUESTIONS:
        return [Problem("attributes", "question_too_many")]
    out: list[Problem] = []
    codes: set[str] = set()
    for i, q in enumerate(questions):
        at = f"attributes[{i}]"
        out += _code(f"{at}.code", q["code"], codes, "question_code_taken")
        if q["datatype"] not in DATATYPES:
            out.append(Problem(f"{at}.datatype", "question_datatype_invalid"))
        out += _words(at, q, ("description_id", "description_en"))
        if q["datatype"] in LIST_TYPES and not q["values"]:
            out.append(Problem(f"{at}.values", "question_values_required"))
        if len(q["values"]) > MAX_VALUES:
            out.append(Problem(f"{at}.values", "question_too_many_values"))
        keys: set[str] = set()
        for j, v in enumerate(q["values"]):
            vat = f"{at}.values[{j}]"
            out += _code(f"{vat}.key", v["key"], keys, "question_value_taken")
            out += _words(vat, v, ("name_id", "name_en"))
    return out


def in_language(questions: Sequence[Mapping[str, Any]], lang: str) -> list[dict[str, Any]]:
    """The questions as Open311 describes them: one ``description`` and one ``name`` per
    value, in ``lang`` (stored one-language words as they are)."""
    suffix = "_en" if lang == "en" else "_id"
    return [
        {
            **q,
            "description": _text(q, "description" + suffix, "description"),
            "values": [
                {"key": str(v.get("key", "")), "name": _text(v, "name" + suffix, "name")}
                for v in q.get("values") or []
            ],
        }
        for q in questions
    ]
