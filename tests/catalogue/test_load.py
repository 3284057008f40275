"""The catalogue: the example loads, lookups answer as documented, bad files name the line."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from bus.catalogue import Authority, Catalogue, RoutingRules, WorkingHours, load_catalogue
from bus.errors import ConfigurationError
from bus.settings import PROJECT_ROOT

EXAMPLE = PROJECT_ROOT / "deploy" / "catalogue" / "agencies.yaml"
MARK = "# <-"


@pytest.fixture(scope="module")
def example() -> Catalogue:
    return load_catalogue(EXAMPLE)


def _load(tmp_path: Path, text: str) -> Catalogue:
    path = tmp_path / "catalogue.yaml"
    path.write_text(textwrap.dedent(text))
    return load_catalogue(path)


def _codes(found: Authority | None) -> str | None:
    return found.code if found else None


# --- the example -----------------------------------------------------------------------------


def test_the_example_has_four_authorities_and_the_population_register_as_fallback(
    example: Catalogue,
) -> None:
    assert list(example.authorities) == [
        "police",
        "tax-board",
        "social-insurance",
        "population-register",
    ]
    assert _codes(example.fallback) == "population-register"
    assert example.authorities["police"].inbox == "bus.inbox.police"
    assert example.authorities["police"].assistant_topic == "bus.assistant.police"


def test_the_example_needs_shared_topics_with_6_partitions_and_authority_topics_with_3(
    example: Catalogue,
) -> None:
    specs = {spec.name: spec for spec in example.topic_specs()}
    assert len(specs) == 7 + 2 * 4
    assert specs["bus.audit"].config["retention.ms"] == "-1"
    assert specs["bus.assistant-events"].partitions == 6
    assert specs["bus.service-updates"].partitions == 6
    assert specs["bus.inbox.tax-board"].partitions == 3
    assert specs["bus.assistant.tax-board"].partitions == 3
    assert specs["bus.deadletters"].config == {
        "retention.ms": "2592000000",
        "cleanup.policy": "delete",
    }
    assert specs["bus.inbox.police"].config["retention.ms"] == "604800000"


# --- lookups ---------------------------------------------------------------------------------


def test_a_service_goes_to_the_authority_that_lists_it_or_to_a_routing_rule(
    example: Catalogue,
) -> None:
    assert _codes(example.authority_for_service("passport-application")) == "police"
    assert _codes(example.authority_for_service("pension-certificate")) == "social-insurance"
    assert example.authority_for_service("fishing-licence") is None


def test_a_routing_rule_for_a_service_overrides_the_authorities_lists(tmp_path: Path) -> None:
    catalogue = _load(
        tmp_path,
        """
        authorities:
          - {code: police, name: Police, services: [passport-application]}
          - {code: consulate, name: Consulate}
        routing:
          services: {passport-application: consulate}
        """,
    )
    assert _codes(catalogue.authority_for_service("passport-application")) == "consulate"


def test_an_intent_matches_its_prefix_only_at_a_dot(example: Catalogue) -> None:
    assert _codes(example.authority_for_intent("tax")) == "tax-board"
    assert _codes(example.authority_for_intent("tax.income.deadline")) == "tax-board"
    assert example.authority_for_intent("taxi") is None
    assert example.authority_for_intent("weather") is None


def test_the_most_specific_authority_claim_wins(tmp_path: Path) -> None:
    catalogue = _load(
        tmp_path,
        """
        authorities:
          - {code: social-insurance, name: Social Insurance Board, intents: [benefit]}
          - {code: unemployment-fund, name: Unemployment Fund, intents: [benefit.unemployment]}
        """,
    )
    assert _codes(catalogue.authority_for_intent("benefit.family")) == "social-insurance"
    found = catalogue.authority_for_intent("benefit.unemployment.amount")
    assert _codes(found) == "unemployment-fund"


def test_routing_rules_come_before_authorities_and_the_first_matching_rule_wins(
    tmp_path: Path,
) -> None:
    catalogue = _load(
        tmp_path,
        """
        authorities:
          - {code: police, name: Police, intents: [identity.document]}
          - {code: population-register, name: Population Register, intents: [identity]}
          - {code: tax-board, name: Tax Board}
        routing:
          intents:
            - {match: identity, authority: tax-board}
            - {match: identity.document, authority: police}
        """,
    )
    assert _codes(catalogue.authority_for_intent("identity.document")) == "tax-board"
    assert _codes(catalogue.authority_for_intent("identity.number")) == "tax-board"


def test_the_example_routes_family_names_to_the_register_but_family_benefits_to_insurance(
    example: Catalogue,
) -> None:
    assert _codes(example.authority_for_intent("family.name")) == "population-register"
    assert _codes(example.authority_for_intent("family.benefit")) == "social-insurance"
    assert _codes(example.authority_for_intent("identity.document.lost")) == "police"
    assert _codes(example.authority_for_intent("identity.number")) == "population-register"


@pytest.mark.parametrize(
    ("source", "code"),
    [
        ("assistant:tax-board", "tax-board"),
        ("service:police", "police"),
        ("gateway:social-insurance", "social-insurance"),
        ("assistant:vendor-bot", None),
        ("", None),
        (None, None),
    ],
)
def test_the_source_of_an_event_names_its_authority(
    example: Catalogue, source: str | None, code: str | None
) -> None:
    assert _codes(example.authority_of_source(source)) == code


def test_without_a_fallback_unmatched_conversations_have_no_authority(tmp_path: Path) -> None:
    catalogue = _load(tmp_path, "authorities: [{code: police, name: Police}]\n")
    assert catalogue.fallback is None
    assert catalogue.authority(None) is None


def test_topic_settings_apply_defaults_then_per_authority_then_per_topic(tmp_path: Path) -> None:
    catalogue = _load(
        tmp_path,
        """
        topics:
          defaults: {partitions: 4, config: {min.insync.replicas: 1}}
          per_authority: {partitions: 2, config: {max.message.bytes: 2097152}}
          overrides:
            bus.inbox.police:
              cleanup_policy: compact
              config: {message.timestamp.type: LogAppendTime}
            bus.service-updates: {config: {unclean.leader.election.enable: false}}
        authorities: [{code: police, name: Police}]
        """,
    )
    specs = {spec.name: spec for spec in catalogue.topic_specs()}
    inbox = specs["bus.inbox.police"]
    assert inbox.partitions == 2
    assert inbox.config == {
        "retention.ms": "604800000",
        "cleanup.policy": "compact",
        "min.insync.replicas": "1",
        "max.message.bytes": "2097152",
        "message.timestamp.type": "LogAppendTime",
    }
    assert specs["bus.assistant.police"].config["cleanup.policy"] == "delete"
    assert specs["bus.service-updates"].partitions == 4
    assert specs["bus.service-updates"].config["unclean.leader.election.enable"] == "false"


def test_a_catalogue_built_in_python_is_checked_too() -> None:
    police = Authority(code="police", name="Police")
    with pytest.raises(ValidationError, match=r"routing.fallback: unknown authority 'nobody'"):
        Catalogue(authorities={"police": police}, routing=RoutingRules(fallback="nobody"))
    with pytest.raises(ValidationError, match="keyed 'tax' but its code is 'police'"):
        Catalogue(authorities={"tax": police})


# --- working hours ---------------------------------------------------------------------------

TALLINN = WorkingHours(timezone="Europe/Tallinn", open=time(9), close=time(17))


@pytest.mark.parametrize(
    ("at", "is_open"),
    [
        (datetime(2025, 6, 2, 6, 0, tzinfo=UTC), True),  # Monday 09:00 in summer (UTC+3)
        (datetime(2025, 6, 2, 5, 59, tzinfo=UTC), False),  # 08:59
        (datetime(2025, 6, 2, 14, 0, tzinfo=UTC), False),  # 17:00: close is exclusive
        (datetime(2025, 1, 6, 7, 0, tzinfo=UTC), True),  # Monday 09:00 in winter (UTC+2)
        (datetime(2025, 1, 6, 6, 30, tzinfo=UTC), False),  # 08:30 in winter
        (datetime(2025, 6, 7, 9, 0, tzinfo=UTC), False),  # Saturday
        (datetime(2025, 6, 2, 3, 0, tzinfo=ZoneInfo("America/New_York")), True),  # 10:00 Tallinn
    ],
)
def test_working_hours_are_read_in_the_authoritys_time_zone(at: datetime, is_open: bool) -> None:
    assert TALLINN.is_open(at) is is_open


def test_working_hours_accept_an_hour_without_a_leading_zero() -> None:
    hours = WorkingHours.model_validate({"timezone": "UTC", "open": "9:00", "close": "17:30"})
    assert hours.open == time(9) and hours.close == time(17, 30)


@pytest.mark.parametrize("zone", ["Europe/Talinn", "Europe", "", "+02:00"])
def test_working_hours_refuse_a_zone_that_is_not_an_iana_name(zone: str) -> None:
    with pytest.raises(ValidationError, match="unknown time zone"):
        WorkingHours.model_validate({"timezone": zone, "open": "09:00", "close": "17:00"})


def test_working_hours_refuse_a_naive_datetime() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        TALLINN.is_open(datetime(2025, 6, 2, 10, 0))


# --- errors name the file, the line and the problem ------------------------------------------


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        pytest.param(
            """
            authorities:
              - code: police
                name: Police: Board  # <-
            """,
            "YAML syntax error: mapping values are not allowed here",
            id="yaml-syntax",
        ),
        pytest.param(
            """
            authorities:
              - code: police
                name: Police
                servics: [passport-application]  # <-
            """,
            "authorities[0].servics: unknown key 'servics'",
            id="unknown-key",
        ),
        pytest.param(
            """
            authorities:
              - code: police
                name: Police
                name: Police and Border Guard Board  # <-
            """,
            "authorities[0].name: key 'name' appears twice",
            id="duplicate-yaml-key",
        ),
        pytest.param(
            """
            authorities:
              - code: police
                name: Police
              - code: police  # <-
                name: Police again
            """,
            "authorities[1].code: code 'police' is already used by authorities[0]",
            id="duplicate-authority-code",
        ),
        pytest.param(
            """
            authorities:
              - code: police
                name: Police and Border Guard Board
                services: [passport]
              - code: population-register
                name: Population Register
                services:
                  - name-change
                  - passport  # <-
            """,
            "authorities[1].services[1]: service 'passport' is owned by both police and "
            "population-register",
            id="service-owned-twice",
        ),
        pytest.param(
            """
            authorities:
              - code: police
                name: Police
                intents: [border]
              - code: tax-board
                name: Tax Board
                intents: [tax, border]  # <-
            """,
            "authorities[1].intents[1]: intent 'border' is owned by both police and tax-board",
            id="intent-owned-twice",
        ),
        pytest.param(
            """
            authorities:
              - code: police
                name: Police
            routing:
              services:
                passport-application: consulate  # <-
            """,
            "routing.services['passport-application']: unknown authority 'consulate' "
            "(known: police)",
            id="service-rule-unknown-authority",
        ),
        pytest.param(
            """
            authorities:
              - code: police
                name: Police
            routing:
              intents:
                - {match: border, authority: police}
                - {match: customs, authority: customs-board}  # <-
            """,
            "routing.intents[1].authority: unknown authority 'customs-board'",
            id="intent-rule-unknown-authority",
        ),
        pytest.param(
            """
            authorities:
              - code: police
                name: Police
            routing:
              fallback: population-register  # <-
            """,
            "routing.fallback: unknown authority 'population-register'",
            id="unknown-fallback",
        ),
        pytest.param(
            """
            authorities:
              - code: police
                name: Police
                working_hours:
                  timezone: Europe/Talinn  # <-
                  open: "09:00"
                  close: "17:00"
            """,
            "authorities[0].working_hours.timezone: unknown time zone 'Europe/Talinn'",
            id="bad-timezone",
        ),
        pytest.param(
            """
            authorities:
              - code: police
                name: Police
                working_hours:
                  timezone: Europe/Tallinn
                  open: "09:00"
                  close: 17:00  # <-
            """,
            'authorities[0].working_hours.close: write times in quotes, e.g. "17:00"',
            id="unquoted-time",
        ),
        pytest.param(
            """
            authorities:
              - code: police
                name: Police
                working_hours: {timezone: UTC, open: "17:00", close: "09:00"}  # <-
            """,
            "authorities[0].working_hours: open 17:00 must be before close 09:00",
            id="open-after-close",
        ),
        pytest.param(
            """
            authorities:
              - code: police
                name: Police
                inbox: bus inbox police  # <-
            """,
            "authorities[0].inbox: topic name 'bus inbox police' may only use letters",
            id="illegal-topic-chars",
        ),
        pytest.param(
            f"""
            topics:
              dead_letters: {"d" * 250}  # <-
            authorities: [{{code: police, name: Police}}]
            """,
            "topics.dead_letters: topic name 'ddd",
            id="topic-name-too-long",
        ),
        pytest.param(
            """
            topics:
              defaults:
                partitions: 0  # <-
            authorities: [{code: police, name: Police}]
            """,
            "topics.defaults.partitions: Input should be greater than or equal to 1",
            id="zero-partitions",
        ),
        pytest.param(
            """
            authorities:
              - code: police
                name: Police
              - code: border-guard
                name: Border Guard
                inbox: bus.inbox.police  # <-
            """,
            "authorities[1].inbox: topic 'bus.inbox.police' is also authorities[0].inbox",
            id="topic-used-twice",
        ),
        pytest.param(
            """
            authorities:
              - code: police
                name: Police
                assistant_topic: bus_inbox_police  # <-
            """,
            "authorities[0].assistant_topic: topic 'bus_inbox_police' collides with "
            "'bus.inbox.police'",
            id="topic-names-collide-on-dot-and-underscore",
        ),
        pytest.param(
            """
            topics:
              overrides:
                bus.deadleters: {retention_ms: 1000}  # <-
            authorities: [{code: police, name: Police}]
            """,
            "topics.overrides['bus.deadleters']: override for 'bus.deadleters', which is not "
            "a bus topic",
            id="override-for-unknown-topic",
        ),
        pytest.param(
            """
            authorities:
              - code: Tax Board  # <-
                name: Tax and Customs Board
            """,
            "authorities[0].code: 'Tax Board' is not a lower-case slug",
            id="code-not-a-slug",
        ),
        pytest.param(
            """
            authorities:
              - code: police  # <-
            """,
            "authorities[0].name: required key missing",
            id="missing-name",
        ),
        pytest.param(
            """
            authorities:
              - code: police
                name: Police
                webhook: ftp://police.example/hook  # <-
            """,
            "authorities[0].webhook: webhook 'ftp://police.example/hook' is not an http",
            id="webhook-not-http",
        ),
        pytest.param(
            """
            - code: police  # <-
            """,
            "(top level): Input should be a valid dictionary",
            id="not-a-mapping",
        ),
    ],
)
def test_a_bad_catalogue_is_rejected_naming_file_line_and_problem(
    tmp_path: Path, text: str, problem: str
) -> None:
    text = textwrap.dedent(text)
    line = next(n for n, row in enumerate(text.splitlines(), 1) if MARK in row)
    with pytest.raises(ConfigurationError) as raised:
        _load(tmp_path, text)
    assert f"{tmp_path / 'catalogue.yaml'}:{line}: {problem}" in str(raised.value)


def test_every_problem_is_reported_in_line_order(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as raised:
        _load(
            tmp_path,
            """
            authorities:
              - code: police
                name: Police
                colour: blue
              - code: tax-board
                nme: Tax Board
            """,
        )
    lines = str(raised.value).splitlines()
    assert [line.split(": ", 1)[0].rsplit(":", 1)[1] for line in lines] == ["5", "6", "7"]


@pytest.mark.parametrize(
    ("text", "problem"),
    [("", "the catalogue is empty"), ("authorities: []\n", "list at least one authority")],
)
def test_an_empty_catalogue_is_rejected(tmp_path: Path, text: str, problem: str) -> None:
    with pytest.raises(ConfigurationError, match=problem):
        _load(tmp_path, text)


def test_a_missing_catalogue_says_how_to_point_at_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="BUS_CATALOGUE or pass --catalogue"):
        load_catalogue(tmp_path / "nowhere.yaml")
