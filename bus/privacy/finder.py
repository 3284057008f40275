"""All identifiers in a text, overlaps resolved: the longest find wins, then the more specific.

Detectors overlap by design (an IBAN's digits may pass Luhn, an e-mail may hold
a personal code), so each proposes what it sees and one deterministic rule
keeps a set of disjoint finds. Phone numbers are looked for afterwards in what
the others left, blanked out: libphonenumber otherwise reads a personal code
and the phone number after it (``38001085718 5123 4567``) as one invalid
number and finds neither.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bus.privacy.detectors import CHECKED, phones
from bus.privacy.kinds import SPECIFICITY, Finding, Kind

CANDIDATE = re.compile(r"[\d@]")
"""Every kind holds a digit or an ``@``: text without one (most chat) is skipped at once."""


def find(text: str, kinds: Iterable[Kind] = Kind) -> tuple[Finding, ...]:
    """The identifiers of ``kinds`` in ``text``, disjoint and in text order.

    Overlaps are resolved among all kinds before ``kinds`` picks, so asking for
    cards alone never returns the digits of an IBAN.
    """
    if CANDIDATE.search(text) is None:
        return ()
    wanted = frozenset(kinds)
    checked = resolve(finding for detector in CHECKED for finding in detector(text))
    blanked = list(text)
    for finding in checked:
        blanked[finding.start : finding.end] = " " * (finding.end - finding.start)
    found = resolve([*checked, *phones("".join(blanked))])
    return tuple(finding for finding in found if finding.kind in wanted)


def resolve(proposed: Iterable[Finding]) -> tuple[Finding, ...]:
    """Keep the longest of overlapping finds; of equal length the more specific kind
    (``SPECIFICITY``), then the earlier one, so the result never depends on order."""
    ranked = sorted(
        proposed,
        key=lambda f: (f.start - f.end, SPECIFICITY.index(f.kind), f.start, f.canonical),
    )
    kept: list[Finding] = []
    for finding in ranked:
        if all(finding.end <= other.start or other.end <= finding.start for other in kept):
            kept.append(finding)
    return tuple(sorted(kept, key=lambda f: f.start))
