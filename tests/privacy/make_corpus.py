"""Writes ``corpus.jsonl``: citizens' chat messages with the identifiers in them labelled.

Run ``.venv/bin/python tests/privacy/make_corpus.py``; the same code always
writes the same file (``test_score.py`` checks that it is up to date).

Messages are templates in Estonian, English and Russian with slots. A slot
named after a kind (``{ik}``, ``{phone}``, ``{iban}``, ...) is filled with a
freshly drawn identifier, written in one of the forms people type it, and
labelled; the other slots (``{order}``, ``{date}``, ``{bad_ik}``, ...) are
look-alikes and must stay. ``[[kind:value]]`` labels a hand-written value.

What is true is decided here, not by the scrubber: an identifier is labelled
because python-stdnum (check digits) or libphonenumber (numbering plans)
accepts it; a look-alike with a check digit (a mistyped personal code, IBAN
or card) is drawn again in the rare case it is valid after all, since no
scrubber could tell it from the real thing. Numbers without a check digit
(order, case, reference and registry numbers, amounts, postal codes) are left
as drawn, phone-like or not.
"""

# ruff: noqa: RUF001 (the Russian messages have one-letter Cyrillic words that look Latin)

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from random import Random

import phonenumbers
from stdnum import iban, luhn
from stdnum.ee import ik, kmkr, registrikood
from stdnum.fi import hetu
from stdnum.lv import pvn

SEED = 16
RENDERS = 3
CORPUS = Path(__file__).with_name("corpus.jsonl")

Slot = Callable[[Random], tuple[str, str | None]]


def _digits(r: Random, count: int) -> str:
    return "".join(r.choice("0123456789") for _ in range(count))


def _birth(r: Random) -> date:
    return date(1930, 1, 1) + timedelta(days=r.randrange(33_500))


def _isikukood_digits(r: Random) -> str:
    born = _birth(r)
    first = ("3", "4") if born.year < 2000 else ("5", "6")
    base = f"{r.choice(first)}{born:%y%m%d}{_digits(r, 3)}"
    return base + ik.calc_check_digit(base + "0")


def _checked_anywhere(number: str) -> bool:
    """Whether a number is valid as any identifier with a check digit."""
    return (
        ik.is_valid(number)
        or (number[:1] in "0123" and pvn.is_valid(number))
        or (13 <= len(number) <= 19 and luhn.is_valid(number))
    )


def isikukood(r: Random) -> tuple[str, str | None]:
    return _isikukood_digits(r), "isikukood"


def bad_isikukood(r: Random) -> tuple[str, str | None]:
    while True:
        code = _isikukood_digits(r)
        wrong = code[:-1] + str((int(code[-1]) + r.randint(1, 9)) % 10)
        if not _checked_anywhere(wrong):
            return wrong, None


def personas_kods(r: Random) -> tuple[str, str | None]:
    while True:
        if r.random() < 0.25:
            base = "32" + _digits(r, 8)
        else:
            born = _birth(r)
            base = f"{born:%d%m%y}{(born.year - 1800) // 100}{_digits(r, 3)}"
        code = base + pvn.calc_check_digit_pers(base)
        if pvn.is_valid(code) and not ik.is_valid(code):
            return (code if r.random() < 0.3 else f"{code[:6]}-{code[6:]}"), "personas_kods"


def bad_personas_kods(r: Random) -> tuple[str, str | None]:
    code = personas_kods(r)[0].replace("-", "")
    wrong = code[:-1] + str((int(code[-1]) + r.randint(1, 9)) % 10)
    if _checked_anywhere(wrong):
        return bad_personas_kods(r)
    return f"{wrong[:6]}-{wrong[6:]}", None


def finnish_hetu(r: Random) -> tuple[str, str | None]:
    born = _birth(r)
    sign = r.choice("-Y" if born.year < 2000 else "AB")
    base = f"{born:%d%m%y}{sign}{r.randint(2, 899):03}"
    for check in "0123456789ABCDEFHJKLMNPRSTUVWXY":
        if hetu.is_valid(base + check):
            return base + check, "hetu"
    raise AssertionError(base)


