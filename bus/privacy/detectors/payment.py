"""IBANs (mod 97 and the country's format) and payment card numbers (Luhn), as people type them.

Both are groups of digits that may run on into the next number or word
(``EE38 2200 2210 2014 5685 ja``, ``4111 1111 1111 1111 123``), so every
stretch of whole groups that validates is proposed and the longest wins.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from stdnum import iban, luhn

from bus.privacy.detectors.labels import labelled_as_reference
from bus.privacy.kinds import Finding, Kind

_SEPARATORS = " \u00a0\u202f.-"
_IBAN_START = re.compile(r"(?<!\w)[A-Z]{2} ?\d{2}", re.IGNORECASE)
_IBAN_HEAD = re.compile(r"(?<!\w)[A-Z]{2} ?\d{2}[ \u00a0\u202f.\-]\Z", re.IGNORECASE)
_IBAN_LENGTHS = range(15, 35)
_DIGIT_RUN = re.compile(r"(?<![\w.,\-])\d+(?:[ \u00a0\u202f.\-]\d+)*(?!\w)")
_GROUP = re.compile(r"\d+")
_CARD_LENGTHS = range(13, 20)
_CARD_FIRST_DIGITS = "23456"  # Mastercard 2-series, Amex, Visa, Mastercard, Maestro, Discover
_PRINTED_GROUPS = ((4, 4, 4, 4), (4, 4, 4, 4, 3), (4, 6, 5), (4, 6, 4))
"""How cards print their numbers: 16 and 19 digits in fours, Amex and Diners 4-6-5 and 4-6-4."""


def ibans(text: str) -> Iterator[Finding]:
    """IBANs of any country, grouped by spaces, dashes or dots or not at all, in any case
    (``EE38 2200 ...``, ``ee382200...``, ``EE 38 2200 ...``)."""
    for start in _IBAN_START.finditer(text):
        compact, best = "", None
        for position in range(start.start(), len(text)):
            char = text[position]
            if char.isascii() and char.isalnum():
                compact += char.upper()
            elif char not in _SEPARATORS or not text[position - 1].isalnum():
                break
            if len(compact) >= _IBAN_LENGTHS.stop:
                break
            if char.isalnum() and len(compact) in _IBAN_LENGTHS and iban.is_valid(compact):
                best = position + 1, compact
        if best is not None:
            end, canonical = best
            yield Finding(Kind.IBAN, start.start(), end, text[start.start() : end], canonical)


def cards(text: str) -> Iterator[Finding]:
    """Payment card numbers: 13-19 digits passing Luhn, starting as the networks' numbers do,
    written in one piece or in the groups printed on cards.

    Every valid stretch of a run of digit groups is proposed. A number labelled
    as an order or invoice number is left alone, and so are the digits after
    an IBAN's country and check digits: a mistyped IBAN is no card.
    """
    for run in _DIGIT_RUN.finditer(text):
        if _IBAN_HEAD.search(text, max(0, run.start() - 6), run.start()):
            continue
        groups = list(_GROUP.finditer(text, run.start(), run.end()))
        for first in range(len(groups)):
            for last in range(first, len(groups)):
                chosen = groups[first : last + 1]
                digits = "".join(group[0] for group in chosen)
                if len(digits) >= _CARD_LENGTHS.stop:
                    break
                sizes = [len(group[0]) for group in chosen]
                if _is_card(digits, sizes) and not _card_and_more(digits, sizes):
                    start, end = chosen[0].start(), chosen[-1].end()
                    if not labelled_as_reference(text, start):
                        yield Finding(Kind.CARD, start, end, text[start:end], digits)


def _card_and_more(digits: str, groups: list[int]) -> bool:
    """A 16-digit card and three more digits (an amount, a CVV) is read as that, not as
    a 19-digit card, which passes Luhn one time in ten; so a rare 19-digit card whose
    first 16 digits pass Luhn too keeps its last three visible."""
    return groups == [4, 4, 4, 4, 3] and luhn.is_valid(digits[:16])


def _is_card(digits: str, groups: list[int]) -> bool:
    return (
        (len(groups) == 1 or tuple(groups) in _PRINTED_GROUPS)
        and len(digits) in _CARD_LENGTHS
        and digits[0] in _CARD_FIRST_DIGITS
        and luhn.is_valid(digits)
    )
