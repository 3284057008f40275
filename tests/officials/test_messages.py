"""The console's message catalogue: every word it shows exists in each of its languages."""

from __future__ import annotations

import json
import re

from bus.officials.api import RESOLUTIONS, STATIC, STATUS

CATALOGUE = json.loads((STATIC / "messages.json").read_text(encoding="utf-8"))
SCRIPTS = "\n".join(path.read_text(encoding="utf-8") for path in STATIC.glob("*.js"))
PAGE = (STATIC / "console.html").read_text(encoding="utf-8")


def test_english_and_estonian_have_the_same_keys_and_the_same_placeholders() -> None:
    assert set(CATALOGUE) == {"en", "et"}
    assert set(CATALOGUE["en"]) == set(CATALOGUE["et"])
    for key, english in CATALOGUE["en"].items():
        placeholders = set(re.findall(r"\{(\w+)\}", english))
        assert placeholders == set(re.findall(r"\{(\w+)\}", CATALOGUE["et"][key])), key


def test_every_key_the_page_and_its_scripts_name_is_in_the_catalogue() -> None:
    named = set(re.findall(r'data-i18n(?:-aria-label)?="([^"]+)"', PAGE))
    named |= set(re.findall(r'\bt\("([^"$]+)"', SCRIPTS))
    named |= set(re.findall(r'plural\("([^"]+)"', SCRIPTS))
    missing = {key for key in named if key not in CATALOGUE["en"]}
    missing -= {key for key in named if f"{key}.other" in CATALOGUE["en"]}
    assert named and not missing


def test_every_outcome_refusal_and_presence_has_plain_words() -> None:
    words = CATALOGUE["en"]
    assert all(f"resolution.{r}" in words for r in RESOLUTIONS)
    assert all(f"error.{reason}" in words for reason in STATUS)
    assert all(f"presence.{p}" in words for p in ("online", "idle", "offline"))
    roles = ("END_USER", "BOT", "BACKOFFICE_USER", "UNKNOWN")
    assert all(f"role.{role}" in words for role in roles)
    reasons = ("OFFICIALS", "ORGANIZATION", "HOLIDAY", "OTHER")
    assert all(f"waiting.{reason}" in words for reason in reasons)