_FIRST = ["mari", "jaan", "kati", "toomas", "liis", "andres", "anna", "ivan", "olga", "sergei"]
_FIRST += ["natalja", "john", "emily", "peeter", "kristiina", "dmitri", "tatjana", "mart"]
_LAST = ["maasikas", "tamm", "saar", "sepp", "kask", "ivanov", "petrova", "smirnov", "smith"]
_LAST += ["kuznetsova", "mets", "ilves", "rebane", "brown", "pold", "lepik", "volkov"]
_DOMAINS = ["gmail.com", "mail.ee", "hot.ee", "online.ee", "outlook.com", "yandex.ru", "mail.ru"]
_DOMAINS += ["student.ut.ee", "taltech.ee", "tlu.ee", "mail.tartu.ee", "post.example.co.uk"]
_DOMAINS += ["eesti.ee", "icloud.com", "inbox.lv", "firma-nimi.ee", "list.ru", "ut.ee"]


def email(r: Random) -> tuple[str, str | None]:
    first, last = r.choice(_FIRST), r.choice(_LAST)
    local = r.choice(
        [
            f"{first}.{last}",
            f"{first}{last}",
            f"{first[0]}.{last}",
            f"{first}_{last}",
            f"{first}-{last}{r.randint(1, 99)}",
            f"{first}.{last}+{r.choice(['riik', 'gov', 'test'])}",
            f"{last}{r.randint(1950, 2005)}",
        ]
    )
    domain = r.choice(_DOMAINS)
    if r.random() < 0.15:
        local, domain = local.title(), domain.capitalize()
    return f"{local}@{domain}", "email"


def _checked_phone(number: str) -> str:
    """Numbers are drawn from ranges libphonenumber takes whole, so a new release of its
    metadata does not change the corpus; if a range is given up, this says so."""
    if not phonenumbers.is_valid_number(phonenumbers.parse(number, "EE")):
        raise AssertionError(f"{number} is no longer a valid number: draw from another range")
    return number


_ESTONIAN = [("5", 7), ("5", 7), ("5", 7), ("83", 6), ("84", 6), ("6", 6), ("7", 6), ("52", 5)]
"""Mobile (5, 83, 84; 52 of seven digits) and landline (6, 7) ranges."""


def phone(r: Random) -> tuple[str, str | None]:
    """An Estonian number, local or with the country code, in the ways people write it."""
    prefix, rest = r.choice(_ESTONIAN)
    if prefix == "7":
        prefix += r.choice("123456789")
        rest -= 1
    n = _checked_phone(prefix + _digits(r, rest))
    if len(n) == 8:
        a, b = n[:4], n[4:]
        forms = [f"+372 {a} {b}", f"+372{n}", f"+372-{a}-{b}", f"(+372) {a} {b}", f"00372 {n}"]
        forms += [f"{a} {b}", n, n, f"{a}-{b}", f"{a}.{b}", f"372 {a} {b}"]
        forms += [f"{n[:3]} {n[3:5]} {n[5:]}", f"{a} {b[:2]} {b[2:]}"]
        forms += [f"+372 {a} {b[:2]} {b[2:]}", f"+372 {n[:2]} {n[2:5]} {n[5:]}"]
    else:
        a, b = n[:3], n[3:]
        forms = [f"+372 {a} {b}", f"{a} {b}", n, f"{a}-{b}", f"+372{n}", f"{n[0]} {n[1:4]} {n[4:]}"]
    return r.choice(forms), "phone"


_FOREIGN = [
    ("+371 29{0} {1}", (2, 4)),
    ("+370 6{0} {1}", (2, 5)),
    ("+358 40 {0} {1}", (3, 4)),
    ("+358 50{0}{1}", (3, 4)),
    ("+7 92{0} {1}-{2}-{3}", (1, 3, 2, 2)),  # 91x and 92x are whole ranges, 930 is not
    ("+7 (91{0}) {1}-{2}-{3}", (1, 3, 2, 2)),
    ("+44 75{0} {1}", (2, 6)),
    ("+49 151 {0}", (8,)),
    ("+380 67 {0} {1} {2}", (3, 2, 2)),
    ("00358 45 {0} {1}", (3, 4)),
]


def foreign_phone(r: Random) -> tuple[str, str | None]:
    form, sizes = r.choice(_FOREIGN)
    return _checked_phone(form.format(*(_digits(r, size) for size in sizes))), "phone"


