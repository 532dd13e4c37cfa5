"""A category's extra questions as an admin writes them, and an Open311 key's own limit: pure
rules (:mod:`api.domain.questions`)."""

from __future__ import annotations

from api.domain.questions import Problem, in_language, key_limit_ok, normalised, problems

OPEN311_STYLE = {
    "code": "menutup_jalan",
    "description": "Apakah pohon menutup jalan?",
    "datatype": "singlevaluelist",
    "required": True,
    "values": [{"key": "ya", "name": "Ya"}],
}


def test_an_open311_style_question_has_the_same_words_in_both_languages() -> None:
    [q] = normalised([OPEN311_STYLE])
    assert q == {
        "code": "menutup_jalan",
        "datatype": "singlevaluelist",
        "required": True,
        "description_id": "Apakah pohon menutup jalan?",
        "description_en": "Apakah pohon menutup jalan?",
        "values": [{"key": "ya", "name_id": "Ya", "name_en": "Ya"}],
    }
    assert problems([q]) == []


def test_answers_are_kept_for_choice_questions_only() -> None:
    [q] = normalised([{**OPEN311_STYLE, "datatype": "number"}])
    assert q["values"] == []


def test_each_fault_is_named_by_its_place() -> None:
    asked = normalised(
        [
            {"code": "a", "description": "x", "datatype": "multivaluelist"},
            {"code": "a", "description": "x", "values": [{"key": "k"}]},
            {
                "code": "B c",
                "description_id": "x",
                "datatype": "singlevaluelist",
                "values": [{"key": "k", "name": "K"}, {"key": "k", "name_id": "y" * 201}],
            },
        ]
    )
    assert problems(asked) == [
        Problem("attributes[0].values", "question_values_required"),
        Problem("attributes[1].code", "question_code_taken"),
        Problem("attributes[2].code", "question_code_invalid"),
        Problem("attributes[2].description_en", "question_text_required"),
        Problem("attributes[2].values[1].key", "question_value_taken"),
        Problem("attributes[2].values[1].name_id", "question_text_too_long"),
        Problem("attributes[2].values[1].name_en", "question_text_required"),
    ]
    assert problems(normalised([OPEN311_STYLE] * 31)) == [
        Problem("attributes", "question_too_many")
    ]


def test_open311_answers_in_the_callers_language_and_reads_old_questions() -> None:
    q = normalised([OPEN311_STYLE])[0] | {"description_en": "Blocks the road?"}
    q["values"][0]["name_en"] = "Yes"
    [en] = in_language([q], "en")
    assert en["description"] == "Blocks the road?" and en["values"] == [
        {"key": "ya", "name": "Yes"}
    ]
    [old] = in_language([OPEN311_STYLE], "en")
    assert old["description"] == "Apakah pohon menutup jalan?" and old["values"][0]["name"] == "Ya"


def test_a_keys_own_limit_is_the_default_or_one_to_a_hundred_thousand() -> None:
    assert key_limit_ok(None) and key_limit_ok(1) and key_limit_ok(100_000)
    assert not key_limit_ok(0) and not key_limit_ok(-1) and not key_limit_ok(100_001)
