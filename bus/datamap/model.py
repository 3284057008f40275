"""The data map: every personal-data field, the topics it travels on, who may read each.

Pure, and from the sources the running bus itself uses, so the map cannot
drift from it: the contracts' ``"pii"`` and ``"free_text"`` marks; which
contracts each topic carries (``bus.asyncapi.topics``, where the routing
rules send each family of events); each topic's retention (the catalogue's
specs); and the principals with exactly the ACLs ``bus acl apply`` sets
(``bus.security.principals``). A field is on a topic in one of three forms:
in clear where its event is carried; pseudonymised (HMAC) in the audit log
and its intake, for every audited topic; and in clear inside a dead letter
when a principal that reads its topic may give up on a record there. A
sandbox's input carries free text ``SCRUBBED`` (``bus.privacy``) and the other
personal data pseudonymised (``bus replay --scrub`` does the same off Kafka).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bus.asyncapi.topics import carriages
from bus.audit.auditor import audit_specs, intake_topic
from bus.catalogue import Catalogue
from bus.catalogue.agent_topics import STORE_HOLDS, changelog_spec
from bus.kafka.admin import TopicSpec
from bus.schemas.contracts import Contract
from bus.schemas.types import short_name
from bus.security.principals import Operation, Principal, principals, worker_app_id
from bus.settings import Settings


class Form(StrEnum):
    """How a field's value is on a topic; ``EXPOSURE`` orders them, most exposed first."""

    CLEAR = "clear"
    DEAD_LETTER = "clear in dead letters"
    """The original bytes of a record its reader could not process: only some records."""
    SCRUBBED = "scrubbed"
    """Identifiers in the text replaced by ``bus.privacy``'s scrubber."""
    PSEUDONYMISED = "pseudonymised"
    """Only the keyed HMAC of the value (the audit log's pseudonym), never the value."""


EXPOSURE: tuple[Form, ...] = tuple(Form)


@dataclass(frozen=True)
class Topic:
    """A topic with personal data: how long it keeps records, and who may read them.

    ``retention_ms`` None means the broker's default (the topic sets none);
    -1 keeps records forever.
    """

    name: str
    summary: str
    retention_ms: int | None
    cleanup_policy: str
    readers: tuple[str, ...]

    @property
    def retention(self) -> str:
        return retention_text(self.retention_ms)


@dataclass(frozen=True)
class Passage:
    """A field on one topic, in one form."""

    topic: str
    form: Form


@dataclass(frozen=True)
class Reader:
    """A principal of the bus (a SCRAM user) and why it exists."""

    name: str
    role: str


@dataclass(frozen=True)
class PersonalField:
    """One field a contract marks ``"pii": true``, at its path (``contact.email``)."""

    contract: str
    path: str
    doc: str
    free_text: bool
    passages: tuple[Passage, ...]

    @property
    def label(self) -> str:
        """``MessageSent.text``: the short event name and the path."""
        return f"{short_name(self.contract)}.{self.path}"

    def topics(self, form: Form) -> tuple[str, ...]:
        return tuple(p.topic for p in self.passages if p.form == form)


@dataclass(frozen=True)
class DataMap:
    """Personal-data fields by topic and reader; ``unplaced`` are fields of contracts no
    topic carries (kept only inside another record, e.g. a dead letter's bytes);
    ``quiet`` the bus's other topics, which carry no personal data (the workers'
    state changelogs and the registry's topic included), so the map accounts for all."""

    topics: tuple[Topic, ...]
    readers: tuple[Reader, ...]
    fields: tuple[PersonalField, ...]
    unplaced: tuple[str, ...]
    quiet: tuple[Topic, ...] = ()

    def topic(self, name: str) -> Topic:
        return next(topic for topic in self.topics if topic.name == name)

    def field(self, label: str) -> PersonalField:
        return next(field for field in self.fields if field.label == label)

    def readable(self, reader: str, topic: str) -> bool:
        return reader in self.topic(topic).readers

    def access(self, field: PersonalField, reader: str) -> Form | None:
        """The most exposed form in which ``reader`` may read ``field``; None: not at all."""
        forms = {p.form for p in field.passages if self.readable(reader, p.topic)}
        return next((form for form in EXPOSURE if form in forms), None)

    def routes(self) -> list[tuple[tuple[PersonalField, ...], tuple[Passage, ...]]]:
        """The fields grouped by the topics and forms they travel in, in field order: the
        fields of one event family share a route, so the panel reads each route once."""
        grouped: dict[tuple[Passage, ...], list[PersonalField]] = {}
        for field in self.fields:
            grouped.setdefault(field.passages, []).append(field)
        return [(tuple(fields), passages) for passages, fields in grouped.items()]

    def to_json(self) -> dict[str, Any]:
        """Plain JSON for tools: the topics, readers and fields, with each field's access."""
        return {
            "forms": {form.name.lower(): form.value for form in EXPOSURE},
            "topics": [
                {
                    "name": t.name,
                    "summary": t.summary,
                    "retention_ms": t.retention_ms,
                    "retention": t.retention,
                    "cleanup_policy": t.cleanup_policy,
                    "readers": list(t.readers),
                }
                for t in self.topics
            ],
            "readers": [{"name": r.name, "role": r.role} for r in self.readers],
            "fields": [
                {
                    "field": f.label,
                    "contract": f.contract,
                    "path": f.path,
                    "doc": f.doc,
                    "free_text": f.free_text,
                    "passages": [{"topic": p.topic, "form": p.form.value} for p in f.passages],
                    "pseudonymised_on": list(f.topics(Form.PSEUDONYMISED)),
                    "scrubbed_on": list(f.topics(Form.SCRUBBED)),
                    "access": {
                        r.name: form.value
                        for r in self.readers
                        if (form := self.access(f, r.name)) is not None
                    },
                }
                for f in self.fields
            ],
            "unplaced": list(self.unplaced),
            "without_personal_data": [
                {"name": t.name, "summary": t.summary, "readers": list(t.readers)}
                for t in self.quiet
            ],
        }


