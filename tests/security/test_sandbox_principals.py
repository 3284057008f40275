"""A sandbox's candidate principal: its input to read, its answers to write, nothing else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bus.catalogue import Catalogue, load_catalogue
from bus.catalogue.agent_topics import agent_topics
from bus.catalogue.sandbox import RESERVED_PREFIXES, RESERVED_PRINCIPALS, Sandbox
from bus.security.principals import Operation, Resource, principals
from bus.settings import Settings

SETTINGS = Settings(app_id="agency-bus")
EXAMPLE = load_catalogue(SETTINGS.catalogue)
BOX = Sandbox(
    name="police-v2",
    authority="police",
    principal="candidate-police-v2",
    ends=datetime.now(UTC) + timedelta(days=30),
)
CATALOGUE = Catalogue.model_validate({**dict(EXAMPLE), "sandboxes": (BOX,)})


def test_the_candidate_may_read_only_its_input_and_write_only_its_answers() -> None:
    found = {p.name: p for p in principals(CATALOGUE, SETTINGS)}
    grants = {
        (Operation(b.operation).name, b.name)
        for b in found["candidate-police-v2"].bindings
        if b.resource == Resource.TOPIC
    }
    assert grants == {("READ", BOX.input), ("WRITE", BOX.answers)}


def test_the_auditor_role_feeds_the_sandbox_inputs_and_reads_the_answers() -> None:
    topics = agent_topics("sandbox", SETTINGS, CATALOGUE)
    assert set(topics.writes) == {BOX.input, CATALOGUE.topics.dead_letters}
    assert set(topics.reads) == {CATALOGUE.topics.assistant_events, BOX.answers}
    assert agent_topics("sandbox", SETTINGS, EXAMPLE).reads == ()


def test_every_principal_of_the_bus_is_reserved_from_candidates() -> None:
    for principal in principals(EXAMPLE, SETTINGS):
        assert principal.name in RESERVED_PRINCIPALS or principal.name.startswith(
            RESERVED_PREFIXES
        ), principal.name
