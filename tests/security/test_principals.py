"""The principals and bindings computed from the catalogue, without a broker."""

from __future__ import annotations

from bus.catalogue import load_catalogue
from bus.catalogue.agent_topics import agent_topics
from bus.security.apply import plan
from bus.security.principals import (
    ROLES,
    Binding,
    Operation,
    Pattern,
    Principal,
    Resource,
    all_bindings,
    principals,
)
from bus.settings import Settings

SETTINGS = Settings(app_id="agency-bus")
CATALOGUE = load_catalogue(SETTINGS.catalogue)
FOUND = {principal.name: principal for principal in principals(CATALOGUE, SETTINGS)}
AUDIT_TOPIC = CATALOGUE.topics.audit


def _topic_grants(principal: Principal) -> set[tuple[str, str]]:
    return {
        (Operation(b.operation).name, b.name)
        for b in principal.bindings
        if b.resource == Resource.TOPIC
    }


def test_there_is_one_principal_per_authority_service_and_assistant_and_per_component() -> None:
    codes = list(CATALOGUE.authorities)
    expected = {f"service-{code}" for code in codes} | {f"assistant-{code}" for code in codes}
    expected |= {
        "router",
        "auditor",
        "audit-reader",
        "escalator",
        "officials",
        "registry",
        "gateway",
    }
    assert set(FOUND) == expected


def test_an_agency_service_reads_only_its_inbox_and_writes_status_updates() -> None:
    assert _topic_grants(FOUND["service-tax-board"]) == {
        ("READ", "bus.inbox.tax-board"),
        ("WRITE", "bus.service-updates"),
        ("WRITE", "bus.deadletters"),  # the subscriber dead-letters what it cannot decode
    }
    groups = [b for b in FOUND["service-tax-board"].bindings if b.resource == Resource.GROUP]
    assert [(g.name, g.pattern) for g in groups] == [("service-tax-board", Pattern.PREFIXED)]


def test_an_assistant_writes_its_events_and_reads_only_its_own_replies() -> None:
    assert _topic_grants(FOUND["assistant-police"]) == {
        ("READ", "bus.assistant.police"),
        ("WRITE", "bus.assistant-events"),
        ("WRITE", "bus.deadletters"),
    }


def test_only_the_auditor_writes_the_audit_topic_and_only_auditors_read_it() -> None:
    on_audit = [b for b in all_bindings(list(FOUND.values())) if b.name == AUDIT_TOPIC]
    writers = {b.principal for b in on_audit if b.operation != Operation.READ}
    readers = {b.principal for b in on_audit if b.operation == Operation.READ}
    assert writers == {"User:auditor"}
    assert readers == {"User:auditor", "User:audit-reader"}


def test_the_router_reads_what_assistants_and_services_publish_and_writes_every_inbox() -> None:
    grants = _topic_grants(FOUND["router"])
    assert ("READ", "bus.assistant-events") in grants
    assert ("READ", "bus.service-updates") in grants
    for authority in CATALOGUE.authorities.values():
        assert ("WRITE", authority.inbox) in grants
        assert ("WRITE", authority.assistant_topic) in grants
        assert ("READ", authority.inbox) not in grants
    internal = Binding("User:router", Resource.TOPIC, "agency-bus", Pattern.PREFIXED, Operation.ALL)
    assert internal in FOUND["router"].bindings


def test_no_principal_may_alter_or_delete_a_catalogue_topic() -> None:
    catalogue_topics = {spec.name for spec in CATALOGUE.topic_specs()}
    for binding in all_bindings(list(FOUND.values())):
        if binding.resource == Resource.TOPIC and binding.name in catalogue_topics:
            assert binding.operation in (Operation.READ, Operation.WRITE), binding.describe()
            assert binding.pattern == Pattern.LITERAL


def test_the_plan_adds_only_what_is_missing_and_nothing_once_applied() -> None:
    wanted = list(FOUND.values())
    every = set(all_bindings(wanted))
    first = plan(wanted, users=set(), bindings=set(), admin_user="admin")
    assert set(first.new_bindings) == every and set(first.new_users) == set(FOUND)
    done = plan(wanted, users=set(FOUND), bindings=every, admin_user="admin")
    assert done.changes == 0 and done.extra_bindings == []
    stray = Binding("User:gateway", Resource.TOPIC, "bus.inbox.police", Pattern.LITERAL, 4)
    extra = plan(wanted, users=set(FOUND), bindings=every | {stray}, admin_user="admin")
    assert extra.changes == 0 and extra.extra_bindings == [stray]


def test_each_worker_role_may_use_exactly_the_topics_of_its_agents() -> None:
    for role, agents in ROLES.items():
        app_id = SETTINGS.app_id if role == "router" else role
        settings = SETTINGS.model_copy(update={"app_id": app_id})
        wanted: set[tuple[str, str]] = set()
        for agent in agents:
            topics = agent_topics(agent, settings, CATALOGUE)
            wanted |= {("READ", name) for name in topics.reads}
            wanted |= {("WRITE", name) for name in topics.writes}
            wanted |= {("CREATE", spec.name) for spec in topics.own}
        # its changelogs: under the grant of everything starting with its app id
        wanted = {(op, name) for op, name in wanted if not name.startswith(f"{app_id}-")}
        assert _topic_grants(FOUND[role]) - {("ALL", SETTINGS.app_id), ("ALL", role)} == wanted


def test_the_auditor_alone_creates_its_intake_topic_and_the_escalator_creates_nothing() -> None:
    intake = f"{AUDIT_TOPIC}-intake"
    creators = {
        b.principal
        for b in all_bindings(list(FOUND.values()))
        if b.operation in (Operation.CREATE, Operation.ALL) and b.name == intake
    }
    assert creators == {"User:auditor"}
    assert {op for op, _ in _topic_grants(FOUND["escalator"]) if op == "CREATE"} == set()


def test_the_auditor_and_escalator_workers_own_what_starts_with_their_name() -> None:
    for role in ("auditor", "escalator"):
        internal = Binding(f"User:{role}", Resource.TOPIC, role, Pattern.PREFIXED, Operation.ALL)
        group = Binding(f"User:{role}", Resource.GROUP, role, Pattern.PREFIXED, Operation.READ)
        assert {internal, group} <= set(FOUND[role].bindings)


def test_may_read_follows_literal_and_prefixed_grants_as_the_authorizer_does() -> None:
    service = FOUND["service-tax-board"]
    assert service.may_read("bus.inbox.tax-board")
    assert not service.may_read("bus.inbox.tax-board-2")
    assert not service.may_read("bus.service-updates")  # it writes there, reads nothing
    assert service.may(Operation.WRITE, "bus.service-updates")
    auditor = FOUND["auditor"]
    assert auditor.may_read("auditor-anything")  # ALL on its prefix implies READ
    assert auditor.may(Operation.WRITE, "auditor-anything")
    assert not FOUND["registry"].may_read("bus.inbox.tax-board")