def _iban_digits(r: Random) -> str:
    while True:
        country, bban = r.choice(
            [
                ("EE", lambda: r.choice(["22", "10", "17", "77", "96"]) + _digits(r, 14)),
                ("EE", lambda: r.choice(["22", "10", "77"]) + _digits(r, 14)),
                ("LV", lambda: r.choice(["HABA", "UNLA", "RIKO", "PARX"]) + _digits(r, 13)),
                ("LT", lambda: r.choice(["73000", "70440", "40100"]) + _digits(r, 11)),
                ("FI", lambda: _digits(r, 14)),
                ("DE", lambda: _digits(r, 18)),
            ]
        )
        body = bban()
        number = country + iban.calc_check_digits(country + "00" + body) + body
        if iban.is_valid(number):
            return number


def _iban_written(r: Random, number: str) -> str:
    grouped = iban.format(number)
    dashed = grouped.replace(" ", "-")
    return r.choice([grouped, grouped, grouped, number, number, grouped.lower(), dashed])


def iban_(r: Random) -> tuple[str, str | None]:
    return _iban_written(r, _iban_digits(r)), "iban"


def bad_iban(r: Random) -> tuple[str, str | None]:
    number = _iban_digits(r)
    wrong = f"{number[:2]}{(int(number[2:4]) + r.randint(1, 90)) % 97 + 2:02}{number[4:]}"
    if iban.is_valid(wrong):
        return bad_iban(r)
    return _iban_written(r, wrong), None


def _card_digits(r: Random) -> str:
    """A card number; a 19-digit one whose first 16 digits pass Luhn too is drawn again,
    as it reads as well as a 16-digit card and three more digits."""
    prefix, length = r.choice(
        [
            *[("4", 16), ("4", 16), ("51", 16), ("53", 16), ("55", 16), ("2221", 16)],
            *[("2720", 16), ("34", 15), ("37", 15), ("6011", 16), ("4", 19)],
        ]
    )
    base = prefix + _digits(r, length - len(prefix) - 1)
    digits = base + luhn.calc_check_digit(base)
    return _card_digits(r) if length == 19 and luhn.is_valid(digits[:16]) else digits


def _card_written(r: Random, digits: str) -> str:
    if len(digits) == 15:
        grouped = f"{digits[:4]} {digits[4:10]} {digits[10:]}"
    else:
        grouped = " ".join(digits[i : i + 4] for i in range(0, len(digits), 4))
    return r.choice([grouped, grouped, grouped, digits, grouped.replace(" ", "-")])


def card(r: Random) -> tuple[str, str | None]:
    return _card_written(r, _card_digits(r)), "card"


def bad_card(r: Random) -> tuple[str, str | None]:
    digits = _card_digits(r)
    wrong = digits[:-1] + str((int(digits[-1]) + r.randint(1, 9)) % 10)
    return _card_written(r, wrong), None


def _look(make: Callable[[Random], str]) -> Slot:
    return lambda r: (make(r), None)


def _reference(r: Random) -> str:
    base = str(r.randint(10, 10 ** r.randint(3, 10)))
    weights = [7, 3, 1]
    total = sum(int(d) * weights[i % 3] for i, d in enumerate(reversed(base)))
    return base + str((10 - total % 10) % 10)


def _registry_code(r: Random) -> str:
    while True:
        base = r.choice("1178") + _digits(r, 6)
        code = base + registrikood.calc_check_digit(base + "0")
        if registrikood.is_valid(code):
            return code


def _kmkr(r: Random) -> str:
    while True:
        code = "EE10" + _digits(r, 7)
        if kmkr.is_valid(code):
            return code


def _case11(r: Random) -> str:
    while True:
        number = f"2{r.randint(19, 25)}{r.choice('3678')}{_digits(r, 7)}"
        if not _checked_anywhere(number):
            return number


def _amount(r: Random, lang: str) -> str:
    whole = r.choice([r.randint(5, 999), r.randint(1000, 99_999)])
    cents = f"{r.randint(0, 99):02}"
    spaced = f"{whole:,}".replace(",", " ")
    forms = {
        "et": [f"{spaced},{cents} €", f"{whole} eurot", f"{spaced} EUR", f"{whole}€"],
        "en": [f"€{whole:,}.{cents}", f"{whole}.{cents} EUR", f"EUR {whole:,}", f"{whole}€"],
        "ru": [f"{spaced},{cents} €", f"{whole} евро", f"{spaced} руб.", f"{whole}.{cents} EUR"],
    }
    return r.choice(forms[lang])


