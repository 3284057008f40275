"""Which messages each topic of the bus carries, and what its Kafka key is.

The one place that says it: the router, the escalator and the auditor decide
at run time what they write where, and nothing else in the code lists it per
topic. Event types come from the contracts by family (``bus.schemas.types``),
so a new contract of a family shows up on its topics without an edit here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bus.audit.auditor import intake_topic
from bus.catalogue import Catalogue
from bus.schemas.contracts import Contract
from bus.schemas.types import (
    AUDIT_CHECKPOINT,
    AUDIT_RECORD,
    CASE_ACTION_REQUESTED,
    CONVERSATION,
    ESCALATION,
    HANDOFF_REQUESTED,
    INTENT_CLASSIFIED,
    MESSAGE_SENT,
    OFFICIAL_PRESENCE_CHANGED,
    SERVICE_REQUEST,
    SERVICE_REQUEST_CREATED,
)

EVENT_KEY = (
    "The conversation id (header.conversation_id), else the service request id "
    "(header.request_id): every event of a conversation lands in one partition, in order."
)


@dataclass(frozen=True)
class Carriage:
    """What one topic carries.

    ``types`` are contract names; ``cloudevents`` says whether its records carry
    the CloudEvents headers; ``dead_letters`` marks the topic whose records are
    other topics' records, kept as they were with the dead-letter headers added;
    ``scrubbed`` a sandbox's input (``bus.privacy.fields.scrubbed``).
    """

    summary: str
    types: tuple[str, ...]
    key: str = EVENT_KEY
    cloudevents: bool = True
    dead_letters: bool = False
    scrubbed: bool = False
    """Its events' free text is scrubbed and their other personal data pseudonymised."""


def _family(contracts: Iterable[str], prefix: str, *leave_out: str) -> tuple[str, ...]:
    return tuple(sorted(n for n in contracts if n.startswith(prefix) and n not in leave_out))


def carriages(catalogue: Catalogue, contracts: Mapping[str, Contract]) -> dict[str, Carriage]:
    """Every topic with contract messages, by name: the catalogue's, then the audit intake."""
    t = catalogue.topics
    conversation = _family(contracts, CONVERSATION, OFFICIAL_PRESENCE_CHANGED)
    updates = _family(contracts, SERVICE_REQUEST, SERVICE_REQUEST_CREATED)
    created = (SERVICE_REQUEST_CREATED,)
    found = {
        t.assistant_events: Carriage(
            "Chat assistants publish their conversations and service requests.",
            conversation + created,
        ),
        t.service_updates: Carriage(
            "Agency services publish the status of service requests.", updates
        ),
        t.dead_letters: Carriage(
            "What could not be decoded, routed or delivered: the original key, bytes and "
            "headers, plus headers saying why.",
            (),
            key="The original record's key.",
            cloudevents=False,
            dead_letters=True,
        ),
        t.audit: Carriage(
            "The hash-chained audit log (one chain per partition) and its signed checkpoints.",
            (AUDIT_RECORD, AUDIT_CHECKPOINT),
            key="record or checkpoint; the partition is the chain.",
            cloudevents=False,
        ),
        t.escalations: Carriage(
            "The escalator's cases for human officials.",
            _family(contracts, ESCALATION, CASE_ACTION_REQUESTED),
        ),
        t.escalation_actions: Carriage(
            "Officials' actions on cases, and the escalator's deadline checks.",
            (CASE_ACTION_REQUESTED,),
        ),
        t.presence: Carriage("Officials going on and off duty.", (OFFICIAL_PRESENCE_CHANGED,)),
    }
    for authority in catalogue.authorities.values():
        found[authority.inbox] = Carriage(
            f"The inbox of {authority.name}: the conversations it owns and the service "
            "requests for its services, read by its agency service.",
            conversation + created,
        )
        found[authority.assistant_topic] = Carriage(
            f"What the chat assistant of {authority.name} reads: conversations forwarded to "
            "it, officials' replies and the status of its service requests.",
            conversation + updates,
        )
    for box in catalogue.sandboxes:
        found[box.input] = Carriage(
            f"Sandbox {box.name}: the citizen turns of {box.authority} fed to candidate "
            f"{box.principal}, free text scrubbed and other personal data pseudonymised.",
            (MESSAGE_SENT,),
            scrubbed=True,
        )
        found[box.answers] = Carriage(
            f"Sandbox {box.name}: what candidate {box.principal} answers; it reaches no citizen.",
            (HANDOFF_REQUESTED, INTENT_CLASSIFIED, MESSAGE_SENT),
        )
    found[intake_topic(catalogue)] = Carriage(
        "Unchained audit records waiting for the writer of their chain (partition n feeds "
        "chain n).",
        (AUDIT_RECORD,),
        key="The source record's topic:partition.",
        cloudevents=False,
    )
    return found
