"""Baltic and Finnish personal codes: a regular expression proposes, python-stdnum decides.

Each code carries a birth date and a check digit, so an 11-digit order or
reference number is taken only when both hold and the person could be alive:
born in 1900 or later and not after today (stdnum accepts 1800s and 2100s).
About one 11-digit number in a thousand still passes, so one labelled as a
reference, order or case number (``viitenumber 61808102932``) is left alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

from stdnum.ee import ik
from stdnum.fi import hetu
from stdnum.lv import pvn

from bus.privacy.detectors.labels import labelled_as_reference
from bus.privacy.kinds import Finding, Kind

_ISIKUKOOD = re.compile(r"(?<!\d)[3-6]\d{10}(?!\d)")
_PERSONAS_KODS = re.compile(r"(?<![\d-])(?:[0-3]\d{5}-?[12]\d{4}|32\d{4}-?\d{5})(?![\d-])")
_HETU = re.compile(r"(?<![\w-])\d{6}[-+A-FU-Y]\d{3}[0-9A-Y](?![\w-])", re.IGNORECASE)


def isikukood(text: str) -> Iterator[Finding]:
    """Estonian (and, the same form, Lithuanian) personal codes written as 11 digits."""
    for match in _ISIKUKOOD.finditer(text):
        if (
            ik.is_valid(match[0])
            and ik.get_birth_date(match[0]) <= date.today()
            and not labelled_as_reference(text, match.start(), or_code=False)
        ):
            yield Finding(Kind.ISIKUKOOD, match.start(), match.end(), match[0], match[0])


def personas_kods(text: str) -> Iterator[Finding]:
    """Latvian personal codes, with or without the dash after the sixth digit: the old ones
    (birth date, century digit 1 or 2) and those without a date (``32``, since 2017).

    ``stdnum.lv.pvn`` validates both personal codes and company VAT numbers;
    the pattern admits only the personal ones. Written with the dash it is
    unmistakable; without, it is an 11-digit number like any other.
    """
    for match in _PERSONAS_KODS.finditer(text):
        canonical = pvn.compact(match[0])
        if (
            pvn.is_valid(canonical)
            and (canonical.startswith("32") or pvn.get_birth_date(canonical) <= date.today())
            and ("-" in match[0] or not labelled_as_reference(text, match.start(), or_code=False))
        ):
            yield Finding(Kind.PERSONAS_KODS, match.start(), match.end(), match[0], canonical)


def finnish_hetu(text: str) -> Iterator[Finding]:
    """Finnish personal identity codes, temporary ones (serial 900-999) included."""
    for match in _HETU.finditer(text):
        if hetu.is_valid(match[0], allow_temporary=True):
            canonical = hetu.compact(match[0])
            yield Finding(Kind.HETU, match.start(), match.end(), match[0], canonical)
