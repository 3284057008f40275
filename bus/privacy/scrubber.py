"""Replacing identifiers in free text by typed placeholders or keyed pseudonyms.

Pseudonyms are the audit log's (``bus.audit.pseudonym``) over the canonical
form, so ``<isikukood:hmac:...>`` in a scrubbed message carries the very
``hmac:...`` the audit log records for the same code in a ``"pii": true``
field, and every spelling of one phone number or IBAN gets one token.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from bus.audit.pseudonym import Pseudonymizer, pseudonym_key
from bus.privacy.finder import find
from bus.privacy.kinds import Finding, Kind
from bus.settings import Settings


@dataclass(frozen=True)
class Scrubbed:
    """The scrubbed text and what was replaced, with spans in the original text."""

    text: str
    findings: tuple[Finding, ...]

    def counts(self) -> Counter[Kind]:
        """How many identifiers of each kind were replaced."""
        return Counter(finding.kind for finding in self.findings)


class Scrubber:
    """Finds identifiers in free text and replaces them.

    Without a pseudonymizer each becomes a placeholder naming its kind
    (``<phone>``); with one, ``<kind:hmac:...>``, stable across messages
    and processes that share the key.
    """

    def __init__(
        self, pseudonymizer: Pseudonymizer | None = None, *, kinds: Iterable[Kind] = Kind
    ) -> None:
        self.pseudonymizer = pseudonymizer
        self.kinds = frozenset(kinds)

    @classmethod
    def from_settings(cls, settings: Settings, *, kinds: Iterable[Kind] = Kind) -> Scrubber:
        """Pseudonyms under the audit log's key (``BUS_AUDIT_PSEUDONYM_KEY``)."""
        return cls(Pseudonymizer(pseudonym_key(settings)), kinds=kinds)

    def token(self, finding: Finding) -> str:
        """What replaces ``finding``: ``<kind>`` or ``<kind:hmac:...>``."""
        if self.pseudonymizer is None:
            return f"<{finding.kind}>"
        return f"<{finding.kind}:{self.pseudonymizer.pseudonym(finding.canonical)}>"

    def scrub(self, text: str) -> Scrubbed:
        """``text`` with every identifier replaced; the same string if there is none."""
        findings = find(text, self.kinds)
        if not findings:
            return Scrubbed(text, findings)
        parts, position = [], 0
        for finding in findings:
            parts += [text[position : finding.start], self.token(finding)]
            position = finding.end
        parts.append(text[position:])
        return Scrubbed("".join(parts), findings)
