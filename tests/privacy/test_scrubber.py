"""Scrubbing: placeholders or the audit log's pseudonyms, stable; text without identifiers kept."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import SecretStr

from bus.audit.pseudonym import Pseudonymizer
from bus.privacy import Kind, Scrubber
from bus.settings import Settings

KEY = b"a pseudonym key of 32 bytes, ok."
TEXT = (
    "Tere! Isikukood 38001085718, tel +372 5123 4567, e-post Mari.Maasikas@mail.ee, "
    "konto EE38 2200 2210 2014 5685, kaart 4111 1111 1111 1111."
)


def test_placeholders_name_the_kind_and_the_result_says_what_was_where() -> None:
    scrubbed = Scrubber().scrub(TEXT)
    assert scrubbed.text == (
        "Tere! Isikukood <isikukood>, tel <phone>, e-post <email>, konto <iban>, kaart <card>."
    )
    assert [(f.kind, f.value) for f in scrubbed.findings] == [
        (Kind.ISIKUKOOD, "38001085718"),
        (Kind.PHONE, "+372 5123 4567"),
        (Kind.EMAIL, "Mari.Maasikas@mail.ee"),
        (Kind.IBAN, "EE38 2200 2210 2014 5685"),
        (Kind.CARD, "4111 1111 1111 1111"),
    ]
    assert all(TEXT[f.start : f.end] == f.value for f in scrubbed.findings)
    assert scrubbed.counts() == dict.fromkeys(
        [Kind.ISIKUKOOD, Kind.PHONE, Kind.EMAIL, Kind.IBAN, Kind.CARD], 1
    )


def test_pseudonyms_are_the_audit_logs_for_the_canonical_value() -> None:
    audit = Pseudonymizer(KEY)
    scrubbed = Scrubber(Pseudonymizer(KEY)).scrub(TEXT)
    assert scrubbed.text == (
        f"Tere! Isikukood <isikukood:{audit.pseudonym('38001085718')}>, "
        f"tel <phone:{audit.pseudonym('+37251234567')}>, "
        f"e-post <email:{audit.pseudonym('mari.maasikas@mail.ee')}>, "
        f"konto <iban:{audit.pseudonym('EE382200221020145685')}>, "
        f"kaart <card:{audit.pseudonym('4111111111111111')}>."
    )
    token = Scrubber(audit).token(scrubbed.findings[0])
    assert re.fullmatch(r"<isikukood:hmac:[0-9a-f]{32}>", token)


def test_every_spelling_of_one_identifier_gets_one_pseudonym_in_every_call() -> None:
    scrubber = Scrubber(Pseudonymizer(KEY))
    phones = ["+372 5123 4567", "5123 4567", "00372-5123-4567", "51234567", "(+372) 5123.4567"]
    ibans = ["EE382200221020145685", "ee38 2200 2210 2014 5685", "EE38-2200-2210-2014-5685"]
    for spellings in (phones, ibans):
        tokens = {scrubber.scrub(f"nr {written}").text for written in spellings}
        tokens |= {Scrubber(Pseudonymizer(KEY)).scrub(f"nr {spellings[0]}").text}
        assert len(tokens) == 1, tokens
    other = Scrubber(Pseudonymizer(b"another key, also of 32 bytes..."))
    assert other.scrub("nr 51234567").text != scrubber.scrub("nr 51234567").text


def test_from_settings_uses_the_audit_logs_key(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, audit_pseudonym_key=SecretStr(KEY.hex()))
    expected = Pseudonymizer(KEY).pseudonym("38001085718")
    assert Scrubber.from_settings(settings).scrub("38001085718").text == f"<isikukood:{expected}>"


def test_text_without_identifiers_comes_back_as_the_same_string() -> None:
    for text in ["", "Tere, kuidas saan passi taotleda?", "Tellimus nr 7345123 tuleb 12.03.2024."]:
        scrubbed = Scrubber(Pseudonymizer(KEY)).scrub(text)
        assert scrubbed.text is text
        assert scrubbed.findings == ()
        assert not scrubbed.counts()


def test_only_the_kinds_asked_for_are_replaced() -> None:
    scrubbed = Scrubber(kinds={Kind.ISIKUKOOD, Kind.IBAN}).scrub(TEXT)
    assert "<isikukood>" in scrubbed.text
    assert "<iban>" in scrubbed.text
    assert "+372 5123 4567" in scrubbed.text
    assert "4111 1111 1111 1111" in scrubbed.text
    assert {f.kind for f in scrubbed.findings} == {Kind.ISIKUKOOD, Kind.IBAN}


def test_the_result_does_not_show_the_identifiers_in_repr() -> None:
    scrubbed = Scrubber().scrub(TEXT)
    assert "38001085718" not in repr(scrubbed.findings)