_MONTHS = {
    "et": ["jaanuaril", "veebruaril", "märtsil", "aprillil", "mail", "juunil", "juulil"],
    "en": ["January", "February", "March", "April", "May", "June", "July", "August"],
    "ru": ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа"],
}


def _date(r: Random, lang: str) -> str:
    day = date(2018, 1, 1) + timedelta(days=r.randrange(3_000))
    month = _MONTHS[lang][day.month % len(_MONTHS[lang])]
    words = {
        "et": f"{day.day}. {month} {day.year}",
        "en": f"{month} {day.day}, {day.year}",
        "ru": f"{day.day} {month} {day.year} г.",
    }
    return r.choice(
        [
            f"{day:%d.%m.%Y}",
            f"{day:%d.%m.%Y}",
            f"{day:%Y-%m-%d}",
            f"{day:%d/%m/%Y}",
            words[lang],
            f"{day:%d.%m.%Y}-{day + timedelta(days=r.randint(1, 60)):%d.%m.%Y}",
            f"{day:%d.%m}",
        ]
    )


def _timestamp(r: Random) -> str:
    day = date(2018, 1, 1) + timedelta(days=r.randrange(3_000))
    hour, minute, second = r.randint(0, 23), r.randint(0, 59), r.randint(0, 59)
    return r.choice(
        [
            f"{day:%Y-%m-%d} {hour:02}:{minute:02}:{second:02}",
            f"{day:%d.%m.%Y} {hour:02}:{minute:02}",
            f"{day:%d.%m.%Y} kell {hour}.{minute:02}",
        ]
    )


WORDED: dict[str, Callable[[Random, str], str]] = {"amount": _amount, "date": _date}
"""Look-alikes written the way the message's language writes them."""

SLOTS: dict[str, Slot] = {
    # identifiers, labelled
    "ik": isikukood,
    "lv": personas_kods,
    "hetu": finnish_hetu,
    "email": email,
    "email_upper": lambda r: (email(r)[0].upper(), "email"),
    "phone": phone,
    "phone_intl": foreign_phone,
    "iban": iban_,
    "card": card,
    # look-alikes
    "bad_ik": bad_isikukood,
    "bad_lv": bad_personas_kods,
    "bad_iban": bad_iban,
    "bad_card": bad_card,
    "order": _look(lambda r: _digits(r, 1).replace("0", "1") + _digits(r, r.randint(5, 9))),
    "order_code": _look(
        lambda r: r.choice(
            [
                f"ORD-{r.randint(2019, 2025)}-{_digits(r, 6)}",
                f"#A{_digits(r, 5)}",
                f"{r.randint(2019, 2025)}/{_digits(r, 5)}",
                f"TLM{_digits(r, 8)}",
            ]
        )
    ),
    "case": _look(
        lambda r: r.choice(
            [
                f"{r.randint(1, 3)}-{r.randint(19, 25)}-{r.randint(1000, 99999)}",
                f"{r.randint(1, 9)}.{r.randint(1, 3)}-1/{r.randint(19, 25)}/{r.randint(1, 9999)}",
                f"{r.randint(1, 9)}-{r.randint(1, 12)}/{r.randint(2019, 2025)}/{r.randint(1, 999)}",
            ]
        )
    ),
    "case11": _look(_case11),
    "ref": _look(_reference),
    "regcode": _look(_registry_code),
    "kmkr": _look(_kmkr),
    "timestamp": _look(_timestamp),
    "time": _look(lambda r: f"{r.randint(8, 20)}:{r.choice(['00', '15', '30', '45'])}"),
    "hours": _look(lambda r: r.choice(["9-17", "9.00-17.00", "10:00-18:00", "8.30–16.30"])),
    "postal": _look(
        lambda r: r.choice(
            [
                f"{r.choice(['10', '11', '13', '51', '20', '80', '41'])}{_digits(r, 3)}",
                f"LV-{r.randint(1001, 5730)}",
                f"LT-{_digits(r, 5)}",
                f"00{_digits(r, 3)}",
            ]
        )
    ),
    "tracking": _look(lambda r: f"{r.choice(['RR', 'CC', 'LV'])}{_digits(r, 9)}EE"),
    "plate": _look(lambda r: f"{_digits(r, 3)} {r.choice(['ABC', 'BKM', 'TLN', 'XZZ'])}"),
    "percent": _look(lambda r: f"{r.randint(1, 30)},{r.randint(0, 9)}%"),
    "small": _look(lambda r: str(r.randint(1, 12))),
    "room": _look(lambda r: str(r.randint(100, 450))),
    "year": _look(lambda r: str(r.randint(1990, 2025))),
    "last4": _look(lambda r: r.choice(["**** ", "...", "xxxx xxxx xxxx "]) + _digits(r, 4)),
}

