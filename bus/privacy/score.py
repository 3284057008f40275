"""How well the finder does on a labelled corpus: precision and recall per kind.

A corpus is JSON Lines, one message a line: ``{"id", "lang", "text", "spans":
[{"type", "start", "end", "value"}]}``, the spans being every identifier in the
text. A find counts only if kind, start and end are all right, so a find that
cuts an IBAN short is a false positive and a false negative at once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bus.errors import ConfigurationError
from bus.privacy.finder import find
from bus.privacy.kinds import Finding, Kind


@dataclass(frozen=True)
class Span:
    kind: Kind
    start: int
    end: int


@dataclass(frozen=True)
class Labelled:
    """A message of the corpus and the identifiers in it."""

    id: str
    lang: str
    text: str
    spans: tuple[Span, ...]


@dataclass
class Tally:
    """One kind's counts; precision and recall are 1.0 when there is nothing to get wrong."""

    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        expected = self.true_positives + self.false_negatives
        return self.true_positives / expected if expected else 1.0


@dataclass(frozen=True)
class Error:
    """A wrong find (``missed`` False) or a missed identifier, to show where the finder fails."""

    message_id: str
    span: Span
    missed: bool
    text: str = field(repr=False)


@dataclass
class Score:
    tallies: dict[Kind, Tally] = field(default_factory=lambda: {kind: Tally() for kind in Kind})
    errors: list[Error] = field(default_factory=list)

    def table(self) -> str:
        """Per-kind counts, precision and recall, as a fixed-width table."""
        lines = [f"{'kind':<14} {'expected':>8} {'tp':>5} {'fp':>4} {'fn':>4} {'P':>6} {'R':>6}"]
        for kind, t in self.tallies.items():
            expected = t.true_positives + t.false_negatives
            lines.append(
                f"{kind:<14} {expected:>8} {t.true_positives:>5} {t.false_positives:>4} "
                f"{t.false_negatives:>4} {t.precision:>6.3f} {t.recall:>6.3f}"
            )
        return "\n".join(lines)


Finder = Callable[[str], Sequence[Finding]]


def score(corpus: Iterable[Labelled], finder: Finder = find) -> Score:
    """Run ``finder`` on every message and count its finds against the labels."""
    result = Score()
    for message in corpus:
        expected = set(message.spans)
        for finding in finder(message.text):
            span = Span(finding.kind, finding.start, finding.end)
            if span in expected:
                result.tallies[span.kind].true_positives += 1
                expected.remove(span)
            else:
                result.tallies[span.kind].false_positives += 1
                result.errors.append(Error(message.id, span, missed=False, text=message.text))
        for span in sorted(expected, key=lambda s: s.start):
            result.tallies[span.kind].false_negatives += 1
            result.errors.append(Error(message.id, span, missed=True, text=message.text))
    return result


def load_corpus(path: Path) -> list[Labelled]:
    """The corpus at ``path``; a line that does not hold together is named in the error."""
    with path.open(encoding="utf-8") as lines:
        return [_labelled(line, f"{path}:{number}") for number, line in enumerate(lines, 1)]


def _labelled(line: str, where: str) -> Labelled:
    try:
        record: dict[str, Any] = json.loads(line)
        text = record["text"]
        spans = tuple(
            Span(Kind(span["type"]), span["start"], span["end"]) for span in record["spans"]
        )
        values = [span.get("value") for span in record["spans"]]
        labelled = Labelled(str(record["id"]), str(record["lang"]), text, spans)
    except (ValueError, KeyError, TypeError) as error:
        raise ConfigurationError(f"{where}: not a corpus message ({error!r})") from error
    for span, value in zip(spans, values, strict=True):
        if not 0 <= span.start < span.end <= len(text):
            raise ConfigurationError(f"{where}: span {span} is outside the text")
        if value is not None and text[span.start : span.end] != value:
            raise ConfigurationError(
                f"{where}: span {span} holds {text[span.start : span.end]!r}, not {value!r}"
            )
    return labelled
