"""The house's size and shape rules (docs/architecture.md), checked on the source files.

A module past 600 lines or a component past 300 is doing several jobs; a query row read by
position (``row[3]``) breaks silently when a column is added. Each failure names every offender.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
API = ROOT / "api"
PWA_SRC = ROOT / "pwa" / "src"
MIGRATIONS = API / "db" / "migrations"

MAX_MODULE_LINES = 600
MAX_COMPONENT_LINES = 300

# A result row read by position: ``row[3]``, ``r[0]``, ``rows[-1][0]``, ``.one()[0]``.
POSITIONAL_ROW = re.compile(
    r"\b(?:row|r|rec|record)\[-?\d+\]"
    r"|\brows\[-?\d+\]\[\d+\]"
    r"|\.(?:one|first|one_or_none|fetchone)\(\)\[\d+\]"
)


def _api_modules() -> list[Path]:
    return sorted(p for p in API.rglob("*.py") if MIGRATIONS not in p.parents)


def _line_count(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def _too_long(paths: list[Path], limit: int) -> list[str]:
    return [f"{p.relative_to(ROOT)}: {n} lines" for p in paths if (n := _line_count(p)) > limit]


def test_the_rules_see_the_source_tree() -> None:
    # A wrong path would make every rule below pass on nothing.
    assert len(_api_modules()) > 50
    assert len(list(PWA_SRC.rglob("*.tsx"))) > 10


def test_no_python_module_in_api_is_over_600_lines() -> None:
    too_long = _too_long(_api_modules(), MAX_MODULE_LINES)
    assert not too_long, "split these modules:\n" + "\n".join(too_long)


def test_no_tsx_component_in_the_pwa_is_over_300_lines() -> None:
    too_long = _too_long(sorted(PWA_SRC.rglob("*.tsx")), MAX_COMPONENT_LINES)
    assert not too_long, "split these components:\n" + "\n".join(too_long)


def test_api_reads_no_query_row_by_position() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in _api_modules()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if POSITIONAL_ROW.search(line.split("#", 1)[0])
    ]
    assert not found, "read these rows by name:\n" + "\n".join(found)


def test_the_positional_row_rule_tells_rows_from_other_indexing() -> None:
    for caught in ("c = row[0]", "x = r[10]", "last = rows[-1][0]", "n = res.one()[0]"):
        assert POSITIONAL_ROW.search(caught), caught
    for allowed in ("parts[0]", "row.case", "rows[0]", "arrow[1]", "error[0]", "failures[0]"):
        assert not POSITIONAL_ROW.search(allowed), allowed