TEMPLATES: dict[str, list[str]] = {
    "et": [
        # with identifiers
        "Tere! Minu isikukood on {ik}.",
        "Isikukood: {ik}, palun kontrollige mu taotluse seisu.",
        "{ik}",
        "Kas saate vaadata, mis seis on taotlusel, isikukood {ik}?",
        "Mu lapse isikukood on {ik} ja minu oma {ik}.",
        "IK {ik}, tel {phone}",
        "Helistage mulle numbrile {phone}, olen kättesaadav kell {time}.",
        "Minu telefon: {phone}",
        "tel {phone} või {phone}",
        "Mobiil {phone}, e-post {email}",
        "Kirjutage palun aadressile {email}.",
        "Minu e-mail on {email}",
        "Saatke vastus {email} või {email} peale, aitäh",
        "Tagastage raha kontole {iban}.",
        "Arvelduskonto: {iban} (Swedbank)",
        "IBAN {iban}, saaja Mari Maasikas, summa {amount}",
        "Maksin kaardiga {card}, aga raha ei jõudnud kohale.",
        "Kaardi number {card}, kehtiv kuni 12/27",
        "Mul võeti kaardilt {card} {amount} maha, tellimus nr {order}.",
        "Olen Soome kodanik, henkilötunnus {hetu}.",
        "Läti personas kods {lv}, elan Tartus.",
        "Leedu asmens kodas {ik}, kas see sobib?",
        "Lapse isikukood on {ik}, ema tel {phone}.",
        "Palun saatke otsus aadressile {email}, isikukood {ik}.",
        "Välismaa number: {phone_intl}",
        "Elan praegu Soomes, helistage {phone_intl}",
        "Abikaasa e-post on {email} ja telefon {phone_intl}.",
        "Toetus palun kanda kontole {iban}, isikukood {ik}.",
        "{date} maksin {amount} kontole {iban}",
        "{email}",
        "{phone}",
        "Tere, {ik} {phone} {email}",
        "Pass kadus ära. IK {ik}. Helistage {phone} peale tööaega ({hours}).",
        "Postiga ei saa, parem {email}. Postiindeks {postal}.",
        "Arve nr {order} maksin kaardiga {card}.",
        "Isa ({ik}) suri {date}, kuidas pärimisega toimida?",
        "Kontonumber {iban}, viitenumber {ref}",
        "Helistasin {phone}, keegi ei vastanud. Tellimus {order_code}.",
        "Tööandja registrikood {regcode}, minu telefon {phone}",
        "Saatsin kaebuse {date} aadressilt {email}, kohtuasi {case}.",
        "Kontakt: Mari Maasikas ({phone}), <{email}>",
        "tel:{phone}, mailto:{email}",
        "Kliendi telefon {phone}, taotluse nr {order}.",
        "Taotlus nr {order} esitatud, vastus palun {email} või {phone}.",
        "MINU E-POST ON {email_upper}",
        "Elukaaslane on lätlane ({lv}), mina soomlane ({hetu}).",
        "Palun muutke andmeid: henkilötunnus {hetu}, tel {phone_intl}",
        # look-alikes only
        "Tere, kuidas saan passi taotleda?",
        "Tellimus nr {order} pole siiani kohale jõudnud.",
        "Minu tellimuse number on {order_code}.",
        "Kohtuasi {case}, istung {date} kell {time}.",
        "Kriminaalasi nr {case11} - millal saan vastuse?",
        "Sisestasin isikukoodi {bad_ik}, aga süsteem ütleb, et see on vale.",
        "Makse summa {amount}, tähtaeg {date}.",
        "Aadress: Narva mnt 5, {postal} Tallinn",
        "Teenindus on avatud E-R {hours}.",
        "Viitenumber {ref}, summa {amount}",
        "Ettevõtte registrikood {regcode}, KMKR {kmkr}",
        "Pakk {tracking} on juba nädal teel.",
        "Auto numbrimärk {plate}, trahv {amount}.",
        "Kaart lõpeb {last4}, pank blokeeris selle.",
        "Kontonumber oli vist {bad_iban}, aga pank ütleb, et vale.",
        "Proovisin kaarti {bad_card}, ei läinud läbi.",
        "Dokument nr {case} saadeti {date}.",
        "Ruum {room}, korrus {small}.",
        "Toetus tõusis {percent} alates {date}.",
        "Mul on {small} last, kas saan peretoetust?",
        "Arve nr {order} summas {amount}, makstud {date}.",
        "Aastatel {year}-{year} elasin välismaal.",
        "Vastuvõtt {date} kell {time}, kabinet {room}.",
        "Ema sündis {date}, kas pension arvestatakse ümber?",
        "Taotluse nr {order} on menetluses juba kuu aega.",
        "Lepingu nr {order} lõpeb {date}.",
        "Kliendinumber {order}, arve tuli topelt.",
        "Pakiautomaadi kood {order}, aga kapp ei avane.",
        "Kinnituskood {order} ei sobi.",
        "Tehing tehti {timestamp}.",
    ],
    "en": [
        "Hi, my personal code is {ik}.",
        "Personal ID code: {ik}. Could you check my application?",
        "My daughter's ID code is {ik}, mine is {ik}.",
        "You can reach me at {phone} after {time}.",
        "Phone: {phone}",
        "Please call {phone} or {phone_intl}.",
        "My email is {email}, phone {phone}.",
        "Send the decision to {email} please.",
        "Contact: {email} / {phone_intl}",
        "Please refund to IBAN {iban}.",
        "Account number: {iban}, reference {ref}",
        "I paid {amount} by card {card} on {date} but got nothing.",
        "Card number {card}, expiry 11/26",
        "My Finnish personal identity code is {hetu}.",
        "Latvian personal code {lv}, I moved to Estonia in {year}.",
        "Lithuanian personal code {ik}.",
        "ID {ik}, tel {phone}, email {email}",
        "{ik}",
        "{email}",
        "{phone_intl}",
        "I live in Finland now, my number is {phone_intl}.",
        "Wife's email {email}, her number {phone}.",
        "Benefit should go to {iban}, personal code {ik}.",
        "Order #{order} was charged twice to card {card}.",
        "I lost my passport. Personal code {ik}, call me on {phone}.",
        "Bank account {iban} (LHV), invoice {order} for {amount}.",
        "My late father's code was {ik}; he died on {date}.",
        "Email me at {email} - postal code {postal} is wrong in your system.",
        "Employer's registry code {regcode}, my phone {phone}",
        "Case {case}: my lawyer is {email}, phone {phone_intl}.",
        "Hello, Finnish ID {hetu}, Estonian ID {ik}.",
        "Call {phone}, or write to {email}.",
        "Contact person: John Smith ({phone_intl}), <{email}>",
        "Customer's phone {phone}, contract no. {order}.",
        "Application no. {order} submitted; please answer to {email} or {phone}.",
        "Personas kods: {lv}; phone {phone_intl}",
        "HETU {hetu}, email {email}",
        # look-alikes only
        "How do I apply for a passport?",
        "Order number {order_code} has not arrived yet.",
        "Order #{order} was delivered to the wrong address.",
        "Case number {case}, hearing on {date} at {time}.",
        "Criminal case no {case11}: when will I hear back?",
        "I entered {bad_ik} as my ID code but it says invalid.",
        "The payment of {amount} is due on {date}.",
        "Address: 5 Narva Road, {postal} Tallinn",
        "Open Mon-Fri {hours}.",
        "Reference number {ref}, amount {amount}",
        "Company registry code {regcode}, VAT {kmkr}",
        "Parcel {tracking} has been in transit for a week.",
        "Licence plate {plate}, fine {amount}.",
        "My card ending {last4} was blocked.",
        "I think the account was {bad_iban} but the bank says no.",
        "Tried card {bad_card}, it was declined.",
        "Room {room}, floor {small}.",
        "The allowance went up by {percent} from {date}.",
        "I have {small} children, can I get family benefits?",
        "Invoice {order} for {amount}, paid on {date}.",
        "I lived abroad from {year} to {year}.",
        "Appointment {date} at {time}, room {room}.",
        "Latvian code {bad_lv} is rejected, is it mistyped?",
        "My mother was born on {date}; will her pension be recalculated?",
        "Application no. {order} has been pending for a month.",
        "Contract {order} ends on {date}.",
        "Customer number {order}, I was billed twice.",
        "The parcel locker code {order} does not open the door.",
        "Confirmation code {order} is not accepted.",
        "The transaction was made at {timestamp}.",
    ],
    "ru": [
        "Здравствуйте! Мой личный код {ik}.",
        "Личный код: {ik}, проверьте, пожалуйста, мое заявление.",
        "Код ребёнка {ik}, мой {ik}.",
        "Позвоните мне по номеру {phone} после {time}.",
        "Мой телефон: {phone}",
        "Телефон {phone} или {phone_intl}",
        "Моя почта {email}, телефон {phone}.",
        "Пришлите решение на {email}, пожалуйста.",
        "Контакты: {email}, {phone_intl}",
        "Верните деньги на счёт {iban}.",
        "Номер счёта: {iban}, номер ссылки {ref}",
        "Оплатил {amount} картой {card} {date}, но ничего не получил.",
        "Номер карты {card}, срок действия 09/28",
        "Финский личный код {hetu}.",
        "Латвийский персональный код {lv}, живу в Нарве.",
        "Литовский личный код {ik}.",
        "ИК {ik}, тел. {phone}, почта {email}",
        "{ik}",
        "{email}",
        "{phone}",
        "Сейчас живу в России, мой номер {phone_intl}.",
        "Почта жены {email}, её номер {phone}.",
        "Пособие прошу перечислить на {iban}, личный код {ik}.",
        "Заказ № {order} списали дважды с карты {card}.",
        "Потерял паспорт. Личный код {ik}, звоните {phone}.",
        "Счёт {iban} (Swedbank), счёт-фактура {order_code} на {amount}.",
        "Отец ({ik}) умер {date}, как оформить наследство?",
        "Пишите на {email}, индекс {postal} у вас указан неверно.",
        "Регистрационный код работодателя {regcode}, мой телефон {phone}",
        "Дело № {case}, мой адвокат {email}, тел. {phone_intl}.",
        "Звоните {phone} или пишите {email}.",
        "Мой номер {phone}, запасной {phone}.",
        "Контактное лицо: Ольга Петрова ({phone}), <{email}>",
        "Телефон клиента {phone}, договор № {order}.",
        "Номер заявления {order}, ответ пришлите на {email} или {phone}.",
        "Мой латвийский код {lv}, телефон {phone_intl}.",
        "Жена из Финляндии, её код {hetu}.",
        # look-alikes only
        "Как подать заявление на паспорт?",
        "Заказ № {order} до сих пор не пришёл.",
        "Номер моего заказа {order_code}.",
        "Дело № {case}, заседание {date} в {time}.",
        "Уголовное дело {case11}, когда будет ответ?",
        "Ввёл личный код {bad_ik}, а система пишет, что он неверный.",
        "Сумма {amount}, срок оплаты {date}.",
        "Адрес: Нарвское шоссе 5, {postal} Таллинн",
        "Мы работаем Пн-Пт {hours}.",
        "Номер ссылки {ref}, сумма {amount}",
        "Регистрационный код фирмы {regcode}, KMKR {kmkr}",
        "Посылка {tracking} уже неделю в пути.",
        "Номер машины {plate}, штраф {amount}.",
        "Карта заканчивается на {last4}, банк её заблокировал.",
        "Кажется, счёт был {bad_iban}, но банк говорит, что неверный.",
        "Пробовал карту {bad_card}, платёж не прошёл.",
        "Кабинет {room}, этаж {small}.",
        "Пособие выросло на {percent} с {date}.",
        "У меня {small} детей, положено ли семейное пособие?",
        "Счёт № {order} на {amount}, оплачен {date}.",
        "С {year} по {year} год жил за границей.",
        "Приём {date} в {time}, кабинет {room}.",
        "Латвийский код {bad_lv} не принимают, может, опечатка?",
        "Мама родилась {date}, пересчитают ли ей пенсию?",
        "Заявление № {order} рассматривается уже месяц.",
        "Договор № {order} заканчивается {date}.",
        "Клиентский номер {order}, счёт пришёл дважды.",
        "Код подтверждения {order} не подходит.",
        "Операция проведена {timestamp}.",
    ],
}

