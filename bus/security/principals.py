"""The bus's principals and exactly what each may do, computed from the catalogue.

Pure functions: ``principals(catalogue, settings)`` says who exists and which
ALLOW bindings each needs; ``bus.security.apply`` puts them on the cluster.
Everything not granted here is denied (the brokers run with
``allow.everyone.if.no.acl.found=false``); only the super user creates, alters
or deletes topics and ACLs. READ and WRITE imply DESCRIBE in Kafka, and WRITE
implies the idempotent producer's IDEMPOTENT_WRITE, so neither is listed.

Consumer groups: a principal may join only groups whose id starts with its
own name (``service-tax-board``, ``service-tax-board-webhooks``, ...); the
router uses the worker's ``app_id``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

from bus.catalogue import Catalogue
from bus.settings import Settings

AUDIT_TOPIC = "bus.audit"
ESCALATION_TOPIC = "bus.escalations"


class Resource(IntEnum):
    TOPIC = 2
    GROUP = 3
    CLUSTER = 4
    TRANSACTIONAL_ID = 5


class Pattern(IntEnum):
    LITERAL = 3
    PREFIXED = 4


class Operation(IntEnum):
    ALL = 2
    READ = 3
    WRITE = 4
    CREATE = 5
    DESCRIBE = 8
    DESCRIBE_CONFIGS = 10


@dataclass(frozen=True, order=True)
class Binding:
    """One ALLOW rule for any host: ``principal`` may ``operation`` on the resource."""

    principal: str
    resource: int
    name: str
    pattern: int
    operation: int

    def describe(self) -> str:
        kind = Resource(self.resource).name.lower()
        prefix = "*" if self.pattern == Pattern.PREFIXED else ""
        return f"{self.principal} {Operation(self.operation).name} {kind} {self.name}{prefix}"


@dataclass(frozen=True)
class Principal:
    """A SCRAM user of the bus and why it exists."""

    name: str
    role: str
    bindings: tuple[Binding, ...] = field(default=())

    @property
    def principal(self) -> str:
        return f"User:{self.name}"


class _Grants:
    """Collects one principal's bindings without repeats."""

    def __init__(self, name: str) -> None:
        self.principal = f"User:{name}"
        self.found: set[Binding] = set()

    def topics(self, operation: Operation, *names: str) -> _Grants:
        for name in names:
            self.add(Resource.TOPIC, name, Pattern.LITERAL, operation)
        return self

    def group_prefix(self, prefix: str) -> _Grants:
        return self.add(Resource.GROUP, prefix, Pattern.PREFIXED, Operation.READ)

    def add(self, resource: Resource, name: str, pattern: Pattern, op: Operation) -> _Grants:
        self.found.add(Binding(self.principal, resource, name, pattern, op))
        return self

    def build(self, name: str, role: str) -> Principal:
        return Principal(name, role, tuple(sorted(self.found)))


def principals(
    catalogue: Catalogue,
    settings: Settings,
    *,
    audit_topic: str = AUDIT_TOPIC,
    escalation_topic: str = ESCALATION_TOPIC,
) -> list[Principal]:
    """Every principal of the bus with the bindings the catalogue implies."""
    t = catalogue.topics
    authorities = list(catalogue.authorities.values())
    inboxes = [a.inbox for a in authorities]
    assistants = [a.assistant_topic for a in authorities]
    events = [t.assistant_events, t.service_updates, *inboxes, *assistants, escalation_topic]
    found: list[Principal] = []
    for a in authorities:
        name = f"service-{a.code}"
        grants = _Grants(name).topics(Operation.READ, a.inbox)
        grants.topics(Operation.WRITE, t.service_updates, t.dead_letters).group_prefix(name)
        found.append(grants.build(name, f"agency service of {a.name}: reads its inbox"))
    for a in authorities:
        name = f"assistant-{a.code}"
        grants = _Grants(name).topics(Operation.READ, a.assistant_topic)
        grants.topics(Operation.WRITE, t.assistant_events, t.dead_letters).group_prefix(name)
        found.append(grants.build(name, f"chat assistant of {a.name}: reads its replies"))
    found += [
        _router(catalogue, settings),
        _Grants("auditor")
        .topics(Operation.READ, *events, audit_topic)
        .topics(Operation.WRITE, audit_topic)
        .topics(Operation.CREATE, audit_topic)
        .group_prefix("auditor")
        .build("auditor", "bus component: writes the audit log"),
        _Grants("audit-reader")
        .topics(Operation.READ, audit_topic, *events)
        .group_prefix("audit-reader")
        .build("audit-reader", "auditors: replay the audit log and the events"),
        _Grants("escalator")
        .topics(Operation.READ, t.assistant_events, escalation_topic)
        .topics(Operation.WRITE, escalation_topic, *assistants, t.dead_letters)
        .topics(Operation.CREATE, escalation_topic)
        .group_prefix("escalator")
        .build("escalator", "bus component: escalation cases for human officials"),
        _registry(settings),
        _Grants("gateway")
        .topics(Operation.WRITE, t.assistant_events, t.service_updates, t.dead_letters)
        .topics(Operation.READ, *assistants, *inboxes)
        .group_prefix("gateway")
        .build("gateway", "bus component: HTTP gateway and webhooks for non-Kafka parties"),
    ]
    return found


def _router(catalogue: Catalogue, settings: Settings) -> Principal:
    """The worker: reads what assistants and services publish, writes every inbox and reply.

    Its own topics (changelogs, Faust's leader topic) start with the app id,
    as do its transactional ids under ``exactly_once``.
    """
    t = catalogue.topics
    outputs = [a.inbox for a in catalogue.authorities.values()]
    outputs += [a.assistant_topic for a in catalogue.authorities.values()]
    grants = _Grants("router")
    grants.topics(Operation.READ, t.assistant_events, t.service_updates, settings.heartbeat_topic)
    grants.topics(Operation.WRITE, *outputs, t.dead_letters, settings.echo_topic)
    grants.topics(Operation.CREATE, settings.heartbeat_topic, settings.echo_topic)
    grants.add(Resource.TOPIC, settings.app_id, Pattern.PREFIXED, Operation.ALL)
    grants.add(Resource.GROUP, settings.app_id, Pattern.LITERAL, Operation.READ)
    for operation in (Operation.WRITE, Operation.DESCRIBE):
        grants.add(Resource.TRANSACTIONAL_ID, settings.app_id, Pattern.PREFIXED, operation)
    return grants.build("router", "bus component: the worker's router and echo agents")


def _registry(settings: Settings) -> Principal:
    grants = _Grants("registry")
    for operation in (
        Operation.READ,
        Operation.WRITE,
        Operation.CREATE,
        Operation.DESCRIBE_CONFIGS,
    ):
        grants.topics(operation, settings.registry_topic)
    return grants.build("registry", "bus component: the schema registry's topic")


def all_bindings(found: list[Principal]) -> list[Binding]:
    return sorted({binding for principal in found for binding in principal.bindings})
