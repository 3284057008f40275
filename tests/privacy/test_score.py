"""The scrubber against the labelled corpus, and the scoring itself."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import phonenumbers
import pytest
from stdnum import iban, luhn
from stdnum.ee import ik
from stdnum.fi import hetu
from stdnum.lv import pvn

from bus.errors import ConfigurationError
from bus.privacy import Finding, Kind
from bus.privacy.score import Labelled, Span, Tally, load_corpus, score

from .make_corpus import CORPUS, build, dump

CHECK_DIGITS = {Kind.ISIKUKOOD, Kind.PERSONAS_KODS, Kind.HETU, Kind.IBAN, Kind.CARD}
VALID = {
    Kind.ISIKUKOOD: ik.is_valid,
    Kind.PERSONAS_KODS: pvn.is_valid,
    Kind.HETU: lambda value: hetu.is_valid(value, allow_temporary=True),
    Kind.IBAN: iban.is_valid,
    Kind.CARD: lambda value: luhn.is_valid(value.replace(" ", "").replace("-", "")),
    Kind.PHONE: lambda value: phonenumbers.is_valid_number(phonenumbers.parse(value, "EE")),
    Kind.EMAIL: lambda value: "@" in value,
}


@pytest.fixture(scope="module")
def corpus() -> list[Labelled]:
    return load_corpus(CORPUS)


def test_the_corpus_file_is_what_its_script_writes() -> None:
    assert CORPUS.read_text(encoding="utf-8") == dump(build()), (
        "run .venv/bin/python tests/privacy/make_corpus.py"
    )


def test_the_corpus_is_large_three_languages_and_every_label_valid(
    corpus: list[Labelled],
) -> None:
    assert len(corpus) >= 500
    languages = Counter(message.lang for message in corpus)
    assert set(languages) == {"et", "en", "ru"}
    assert min(languages.values()) >= 150
    spans = [(message, span) for message in corpus for span in message.spans]
    assert {span.kind for _, span in spans} == set(Kind)
    assert sum(not message.spans for message in corpus) >= 150  # look-alikes only
    for message, span in spans:
        assert VALID[span.kind](message.text[span.start : span.end]), (message.id, span)


def test_recall_is_complete_on_check_digits_and_precision_at_least_99_percent(
    corpus: list[Labelled],
) -> None:
    result = score(corpus)
    report = (
        result.table()
        + "\n"
        + "\n".join(
            f"{e.message_id} {'missed' if e.missed else 'wrong'} {e.span.kind} "
            f"{e.text[e.span.start : e.span.end]!r} in {e.text!r}"
            for e in result.errors
        )
    )
    for kind, tally in result.tallies.items():
        assert tally.precision >= 0.99, report
        assert tally.recall >= (1.0 if kind in CHECK_DIGITS else 0.99), report
        assert tally.true_positives >= 15, report


def test_a_find_counts_only_with_the_right_kind_and_span() -> None:
    message = Labelled("m", "en", "x 38001085718 y 5123 4567", (Span(Kind.ISIKUKOOD, 2, 13),))
    message_with_phone = Labelled(
        "n", "en", message.text, (*message.spans, Span(Kind.PHONE, 16, 25))
    )

    def finder(text: str) -> list[Finding]:
        return [
            Finding(Kind.ISIKUKOOD, 2, 12, "", ""),  # cut short
            Finding(Kind.PHONE, 16, 25, "", ""),
        ]

    result = score([message, message_with_phone], finder)
    assert result.tallies[Kind.ISIKUKOOD] == Tally(0, 2, 2)
    assert result.tallies[Kind.PHONE] == Tally(1, 1, 0)
    assert result.tallies[Kind.PHONE].precision == 0.5
    assert result.tallies[Kind.PHONE].recall == 1.0
    assert result.tallies[Kind.EMAIL].precision == result.tallies[Kind.EMAIL].recall == 1.0
    assert len(result.errors) == 5
    assert "38001085718" not in repr(result.errors)


@pytest.mark.parametrize(
    ("line", "complaint"),
    [
        ('{"id": 1, "lang": "et", "text": "abc"}', "not a corpus message"),
        ('{"id": 1, "lang": "et", "text": "abc", "spans": [{"type": "ssn"}]}', "not a corpus"),
        (
            '{"id": 1, "lang": "et", "text": "abc", '
            '"spans": [{"type": "email", "start": 1, "end": 9}]}',
            "outside the text",
        ),
        (
            '{"id": 1, "lang": "et", "text": "abc", '
            '"spans": [{"type": "email", "start": 0, "end": 2, "value": "bc"}]}',
            "holds 'ab', not 'bc'",
        ),
    ],
)
def test_a_broken_corpus_line_is_named(tmp_path: Path, line: str, complaint: str) -> None:
    path = tmp_path / "corpus.jsonl"
    path.write_text(json.dumps({"id": 0, "lang": "en", "text": "", "spans": []}) + "\n" + line)
    with pytest.raises(ConfigurationError, match=complaint) as caught:
        load_corpus(path)
    assert f"{path}:2" in str(caught.value)
