"""Detectors: each proposes the identifiers of its kind it finds in a text, overlaps and all.

``CHECKED`` detectors validate what they propose on its own (check digits, an
e-mail's form); ``phones`` reads numbers in context, so it runs on the text
with the others' finds blanked out (see ``bus.privacy.finder``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from bus.privacy.detectors.codes import finnish_hetu, isikukood, personas_kods
from bus.privacy.detectors.contact import emails, phones
from bus.privacy.detectors.payment import cards, ibans
from bus.privacy.kinds import Finding

Detector = Callable[[str], Iterator[Finding]]

CHECKED: tuple[Detector, ...] = (isikukood, personas_kods, finnish_hetu, ibans, cards, emails)

__all__ = ["CHECKED", "Detector", "phones"]
