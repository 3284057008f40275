"""The bench's privacy rows: the scrubber and a plain-regex baseline on the labelled corpus."""

from __future__ import annotations

from bench import privacy
from bus.privacy import Kind


def test_every_kind_gets_recall_and_precision_rows_with_the_issues_aims_met() -> None:
    rows = {row.measure: row for row in privacy.rows()}
    for kind in Kind:
        for figure in ("recall", "precision"):
            row = rows[f"privacy {kind} {figure}"]
            assert row.aim is not None and row.met is True, row
    assert rows["privacy find rate"].bus and rows["privacy find rate"].baseline


def test_the_plain_regex_baseline_finds_what_looks_like_an_identifier_checked_or_not() -> None:
    [finding] = privacy.naive("code 38001085719")  # a wrong check digit
    assert finding.kind == Kind.ISIKUKOOD