HAND_WRITTEN: dict[str, list[str]] = {
    "et": [
        "Saatsin avalduse aadressilt [[email:38001085718@eesti.ee]] eile.",
        "See pole isikukood: 38001085719 (viimane number on vale).",
        "Kaart lõpeb numbritega 1111, terve number [[card:4111 1111 1111 1111]].",
        "[[iban:LV80BANK0000435195001]] on mu Läti konto",
        "Tel:[[phone:+37251234567]];e-post:[[email:a.b@c.ee]]",
        "tel. [[phone:5123 4567]] / [[phone:612 3456]]",
        "IK [[isikukood:49403136526]]; laps [[isikukood:60001017716]].",
        "Kood 3800108571 on liiga lühike, õige on [[isikukood:36805280109]].",
        "kaart [[card:4111 1111 1111 1111]] 123",
        "konto [[iban:EE38 2200 2210 2014 5685]]. Aitäh!",
    ],
    "en": [
        "email:[[email:John.Smith@Post.Example.co.uk]], tel [[phone:+44 20 7946 0958]]",
        "It is not 4111 1111 1111 1112, it is [[card:4111 1111 1111 1111]].",
        "Order 20240312-0042 placed on 12.03.2024 at 14:30 for 1 250,50 €.",
        "Finnish code [[hetu:131052-308T]], Latvian one [[personas_kods:161175-19997]].",
        "Pay to [[iban:ee38 2200 2210 2014 5685]] before 31.12.2024.",
        "Numbers: [[phone:+372 5123 4567]], [[phone:+371 2123 4567]], [[phone:+370 612 34567]].",
    ],
    "ru": [
        "Почта [[email:иван@почта.рф]], тел. [[phone:+7 912 345-67-89]]",
        "Личный код [[isikukood:38001085718]], а не 38001085719.",
        "Перевёл 5 000 € на [[iban:EE382200221020145685]] 12.03.2024.",
        "Номер [[phone:5123-4567]], заказ № 51234567.",
    ],
}

