"""E-mail addresses and phone numbers.

Phone numbers are found by Google's libphonenumber (``phonenumbers``), which
knows every country's numbering plan: numbers with a country code (``+371``,
``00358``) are read as that country's, local ones as Estonian (``5123 4567``,
``612 3456``), and only numbers valid in their plan are taken.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import phonenumbers

from bus.privacy.detectors.labels import labelled_as_reference
from bus.privacy.kinds import Finding, Kind

_EMAIL = re.compile(
    r"(?<![\w.%+-])[\w%+-]+(?:\.[\w%+-]+)*"
    r"@(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+[^\W\d_]{2,63}(?![\w-])"
)
_LOCAL_REGION = "EE"
_DECIMALS = re.compile(r"[.,]\d\d\W*\Z")


def emails(text: str) -> Iterator[Finding]:
    """E-mail addresses, subdomains and internationalised names included."""
    for match in _EMAIL.finditer(text):
        yield Finding(Kind.EMAIL, match.start(), match.end(), match[0], match[0].lower())


def phones(text: str, region: str = _LOCAL_REGION) -> Iterator[Finding]:
    """Phone numbers valid in their country's plan; local ones read as ``region``'s."""
    matcher = phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID)
    previous_end = -1
    for match in matcher:
        if _is_local(match.raw_string, region) and _something_else(text, match, previous_end):
            continue
        canonical = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
        start, end = _balanced(text, match.start, match.end)
        previous_end = end
        yield Finding(Kind.PHONE, start, end, text[start:end], canonical)


def _something_else(text: str, match: phonenumbers.PhoneNumberMatch, previous_end: int) -> bool:
    """Whether a local number is something else: seven-digit order numbers and amounts are
    valid Estonian landlines.

    It is when labelled as an order or case number, ending in two decimals
    (``62598.18 EUR``, ``9.00-17.00``), or the tail of another token
    (``2024/5123456``; but ``5123 4567/5234 5678`` are two phones).
    """
    before = text[match.start - 1 : match.start]
    return (
        labelled_as_reference(text, match.start)
        or _DECIMALS.search(match.raw_string) is not None
        or before.isalnum()
        or (before == "/" and match.start - 1 != previous_end)
        or text[match.end : match.end + 1].isalnum()
    )


_WITHOUT_PLUS = (
    phonenumbers.CountryCodeSource.FROM_DEFAULT_COUNTRY,
    phonenumbers.CountryCodeSource.FROM_NUMBER_WITHOUT_PLUS_SIGN,  # 372 5123 4567
)


def _is_local(raw: str, region: str) -> bool:
    """Written without ``+`` or ``00`` (the matcher's own number does not keep this)."""
    number = phonenumbers.parse(raw, region, keep_raw_input=True)
    return number.country_code_source in _WITHOUT_PLUS


def _balanced(text: str, start: int, end: int) -> tuple[int, int]:
    """Without the brackets the matcher took from around the number:
    ``(+372 5123 4567)``, ``(+7 (924) 704-17-16)``."""
    while text[start] == "(" and text.count("(", start, end) > text.count(")", start, end):
        start += 1
    while text[end - 1] == ")" and text.count(")", start, end) > text.count("(", start, end):
        end -= 1
    return start, end
