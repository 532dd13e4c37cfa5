"""What the admin console's tests check about words: every text the screen shows is in the
language chosen (no Indonesian on an English screen, no English on an Indonesian one), no raw
code or catalogue key is shown, and a form's error stands beside the field it concerns.

The expected words come from the catalogues themselves: the PWA's (`pwa/src/lib/i18n.ts` and the
console's own `pwa/src/admin/words.ts`, read from the source) and the API's (`api.i18n`).
"""

from __future__ import annotations

import json
import re
from typing import Any

from playwright.async_api import Page, expect

from api.domain.audit import ACTIONS, ENTITIES
from api.domain.vocabulary import ROLES, STATUSES
from api.i18n import CATALOG
from api.i18n import t as api_t
from tests.e2e.conftest import ROOT

LANGS = ("id", "en")
_ENTRY = re.compile(r'^\s+"([a-z0-9_.]+)":\s*"((?:[^"\\]|\\.)*)",?$', re.M)


def _pwa_catalogue() -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {"id": {}, "en": {}}
    for path in ("pwa/src/lib/i18n.ts", "pwa/src/admin/words.ts"):
        src = (ROOT / path).read_text(encoding="utf-8")
        cut = src.index("\nconst en")
        for lang, part in (("id", src[:cut]), ("en", src[cut:])):
            for key, value in _ENTRY.findall(part):
                out[lang][key] = json.loads(f'"{value}"')
    assert out["id"].keys() == out["en"].keys() and len(out["id"]) > 500
    return out


WORDS = _pwa_catalogue()


def word(key: str, lang: str, /, **params: Any) -> str:
    """The PWA's text for ``key`` in ``lang``, its ``{name}`` parameters filled."""
    return re.sub(r"\{(\w+)\}", lambda m: str(params.get(m[1], m[0])), WORDS[lang][key])


def said(code: str, lang: str, /, **params: Any) -> str:
    """The API's message ``code`` in ``lang``."""
    return api_t(code, lang, **params)


def _static(texts: list[str]) -> set[str]:
    return {x for x in texts if "{" not in x and len(x) > 2}


def _foreign() -> dict[str, set[str]]:
    """Per language, the whole texts only the other language says (a leak if shown)."""
    by_lang = {
        lang: _static(list(WORDS[lang].values()) + [e[lang] for e in CATALOG.values()])
        for lang in LANGS
    }
    return {"id": by_lang["en"] - by_lang["id"], "en": by_lang["id"] - by_lang["en"]}


FOREIGN = _foreign()
# Words one language's sentences are made of and the other's never are: a text holding one is
# a sentence of the wrong language, catalogued or not (a string typed into a component).
GLUE = {
    "en": re.compile(
        r"\b(dan|yang|tidak|belum|sudah|untuk|dengan|atau|ini|dari|oleh|ke|di)\b", re.I
    ),
    "id": re.compile(r"\b(the|and|of|is|are|not|with|for|this|that|to|from|has|been)\b", re.I),
}
KEYS = set(WORDS["id"])
# Codes a person must never read: roles, statuses, kinds of record, audit actions, kinds.
CODES = {
    *ROLES,
    *STATUSES,
    *ENTITIES,
    *ACTIONS,
    "opd",
    "partner",
    "kecamatan",
    "kelurahan",
}

# Every text the page shows (text nodes of rendered elements, a select's options, labels given
# as attributes), maps' own tiles and attribution aside.
_SHOWN = """() => {
  const out = new Set();
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walk.nextNode(); n; n = walk.nextNode()) {
    const text = n.textContent.trim();
    const el = n.parentElement;
    if (!text || !el || el.closest('script, style, .leaflet-container')) continue;
    if ((el.closest('select') ?? el).checkVisibility()) out.add(text);
  }
  for (const el of document.querySelectorAll('[aria-label], [placeholder], [title]')) {
    if (!el.checkVisibility() || el.closest('.leaflet-container')) continue;
    for (const a of ['aria-label', 'placeholder', 'title']) {
      const v = el.getAttribute(a);
      if (v) out.add(v.trim());
    }
  }
  out.add(document.title);
  return [...out];
}"""


async def speaks(page: Page, lang: str, screen: str, found: dict[str, Any], data: set[str]) -> None:
    """Collect under ``screen`` any shown text of the other language, raw catalogue key or raw
    code; ``data`` are values people typed (usernames) that may look like codes."""
    shown = await page.evaluate(_SHOWN)
    wrong = {
        "other language": sorted(
            x for x in shown if x in FOREIGN[lang] or (GLUE[lang].search(x) and x not in data)
        ),
        "raw key": sorted(x for x in shown if x in KEYS),
        "raw code": sorted(x for x in shown if x in CODES and x not in data),
    }
    wrong = {k: v for k, v in wrong.items() if v}
    if wrong:
        found[f"{screen} {lang}"] = wrong


# A code-like token (`already_exists`, `sla_accept_min`) or a decoder's own words.
_RAW = re.compile(r"\b[a-z]+_[a-z0-9_]+\b|Expected `|\bnull\b")


async def field_error(page: Page, form: str, name: str, expected: str) -> None:
    """The form's one error stands beside field ``name`` (in the same field box, tied to the
    input by `aria-describedby`, the input marked invalid) and says exactly ``expected``."""
    field = page.locator(f"#{form}-{name}")
    err_id = f"{form}-{name}-error"
    beside = page.locator(".checked-field").filter(has=field).get_by_test_id(err_id)
    await expect(beside).to_be_visible()
    await expect(beside).to_have_text(expected)
    await expect(field).to_have_attribute("aria-invalid", "true")
    await expect(field).to_have_attribute("aria-describedby", err_id)
    # No other field of the form claims it, and nothing is said for the form as a whole.
    await expect(page.get_by_test_id(form).locator(".field-error")).to_have_count(1)
    assert not _RAW.search(expected), expected
