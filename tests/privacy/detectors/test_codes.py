"""Personal codes: found where date and check digit hold, in the forms people write them."""

from __future__ import annotations

import pytest

from bus.privacy import Kind, find


def found(text: str) -> list[tuple[Kind, str, str]]:
    return [(f.kind, f.value, f.canonical) for f in find(text)]


@pytest.mark.parametrize(
    "text",
    [
        "38001085718",
        "Minu isikukood on 38001085718.",
        "IK:38001085718",
        "(isikukood 38001085718)",
        "Мой личный код 38001085718, проверьте пожалуйста",
        "code=38001085718&x",
    ],
)
def test_an_estonian_personal_code_is_found_in_any_setting(text: str) -> None:
    assert found(text) == [(Kind.ISIKUKOOD, "38001085718", "38001085718")]


@pytest.mark.parametrize("code", ["36805280109", "49403136526", "50001029996", "60001017716"])
def test_codes_of_both_sexes_and_centuries_are_found(code: str) -> None:
    assert found(f"kood {code}") == [(Kind.ISIKUKOOD, code, code)]


def test_a_lithuanian_asmens_kodas_has_the_same_form_and_is_found_as_one() -> None:
    assert found("asmens kodas 33309240064") == [(Kind.ISIKUKOOD, "33309240064", "33309240064")]


@pytest.mark.parametrize(
    "text",
    [
        "38001085719",  # wrong check digit
        "38013325718",  # month 13
        "98001085718",  # no such century digit
        "18001085716",  # valid for stdnum, but born in 1800
        "65001010006",  # valid for stdnum, but born in 2050
        "viitenumber 38001085718",
        "Reference number 38001085718",
        "номер ссылки 38001085718",
        "tellimus nr 38001085718",
        "380010857180",  # twelve digits
        "tellimus 3800108571",  # ten digits
        "0038001085718",
    ],
)
def test_eleven_digit_look_alikes_stay(text: str) -> None:
    assert found(text) == []


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("personas kods 161175-19997", "16117519997"),
        ("personas kods 16117519997", "16117519997"),
        ("jaunais kods 328673-00679", "32867300679"),
    ],
)
def test_latvian_personal_codes_are_found_with_or_without_the_dash(
    text: str, canonical: str
) -> None:
    [(kind, _, found_canonical)] = found(text)
    assert (kind, found_canonical) == (Kind.PERSONAS_KODS, canonical)


@pytest.mark.parametrize(
    "text",
    [
        "161175-19998",
        "321175-19998",
        "451175-19997",
        "161175-199970",
        "010190-51233",  # valid for stdnum, century digit 5: born in 2390
        "010190-31232",  # born in 2190
        "reference 16117519997",
    ],
)
def test_latvian_look_alikes_stay(text: str) -> None:
    assert found(text) == []


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("henkilötunnus 131052-308T", "131052-308T"),
        ("hetu 131052-308t.", "131052-308T"),
        ("010594Y9032 on väliaikainen", "010594Y9032"),
    ],
)
def test_finnish_codes_are_found_with_any_century_sign(text: str, canonical: str) -> None:
    [(kind, _, found_canonical)] = found(text)
    assert (kind, found_canonical) == (Kind.HETU, canonical)


@pytest.mark.parametrize("text", ["131052-308U", "311352-308T", "131052-308T-2"])
def test_finnish_look_alikes_stay(text: str) -> None:
    assert found(text) == []