_PIECE = re.compile(r"\{(\w+)\}|\[\[(\w+):(.*?)\]\]")


def render(template: str, r: Random, lang: str) -> tuple[str, list[dict[str, object]]]:
    """The template filled in, and the labelled spans in it."""
    text, spans, position = "", [], 0
    for piece in _PIECE.finditer(template):
        text += template[position : piece.start()]
        position = piece.end()
        if piece[1] in WORDED:
            value, kind = WORDED[piece[1]](r, lang), None
        elif piece[1] is not None:
            value, kind = SLOTS[piece[1]](r)
        else:
            value, kind = piece[3], piece[2]
        if kind is not None:
            spans.append({"type": kind, "start": len(text), "end": len(text) + len(value)})
            spans[-1]["value"] = value
        text += value
    return text + template[position:], spans


def build() -> list[dict[str, object]]:
    r = Random(SEED)
    messages: list[dict[str, object]] = []
    for lang, templates in TEMPLATES.items():
        rendered = [template for template in templates for _ in range(RENDERS)]
        for number, template in enumerate(rendered + HAND_WRITTEN[lang], 1):
            text, spans = render(template, r, lang)
            messages.append(
                {"id": f"{lang}-{number:03}", "lang": lang, "text": text, "spans": spans}
            )
    return messages


def dump(messages: list[dict[str, object]]) -> str:
    return "".join(json.dumps(message, ensure_ascii=False) + "\n" for message in messages)


if __name__ == "__main__":
    corpus = build()
    CORPUS.write_text(dump(corpus), encoding="utf-8")
    print(f"{CORPUS}: {len(corpus)} messages")