def data_map(
    catalogue: Catalogue, contracts: Mapping[str, Contract], settings: Settings
) -> DataMap:
    """The data map of the bus that ``catalogue``, ``contracts`` and ``settings`` describe."""
    carried = carriages(catalogue, contracts)
    found = principals(catalogue, settings)
    dead_letters = catalogue.topics.dead_letters
    audited = set(catalogue.audited_topics())
    audit_log = (catalogue.topics.audit, intake_topic(catalogue))
    gives_up = {t for t in carried if _dead_letters_from(t, found, dead_letters)}

    fields: list[PersonalField] = []
    unplaced: list[str] = []
    for name, contract in sorted(contracts.items(), key=lambda item: short_name(item[0])):
        carrying = [topic for topic, carriage in carried.items() if name in carriage.types]
        clear = [topic for topic in carrying if not carried[topic].scrubbed]
        scrubbed = [topic for topic in carrying if carried[topic].scrubbed]
        for path in contract.pii_fields:
            passages = [Passage(topic, Form.CLEAR) for topic in clear]
            hidden = Form.SCRUBBED if path in contract.free_text_fields else Form.PSEUDONYMISED
            passages += [Passage(topic, hidden) for topic in scrubbed]
            if any(topic in gives_up for topic in clear):
                passages.append(Passage(dead_letters, Form.DEAD_LETTER))
            if audited & {p.topic for p in passages if p.form is not Form.PSEUDONYMISED}:
                passages += [Passage(topic, Form.PSEUDONYMISED) for topic in audit_log]
            field = PersonalField(
                contract=name,
                path=path,
                doc=field_doc(contract.schema, path),
                free_text=path in contract.free_text_fields,
                passages=tuple(passages),
            )
            if passages:
                fields.append(field)
            else:
                unplaced.append(field.label)

    used = {p.topic for field in fields for p in field.passages}
    specs = {spec.name: spec for spec in [*catalogue.topic_specs(), *audit_specs(catalogue)]}
    topics = tuple(
        _topic(name, carried[name].summary, specs[name], found) for name in carried if name in used
    )
    quiet = [
        (carried[name].summary, specs.get(name, TopicSpec(name)))
        for name in carried
        if name not in used
    ]
    for agent, held in STORE_HOLDS.items():  # under its role's app id, as `bus acl apply` has it
        role = settings.model_copy(update={"app_id": worker_app_id(agent, settings)})
        quiet.append((held, changelog_spec(role, catalogue, agent)))
    registry = TopicSpec(settings.registry_topic, 1, config={"cleanup.policy": "compact"})
    quiet.append((REGISTRY_HOLDS, registry))
    return DataMap(
        topics=topics,
        readers=tuple(Reader(p.name, p.role) for p in found),
        fields=tuple(fields),
        unplaced=tuple(unplaced),
        quiet=tuple(_topic(spec.name, summary, spec, found) for summary, spec in quiet),
    )


REGISTRY_HOLDS = (
    "The schema registry's schemas, subjects and compatibility levels (the schemas of the "
    "events, never an event)."
)


def _dead_letters_from(topic: str, found: list[Principal], dead_letters: str) -> bool:
    """Whether a record of ``topic`` may end up in the dead letters: one of its readers
    may write there, and that is where a reader puts what it cannot process."""
    return topic != dead_letters and any(
        p.may_read(topic) and p.may(Operation.WRITE, dead_letters) for p in found
    )


def _topic(name: str, summary: str, spec: TopicSpec, found: list[Principal]) -> Topic:
    retention = spec.config.get("retention.ms")
    return Topic(
        name=name,
        summary=summary,
        retention_ms=int(retention) if retention is not None else None,
        cleanup_policy=spec.config.get("cleanup.policy", "delete"),
        readers=tuple(p.name for p in found if p.may_read(name)),
    )


def field_doc(schema: Mapping[str, Any], path: str) -> str:
    """The ``doc`` of the field at ``path``, through nested records, unions, arrays and maps;
    of the nearest enclosing field where a named type is referenced rather than inlined."""
    doc, current = "", schema
    for name in path.replace("[]", "").replace("{}", "").split("."):
        record = _record_of(current)
        field = next((f for f in record.get("fields", []) if f.get("name") == name), None)
        if field is None:
            break
        doc, current = str(field.get("doc", doc)), field.get("type")
    return doc


def _record_of(schema: Any) -> Mapping[str, Any]:
    if isinstance(schema, list):
        return next((r for branch in schema if (r := _record_of(branch))), {})
    if isinstance(schema, dict):
        if schema.get("type") == "record":
            return schema
        for key in ("items", "values"):
            if key in schema:
                return _record_of(schema[key])
    return {}


def retention_text(retention_ms: int | None) -> str:
    """``7 days``, ``forever``, ``12 hours``: a retention a person reads at a glance."""
    if retention_ms is None:
        return "broker default"
    if retention_ms < 0:
        return "forever"
    for unit, size in (("day", 86_400_000), ("hour", 3_600_000), ("minute", 60_000)):
        if retention_ms >= size and retention_ms % size == 0:
            count = retention_ms // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{retention_ms} ms"
