"""The free-text scrubber's precision and recall per kind on the labelled corpus.

The baseline is what code without ``bus.privacy`` would do: a plain regular
expression per kind, with no check digit, date or label test. Both are scored
on the same corpus (tests/privacy/corpus.jsonl) in the same run; the aims are
on the bus's own figures (recall 1.0 on valid identifiers, precision 0.99).
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from bench import aims, codec
from bench.report import Row
from bus.privacy import Finding, Kind, find, resolve
from bus.privacy.score import load_corpus, score

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "privacy" / "corpus.jsonl"

NAIVE: dict[Kind, re.Pattern[str]] = {
    Kind.ISIKUKOOD: re.compile(r"\b[1-6]\d{10}\b"),
    Kind.PERSONAS_KODS: re.compile(r"\b\d{6}-\d{5}\b"),
    Kind.HETU: re.compile(r"\b\d{6}[-+A]\d{3}[0-9A-Y]\b"),
    Kind.IBAN: re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b"),
    Kind.CARD: re.compile(r"\b\d{4}(?:[ -]?\d{4}){3}\b"),
    Kind.EMAIL: re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
    Kind.PHONE: re.compile(r"\+?\d[\d ()-]{6,}\d"),
}
"""One plain pattern per kind, as a first attempt at scrubbing would be written."""


def naive(text: str) -> tuple[Finding, ...]:
    """Every match of every pattern, overlaps resolved the way the bus resolves its own."""
    return resolve(
        Finding(kind, match.start(), match.end(), match.group(), match.group())
        for kind, pattern in NAIVE.items()
        for match in pattern.finditer(text)
    )


def rows() -> list[Row]:
    corpus = load_corpus(CORPUS)
    bus, baseline = score(corpus, find), score(corpus, naive)
    note = f"{len(corpus)} labelled messages (in-sample: written with the detectors)"
    texts = [message.text for message in corpus]
    found = [
        Row(
            "privacy find rate",
            "messages/s",
            "bus.privacy",
            "plain regex",
            [codec.rate(find, texts) for _ in range(3)],
            [codec.rate(naive, texts) for _ in range(3)],
            note="the corpus's messages, most holding an identifier",
        )
    ]
    for kind in Kind:
        mine, theirs = bus.tallies[kind], baseline.tallies[kind]
        if mine.true_positives + mine.false_negatives == 0:
            continue
        for figure, aim, ours, plain in (
            ("recall", aims.PRIVACY_RECALL, mine.recall, theirs.recall),
            ("precision", aims.PRIVACY_PRECISION, mine.precision, theirs.precision),
        ):
            measure = f"privacy {kind} {figure}"
            row = Row(measure, "share", "bus.privacy", "plain regex", [ours], [plain], note=note)
            found.append(replace(row, aim=aim))
            note = ""
    return found
