"""The message catalogue (Bahasa Indonesia by default, English) and language negotiation.

Every user-visible string of the API goes through :func:`t`; a stable ``code`` names each one.
The texts are data, not code:

- ``messages/<area>.toml``: one table per message, its code as the table name, with its ``id``
  and ``en`` text (``{name}`` fills a parameter). Add a message next to its relatives.
- ``labels.toml``: the words for the vocabulary of :mod:`api.domain.vocabulary` (statuses, roles,
  priorities, call classes, channels), keyed by the values. :func:`label` reads them; each is also
  a message code ``<kind>_<value>`` (``call_class_ghost``), and a message shows one with a format
  spec naming the kind: ``{current:status}`` turns ``on_scene`` into "Di lokasi".
"""

from __future__ import annotations

import string
import tomllib
from importlib import resources
from typing import Any

LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"

Entry = dict[str, str]  # {"id": ..., "en": ...}

_FILES = resources.files(__name__)


def _read(path: Any) -> dict[str, Any]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


#: kind -> vocabulary value -> {"id": ..., "en": ...}
LABELS: dict[str, dict[str, Entry]] = _read(_FILES / "labels.toml")


def _catalog() -> dict[str, Entry]:
    catalog: dict[str, Entry] = {
        f"{kind}_{value}": entry for kind, words in LABELS.items() for value, entry in words.items()
    }
    for path in sorted(_FILES.joinpath("messages").iterdir(), key=lambda p: p.name):
        if not path.name.endswith(".toml"):
            continue
        for code, entry in _read(path).items():
            if code in catalog:  # one text per code: a second one would silently win
                raise ValueError(f"message {code!r} is defined twice ({path.name})")
            catalog[code] = entry
    return catalog


CATALOG: dict[str, Entry] = _catalog()


def negotiate(accept_language: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    """Pick ``id`` or ``en`` from an Accept-Language header, honouring q-values."""
    if not accept_language:
        return default
    best, best_q = default, -1.0
    for i, part in enumerate(accept_language.split(",")):
        pieces = part.strip().split(";")
        tag = pieces[0].strip().lower().split("-")[0]
        q = 1.0
        for p in pieces[1:]:
            p = p.strip()
            if p.startswith("q="):
                try:
                    q = float(p[2:])
                except ValueError:
                    q = 0.0
        if q <= 0:  # q=0 means "not acceptable"
            continue
        # Earlier tags win ties, as browsers list them in preference order.
        q -= i * 1e-6
        if tag in LANGUAGES and q > best_q:
            best, best_q = tag, q
    return best


def label(kind: str, value: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """The word for a vocabulary value (``label("status", "on_scene", "en")`` is "On scene");
    the value itself when the vocabulary has no such value."""
    entry = LABELS.get(kind, {}).get(value)
    if entry is None:
        return value
    return entry.get(lang) or entry[DEFAULT_LANGUAGE]


class _Formatter(string.Formatter):
    """``str.format`` that also knows ``{param:<kind>}``: the label of a vocabulary value."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def format_field(self, value: Any, format_spec: str) -> Any:
        if format_spec in LABELS:
            return label(format_spec, str(value), self.lang)
        return super().format_field(value, format_spec)


def t(code: str, lang: str = DEFAULT_LANGUAGE, **params: object) -> str:
    entry = CATALOG.get(code)
    if entry is None:
        return code
    text = entry.get(lang) or entry[DEFAULT_LANGUAGE]
    try:
        return _Formatter(lang).format(text, **params)
    except (KeyError, IndexError, ValueError):
        return text
