"""One word per concept: the vocabulary's labels exist once per language, for every value, and the
PWA's catalogue says the same words as the API's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from api.domain.audit import ENTITIES
from api.domain.stats import UNCLASSIFIED
from api.domain.vocabulary import CALL_CLASSES, CHANNELS, PRIORITIES, ROLES, STATUSES
from api.i18n import CATALOG, LABELS, LANGUAGES, label, t

VOCABULARY: dict[str, tuple[str, ...]] = {
    "status": STATUSES,
    "role": ROLES,
    "priority": PRIORITIES,
    "call_class": (*CALL_CLASSES, UNCLASSIFIED),
    "channel": CHANNELS,
    "record": ENTITIES,
}
PWA_CATALOGUE = Path(__file__).parents[2] / "pwa" / "src" / "lib" / "i18n.ts"
# The PWA's keys for the same words: "status.new", "role.admin", ... ("dash.class.*" is the
# dashboard's name for the call classes).
PWA_PREFIXES = {
    "status": ("status.",),
    "role": ("role.",),
    "priority": ("priority.",),
    "call_class": ("call_class.", "dash.class."),
}


@pytest.mark.parametrize("kind", sorted(VOCABULARY))
def test_every_vocabulary_value_has_one_label_per_language(kind: str) -> None:
    assert set(LABELS[kind]) == set(VOCABULARY[kind])
    for value in VOCABULARY[kind]:
        for lang in LANGUAGES:
            assert label(kind, value, lang), (kind, value, lang)
            # The same word under the message code `<kind>_<value>`.
            assert t(f"{kind}_{value}", lang) == label(kind, value, lang)


def test_a_message_shows_a_status_by_its_label_never_its_code() -> None:
    assert "On scene" in t("transition_not_allowed", "en", current="on_scene")
    assert "Di lokasi" in t("transition_not_allowed", "id", current="on_scene")
    assert "on_scene" not in t("transition_not_allowed", "id", current="on_scene")


def test_a_message_names_a_kind_of_record_in_words() -> None:
    assert t("already_exists", "id", what="user") == "Pengguna dengan kode/nama itu sudah ada."
    assert t("already_exists", "en", what="routing_rule").startswith("Routing rule with")
    assert "open311_key" not in t("in_use", "en", what="open311_key")


def test_every_message_code_is_defined_once() -> None:
    labels = {f"{kind}_{value}" for kind, words in LABELS.items() for value in words}
    assert labels <= set(CATALOG)
    assert all(set(entry) == set(LANGUAGES) for entry in CATALOG.values())


def _pwa_tables() -> dict[str, dict[str, str]]:
    """The PWA's two tables, key -> text, for the one-line entries."""
    source = PWA_CATALOGUE.read_text(encoding="utf-8")
    id_part, en_part = source.split("const en: Catalog = {", 1)
    entry = re.compile(r'^\s*"([^"]+)":\s*"((?:[^"\\]|\\.)*)",?\s*$', re.M)
    return {lang: dict(entry.findall(part)) for lang, part in (("id", id_part), ("en", en_part))}


@pytest.mark.parametrize("kind", sorted(PWA_PREFIXES))
def test_the_pwa_says_the_same_words_as_the_api(kind: str) -> None:
    tables = _pwa_tables()
    for lang in LANGUAGES:
        for prefix in PWA_PREFIXES[kind]:
            found = {
                key.removeprefix(prefix): text
                for key, text in tables[lang].items()
                if key.startswith(prefix) and key.removeprefix(prefix) in LABELS[kind]
            }
            assert found, (kind, prefix, lang)
            for value, text in found.items():
                assert text == label(kind, value, lang), (prefix + value, lang)
