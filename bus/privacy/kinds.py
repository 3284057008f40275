"""What the scrubber finds: the kinds of identifier and one find in a text."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Kind(StrEnum):
    """An identifier's kind; its value is the placeholder's name (``<isikukood>``)."""

    ISIKUKOOD = "isikukood"
    """Estonian personal code; a Lithuanian asmens kodas has the same form and check digit."""
    PERSONAS_KODS = "personas_kods"
    """Latvian personal code, ``DDMMYY-CNNNX`` or ``32NNNN-NNNNN``."""
    HETU = "hetu"
    """Finnish personal identity code, ``DDMMYY-NNNC``."""
    IBAN = "iban"
    CARD = "card"
    EMAIL = "email"
    PHONE = "phone"


SPECIFICITY: tuple[Kind, ...] = tuple(Kind)
"""Which kind wins two finds of the same length over the same text: the earlier."""


@dataclass(frozen=True)
class Finding:
    """An identifier at ``text[start:end]`` of the scanned text.

    ``canonical`` is the form pseudonyms are made of (digits only, upper-case
    IBAN, E.164 phone, lower-case e-mail), so every way of writing one
    identifier maps to one pseudonym. Neither value shows in ``repr``, so a
    finding can be logged.
    """

    kind: Kind
    start: int
    end: int
    value: str = field(repr=False)
    canonical: str = field(repr=False)

    @property
    def span(self) -> tuple[int, int]:
        return self.start, self.end
