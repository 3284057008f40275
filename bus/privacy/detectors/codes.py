"""Baltic and Finnish personal codes: a regular expression proposes, python-stdnum decides.

Each code carries a birth date and a check digit, so an 11-digit order number
is taken only when both hold (about one in ten numbers with a valid date does).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from stdnum.ee import ik
from stdnum.fi import hetu
from stdnum.lv import pvn

from bus.privacy.kinds import Finding, Kind

_ISIKUKOOD = re.compile(r"(?<!\d)[1-6]\d{10}(?!\d)")
_PERSONAS_KODS = re.compile(r"(?<![\d-])[0-3]\d{5}-?\d{5}(?![\d-])")
_HETU = re.compile(r"(?<![\w-])\d{6}[-+A-FU-Y]\d{3}[0-9A-Y](?![\w-])", re.IGNORECASE)


def isikukood(text: str) -> Iterator[Finding]:
    """Estonian (and, the same form, Lithuanian) personal codes written as 11 digits."""
    for match in _ISIKUKOOD.finditer(text):
        if ik.is_valid(match[0]):
            yield Finding(Kind.ISIKUKOOD, match.start(), match.end(), match[0], match[0])


def personas_kods(text: str) -> Iterator[Finding]:
    """Latvian personal codes, with or without the dash after the sixth digit.

    ``stdnum.lv.pvn`` validates both personal codes and company VAT numbers;
    the pattern admits only the personal ones (first digit 0-3).
    """
    for match in _PERSONAS_KODS.finditer(text):
        if pvn.is_valid(match[0]):
            canonical = pvn.compact(match[0])
            yield Finding(Kind.PERSONAS_KODS, match.start(), match.end(), match[0], canonical)


def finnish_hetu(text: str) -> Iterator[Finding]:
    """Finnish personal identity codes, temporary ones (serial 900-999) included."""
    for match in _HETU.finditer(text):
        if hetu.is_valid(match[0], allow_temporary=True):
            canonical = hetu.compact(match[0])
            yield Finding(Kind.HETU, match.start(), match.end(), match[0], canonical)
