"""E-mail addresses and phone numbers, local Estonian forms and foreign ones."""

from __future__ import annotations

import pytest

from bus.privacy import Kind, find


def found(text: str) -> list[tuple[Kind, str, str]]:
    return [(f.kind, f.value, f.canonical) for f in find(text)]


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("mari@example.ee", "mari@example.ee"),
        ("Mari.Maasikas@Mail.EE", "mari.maasikas@mail.ee"),
        ("jaan_tamm+eesti@student.ut.ee", "jaan_tamm+eesti@student.ut.ee"),
        ("ivan-petrov92@post.example.co.uk", "ivan-petrov92@post.example.co.uk"),
        ("38001085718@eesti.ee", "38001085718@eesti.ee"),
        ("иван@почта.рф", "иван@почта.рф"),
    ],
)
def test_an_email_address_is_found_whole_and_lower_cased(written: str, canonical: str) -> None:
    assert found(f"Kirjutage mulle ({written}).") == [(Kind.EMAIL, written, canonical)]


@pytest.mark.parametrize("text", ["mari@localhost", "@mari", "mari@", "a@b.c", "hinnad @ 5.99"])
def test_email_look_alikes_stay(text: str) -> None:
    assert found(text) == []


@pytest.mark.parametrize(
    ("written", "e164"),
    [
        ("+372 5123 4567", "+37251234567"),
        ("+37251234567", "+37251234567"),
        ("+372-5123-4567", "+37251234567"),
        ("(+372) 5123 4567", "+37251234567"),
        ("00372 5123 4567", "+37251234567"),
        ("372 5123 4567", "+37251234567"),
        ("5123 4567", "+37251234567"),
        ("51234567", "+37251234567"),
        ("5123-4567", "+37251234567"),
        ("5123.4567", "+37251234567"),
        ("512 3456", "+3725123456"),
        ("612 3456", "+3726123456"),
        ("+371 2123 4567", "+37121234567"),
        ("+370 612 34567", "+37061234567"),
        ("+358 40 123 4567", "+358401234567"),
        ("+7 912 345-67-89", "+79123456789"),
        ("+44 20 7946 0958", "+442079460958"),
    ],
)
def test_a_phone_number_is_found_in_local_and_international_forms(written: str, e164: str) -> None:
    assert found(f"Helistage {written}, palun") == [(Kind.PHONE, written, e164)]


@pytest.mark.parametrize(
    "text",
    [
        "Kuupäev 12.03.2024 kell 14:30",
        "2024-03-12",
        "summa 1 250 000 €",
        "postiindeks 10115",
        "asja nr 7.2-1/24/1234",
        "kohtuasi 2-21-12345",
        "tellimus nr 7345123",
        "order #51234567",
        "заказ № 6123456",
        "arve 71234567",
        "+372 123",
        "Makse summa 62598.18 EUR",
        "avatud E-R 9.00-17.00",
        "registrikood 70000349",
        "номер ссылки 7714962",
        "Taotluse nr 6123456 on menetluses",
        "lepingu nr 5123456",
        "customer number 51234567",
        "номер заявления 6123456",
        "Pakiautomaadi kood 4821733",
        "Kinnituskood 6123456",
        "Tellimuse arve 7123456",
        "Arve 2024/5123456",
        "Регистрационный код работодателя 82064604",
        "Счёт № 82848952 на 241,01 €",
        "Dokument nr 3-22-6263",
        "kood ABC5123456",
    ],
)
def test_phone_look_alikes_stay(text: str) -> None:
    assert found(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "Kliendi telefon 5123 4567",
        "Телефон клиента 5123 4567",
        "tel. kliendi 5123 4567",
        "Telefon 5123 4567, lepingu nr 7123456",
        "klienditeenindus 5123 4567",
        "customer service 5123 4567",
        "Call your case worker 5123 4567",
        "Menetlusosakond 5123 4567",
    ],
)
def test_a_phone_after_a_possessive_or_a_compound_of_a_label_is_found(text: str) -> None:
    assert found(text) == [(Kind.PHONE, "5123 4567", "+37251234567")]


def test_brackets_around_a_number_are_not_part_of_it() -> None:
    assert [f.value for f in find("Mari (+372 5123 4567) ja Jaan (5234 5678)")] == [
        "+372 5123 4567",
        "5234 5678",
    ]
    assert [f.value for f in find("(+372) 5123 4567")] == ["(+372) 5123 4567"]
    assert [f.value for f in find("John (+7 (924) 704-17-16)")] == ["+7 (924) 704-17-16"]


def test_two_numbers_with_a_slash_between_are_two_phones() -> None:
    assert [f.value for f in find("tel 5123 4567/5234 5678")] == ["5123 4567", "5234 5678"]


def test_a_phone_number_right_after_a_personal_code_is_found() -> None:
    text = "Tere, 35409239304 6 452 308 dmitri@ut.ee"
    assert [f.kind for f in find(text)] == [Kind.ISIKUKOOD, Kind.PHONE, Kind.EMAIL]


def test_a_label_does_not_hide_a_number_written_with_its_country_code() -> None:
    assert [f.kind for f in find("tellimus +372 5123 4567")] == [Kind.PHONE]
