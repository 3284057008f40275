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

Workers: ``bus worker`` runs the agents ``BUS_AGENTS`` selects; one worker
per role runs under that role's principal (``ROLES``). Each gets exactly the
topics ``bus.catalogue.agent_topics`` says its agents use, CREATE only on topics
outside the catalogue (the catalogue's are the admin's, ``bus topics apply``),
and everything starting with its app id (the worker's changelogs, group and
transactional ids): ``settings.app_id`` for the router, an app id
starting with the principal's name for the others (``BUS_APP_ID=auditor``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import IntEnum

from bus.catalogue import Catalogue
from bus.catalogue.agent_topics import agent_topics
from bus.settings import Settings

ROLES: dict[str, tuple[str, ...]] = {
    "router": ("router", "echo"),
    "auditor": ("auditor", "sandbox"),
    "escalator": ("escalator",),
}
"""The worker roles: principal name -> the agents its worker runs (``BUS_AGENTS``)."""

COMPONENTS: dict[str, str] = {
    "registry": "registry",
    "officials": "officials",
    "gateway": "gateway",
    "webhooks": "gateway",
}
"""The principal each long-running command other than the worker runs as."""
ASSISTANT = "assistant-{code}"
"""An authority's chat assistant's principal (also a Rasa bridge's, which speaks for it)."""
SERVICE = "service-{code}"
"""An authority's agency service's principal."""


def worker_app_id(role: str, settings: Settings) -> str:
    """A role's ``BUS_APP_ID``: the router's is the bus's; the others' their own name, so
    their groups, changelogs and transactional ids start with their principal's name."""
    return settings.app_id if role == "router" else role


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

    def may_read(self, topic: str) -> bool:
        return self.may(Operation.READ, topic)

    def may(self, operation: Operation, topic: str) -> bool:
        """Whether its bindings let it ``operation`` on ``topic``, as Kafka's authorizer
        decides: that operation or ALL, on the literal name or a prefix of it."""
        return any(
            binding.resource == Resource.TOPIC
            and binding.operation in (operation, Operation.ALL)
            and (
                topic == binding.name
                if binding.pattern == Pattern.LITERAL
                else topic.startswith(binding.name)
            )
            for binding in self.bindings
        )


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


def principals(catalogue: Catalogue, settings: Settings) -> list[Principal]:
    """Every principal of the bus with the bindings the catalogue implies."""
    t = catalogue.topics
    authorities = list(catalogue.authorities.values())
    inboxes = [a.inbox for a in authorities]
    assistants = [a.assistant_topic for a in authorities]
    found: list[Principal] = []
    for a in authorities:
        name = SERVICE.format(code=a.code)
        grants = _Grants(name).topics(Operation.READ, a.inbox)
        grants.topics(Operation.WRITE, t.service_updates, t.dead_letters).group_prefix(name)
        found.append(grants.build(name, f"agency service of {a.name}: reads its inbox"))
    for a in authorities:
        name = ASSISTANT.format(code=a.code)
        grants = _Grants(name).topics(Operation.READ, a.assistant_topic)
        grants.topics(Operation.WRITE, t.assistant_events, t.dead_letters).group_prefix(name)
        found.append(grants.build(name, f"chat assistant of {a.name}: reads its replies"))
    found += [
        _worker("router", catalogue, settings),
        _worker("auditor", catalogue, settings),
        _Grants("audit-reader")
        .topics(Operation.READ, t.audit, *catalogue.audited_topics())
        .group_prefix("audit-reader")
        .build("audit-reader", "auditors: replay the audit log and the events"),
        _worker("escalator", catalogue, settings),
        _Grants(officials := COMPONENTS["officials"])
        .topics(Operation.READ, t.escalations, t.assistant_events, *assistants, t.presence)
        .topics(Operation.WRITE, t.escalation_actions, t.presence)
        .group_prefix(officials)
        .build(officials, "bus component: the officials' API and console"),
        _registry(settings),
        _Grants(gateway := COMPONENTS["gateway"])
        .topics(Operation.WRITE, t.assistant_events, t.service_updates, t.dead_letters)
        .topics(Operation.READ, *assistants, *inboxes)
        .group_prefix(gateway)
        .build(gateway, "bus component: HTTP gateway and webhooks for non-Kafka parties"),
    ]
    for box in catalogue.sandboxes:
        found.append(
            _Grants(box.principal)
            .topics(Operation.READ, box.input)
            .topics(Operation.WRITE, box.answers)
            .group_prefix(box.principal)
            .build(box.principal, f"candidate assistant of sandbox {box.name}: answers no citizen")
        )
    return found


WORKER_ROLES = {
    "router": "bus component: the worker's router and echo processors (BUS_AGENTS=router,echo)",
    "auditor": "bus component: writes the audit log and feeds the sandboxes "
    "(BUS_AGENTS=auditor,sandbox, BUS_APP_ID=auditor)",
    "escalator": "bus component: escalation cases for human officials "
    "(BUS_AGENTS=escalator, BUS_APP_ID=escalator)",
}


def _worker(name: str, catalogue: Catalogue, settings: Settings) -> Principal:
    """A worker role: its agents' topics, and everything named after its app id.

    The worker names its changelog topics and, under ``exactly_once``, its
    transactional ids after the app id, which is also the consumer group.
    """
    app_id = worker_app_id(name, settings)
    on_catalogue = {spec.name for spec in catalogue.topic_specs()}
    grants = _Grants(name)
    role = settings.model_copy(update={"app_id": app_id})
    for agent in ROLES[name]:
        topics = agent_topics(agent, role, catalogue)

        def others(names: Iterable[str]) -> list[str]:
            # Its changelogs start with the app id: the prefixed grant below covers them.
            return [n for n in names if not n.startswith(f"{app_id}-")]

        grants.topics(Operation.READ, *others(topics.reads))
        grants.topics(Operation.WRITE, *others(topics.writes))
        own = [spec.name for spec in topics.own if spec.name not in on_catalogue]
        grants.topics(Operation.CREATE, *others(own))
    grants.add(Resource.TOPIC, app_id, Pattern.PREFIXED, Operation.ALL)
    grants.add(
        Resource.GROUP,
        app_id,
        Pattern.PREFIXED if app_id == name else Pattern.LITERAL,
        Operation.READ,
    )
    for operation in (Operation.WRITE, Operation.DESCRIBE):
        grants.add(Resource.TRANSACTIONAL_ID, app_id, Pattern.PREFIXED, operation)
    return grants.build(name, WORKER_ROLES[name])


def _registry(settings: Settings) -> Principal:
    name = COMPONENTS["registry"]
    grants = _Grants(name)
    for operation in (
        Operation.READ,
        Operation.WRITE,
        Operation.CREATE,
        Operation.DESCRIBE_CONFIGS,
    ):
        grants.topics(operation, settings.registry_topic)
    return grants.build(name, "bus component: the schema registry's topic")


def all_bindings(found: list[Principal]) -> list[Binding]:
    return sorted({binding for principal in found for binding in principal.bindings})
