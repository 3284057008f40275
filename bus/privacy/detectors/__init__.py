"""Detectors: each proposes the identifiers of its kinds it finds in a text, overlaps and all."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from bus.privacy.detectors.codes import finnish_hetu, isikukood, personas_kods
from bus.privacy.detectors.contact import emails, phones
from bus.privacy.detectors.payment import cards, ibans
from bus.privacy.kinds import Finding

Detector = Callable[[str], Iterator[Finding]]

DETECTORS: tuple[Detector, ...] = (
    isikukood,
    personas_kods,
    finnish_hetu,
    ibans,
    cards,
    emails,
    phones,
)

__all__ = ["DETECTORS", "Detector"]
