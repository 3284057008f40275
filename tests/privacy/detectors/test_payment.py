"""IBANs and card numbers: every way of grouping them, look-alikes left alone."""

from __future__ import annotations

import pytest

from bus.privacy import Kind, find


def found(text: str) -> list[tuple[Kind, str, str]]:
    return [(f.kind, f.value, f.canonical) for f in find(text)]


@pytest.mark.parametrize(
    "written",
    [
        "EE382200221020145685",
        "EE38 2200 2210 2014 5685",
        "EE38-2200-2210-2014-5685",
        "EE38.2200.2210.2014.5685",
        "ee38 2200 2210 2014 5685",
        "EE38\u00a02200\u00a02210\u00a02014\u00a05685",
        "EE 38 2200 2210 2014 5685",
    ],
)
def test_an_iban_is_found_however_it_is_grouped(written: str) -> None:
    text = f"Kandke raha kontole {written}, aitäh!"
    assert found(text) == [(Kind.IBAN, written, "EE382200221020145685")]


@pytest.mark.parametrize(
    "iban",
    [
        "LV80 BANK 0000 4351 9500 1",
        "LT12 1000 0111 0100 1000",
        "FI21 1234 5600 0007 85",
        "DE89 3704 0044 0532 0130 00",
        "GB82 WEST 1234 5698 7654 32",
    ],
)
def test_ibans_of_other_countries_are_found(iban: str) -> None:
    [(kind, value, canonical)] = found(f"IBAN: {iban}.")
    assert (kind, value, canonical) == (Kind.IBAN, iban, iban.replace(" ", ""))


def test_an_iban_ends_where_it_is_valid_even_if_the_next_word_touches_it() -> None:
    text = "EE38 2200 2210 2014 5685 ja LT12 1000 0111 0100 1000 on mõlemad minu"
    assert [f.value for f in find(text)] == ["EE38 2200 2210 2014 5685", "LT12 1000 0111 0100 1000"]
    assert [f.value for f in find("EE382200221020145685EUR")] == ["EE382200221020145685"]


@pytest.mark.parametrize(
    "text",
    [
        "EE38 2200 2210 2014 5686",  # mod 97 fails
        "EE38 2200 2210 2014 568",  # too short for Estonia
        "RR123456785EE",  # a parcel's tracking number
        "XX38 2200 2210 2014 5685",  # no such country
    ],
)
def test_iban_look_alikes_stay(text: str) -> None:
    assert found(text) == []


@pytest.mark.parametrize(
    ("written", "digits"),
    [
        ("4111 1111 1111 1111", "4111111111111111"),
        ("4111-1111-1111-1111", "4111111111111111"),
        ("4111111111111111", "4111111111111111"),
        ("5555 5555 5555 4444", "5555555555554444"),
        ("2223 0031 2200 3222", "2223003122003222"),
        ("3782 822463 10005", "378282246310005"),
        ("6011 1111 1111 1117", "6011111111111117"),
    ],
)
def test_a_card_number_is_found_in_its_printed_groups_or_in_one_piece(
    written: str, digits: str
) -> None:
    assert found(f"Kaart {written}, kehtib 12/27") == [(Kind.CARD, written, digits)]


def test_a_card_number_followed_by_more_digits_is_still_found() -> None:
    assert found("kaart 4111 1111 1111 1111 123") == [
        (Kind.CARD, "4111 1111 1111 1111", "4111111111111111")
    ]
    # the 19 digits pass Luhn too, but a 16-digit card and an amount is likelier
    assert found("kaardilt 5580 2853 4993 7965 880,77 € maha") == [
        (Kind.CARD, "5580 2853 4993 7965", "5580285349937965")
    ]
    assert found("19 digits: 4000 0000 0000 0000 006")[0][2] == "4000000000000000006"


@pytest.mark.parametrize(
    "text",
    [
        "4111 1111 1111 1112",  # Luhn fails
        "1111 1111 1111 1117",  # no network starts with 1
        "41 1111 1111 1111 11",  # not as cards are grouped
        "2200 2210 2014 568",  # passes Luhn, but no card prints 15 digits in fours
        "31.12.2023-15.01.2024",
        "tellimus nr 4111111111111111",
        "order #4111 1111 1111 1111",
    ],
)
def test_card_look_alikes_stay(text: str) -> None:
    assert found(text) == []


def test_an_ibans_digits_are_no_card_even_when_they_pass_luhn() -> None:
    [finding] = find("EE38 2200 2210 2014 5685")
    assert finding.kind == Kind.IBAN
    assert find("EE12 4111 1111 1111 1111") == ()  # a mistyped IBAN
    assert find("konto DE85 5801 3542 5380 1964 19") == ()
    assert [f.kind for f in find("EE12 ja 4111 1111 1111 1111")] == [Kind.CARD]
