"""The routing decision for one event: plain logic, no Kafka.

- A service request goes to the inbox of the authority owning its service.
- A status update goes back to the assistant of the authority that started
  the request.
- A conversation event goes to the inbox of the authority that owns the
  conversation. When an intent owned by another authority is classified (or
  an assistant redirects), the router emits ``Redirected`` and forwards the
  conversation: the new owner's assistant receives the citizen's events, and
  the hosting assistant receives the new owner's replies.
- What cannot be routed gets a dead-letter reason.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Literal

from bus.catalogue import Authority, Catalogue
from bus.routing.state import Remembered, SubjectState
from bus.schemas.event import Event, new_event
from bus.schemas.types import CONVERSATION, REDIRECTED, SERVICE_REQUEST
from bus.schemas.types import INTENT_CLASSIFIED as INTENT
from bus.schemas.types import SERVICE_REQUEST_CREATED as CREATED

Origin = Literal["assistant", "service"]
ROUTER_SOURCE = "bus:router"


@dataclass(frozen=True)
class Delivery:
    """Send ``event`` to ``topic``; ``event`` None means the incoming bytes, unchanged."""

    topic: str
    event: Event | None = None


@dataclass
class Decision:
    deliveries: list[Delivery] = field(default_factory=list)
    dead_letter: str | None = None
    error: str = ""
    duplicate: bool = False

    @classmethod
    def reject(cls, reason: str, error: str) -> Decision:
        return cls(dead_letter=reason, error=error)


def route(
    event: Event,
    origin: Origin,
    state: SubjectState,
    catalogue: Catalogue,
    position: str,
) -> Decision:
    """Decide where ``event``, read at ``position``, goes; updates ``state`` in place.

    An event id seen before at another position is a duplicate and is dropped;
    at the same position the earlier decision is repeated, so a router that
    crashed between writing its state and its deliveries loses nothing.
    """
    event_id = event.id or ""
    earlier = state.recent.get(event_id)
    if earlier is not None:
        if earlier.position != position:
            return Decision(duplicate=True)
        return _repeat(event, earlier, state, catalogue)
    host, owner = state.host, state.owner
    decision = _decide(event, origin, state, catalogue)
    if decision.dead_letter is None:
        state.remember(event_id, _remembered(decision, position))
    else:  # a rejected event leaves no trace: later events of the batch see the stored state
        state.host, state.owner = host, owner
    return decision


def _decide(event: Event, origin: Origin, state: SubjectState, catalogue: Catalogue) -> Decision:
    if event.type == CREATED:
        decision = _service_request(event, state, catalogue)
    elif event.type.startswith(SERVICE_REQUEST):
        decision = _status_update(event, state, catalogue)
    elif event.type.startswith(CONVERSATION) and origin == "assistant":
        decision = _conversation(event, state, catalogue)
    else:
        decision = Decision.reject(
            "unroutable-type", f"{event.type} is not routed from the {origin} topic"
        )
    return decision


def _remembered(decision: Decision, position: str) -> Remembered:
    redirect = next(
        (
            (str(d.event.data["forwarded_from"]), str(d.event.data["forwarded_to"]))
            for d in decision.deliveries
            if d.event is not None
        ),
        None,
    )
    originals = tuple(d.topic for d in decision.deliveries if d.event is None)
    return Remembered(position, originals, redirect)


def _repeat(
    event: Event, earlier: Remembered, state: SubjectState, catalogue: Catalogue
) -> Decision:
    deliveries: list[Delivery] = []
    if earlier.redirect is not None:
        source, target = (catalogue.authority(code) for code in earlier.redirect)
        assert source is not None and target is not None, "remembered from this catalogue"
        deliveries += _moved(source, target, _redirected_by_router(event, source, target, state))
    deliveries += [Delivery(topic) for topic in earlier.topics]
    return Decision(deliveries)


def _service_request(event: Event, state: SubjectState, catalogue: Catalogue) -> Decision:
    service = str(event.data.get("service_code", ""))
    target = catalogue.authority_for_service(service) or catalogue.authority(
        event.data.get("provider")
    )
    if target is None:
        return Decision.reject(
            "no-authority-for-service",
            f"no authority in the catalogue owns service {service!r}",
        )
    request_id = event.header.get("request_id")
    starter = catalogue.authority_of_source(event.source)
    if request_id and starter is not None:
        state.origins[str(request_id)] = starter.code
    return Decision([Delivery(target.inbox)])


def _status_update(event: Event, state: SubjectState, catalogue: Catalogue) -> Decision:
    """Back to the assistant that started the request.

    Without a record of the request (an update raced ahead of its request's
    redelivery after a crash), the conversation's host assistant is the one
    the citizen talks to, and the header's authority is the one the request
    came from.
    """
    request_id = str(event.header.get("request_id") or "")
    starter = (
        catalogue.authority(state.origins.get(request_id))
        or catalogue.authority(state.host)
        or catalogue.authority(event.header.get("authority"))
    )
    if starter is None:
        return Decision.reject(
            "unknown-request",
            f"no assistant is known to have started service request {request_id!r}; "
            "status updates must carry the conversation id (or request id) key and the "
            "request id of a ServiceRequestCreated the router has seen",
        )
    return Decision([Delivery(starter.assistant_topic)])


def _conversation(event: Event, state: SubjectState, catalogue: Catalogue) -> Decision:
    sender = catalogue.authority_of_source(event.source)
    if state.host is None:
        host = sender or catalogue.authority(event.header.get("authority")) or catalogue.fallback
        if host is None:
            return Decision.reject(
                "no-owner",
                f"conversation {event.subject!r} has no known authority: the source "
                f"{event.source!r} is not an authority's assistant and there is no fallback",
            )
        state.host = state.owner = host.code
    owner = catalogue.authority(state.owner)
    host = catalogue.authority(state.host)
    assert owner is not None and host is not None, "state names authorities of the catalogue"

    deliveries: list[Delivery] = []
    if event.type == REDIRECTED:
        target = catalogue.authority(str(event.data.get("forwarded_to")))
        if target is None:
            return Decision.reject(
                "unknown-authority",
                f"Redirected names forwarded_to={event.data.get('forwarded_to')!r}, "
                "which is not in the catalogue",
            )
        external = event.data.get("external_id")
        if external:
            state.external_ids[target.code] = str(external)
        deliveries += _moved(owner, target, None)
        state.owner = target.code
        return Decision(deliveries)

    if event.type == INTENT:
        target = catalogue.authority_for_intent(str(event.data.get("intent", "")))
        if target is not None and target.code != owner.code:
            redirected = _redirected_by_router(event, owner, target, state)
            deliveries += _moved(owner, target, redirected)
            owner = target
            state.owner = target.code

    deliveries.append(Delivery(owner.inbox))
    if owner.code != host.code:
        if sender is not None and sender.code == owner.code:
            deliveries.append(Delivery(host.assistant_topic))
        else:
            deliveries.append(Delivery(owner.assistant_topic))
    return Decision(deliveries)


def _moved(owner: Authority, target: Authority, redirected: Event | None) -> list[Delivery]:
    """The redirect is on record at both inboxes, and the new owner's assistant picks it up."""
    topics = [owner.inbox, target.inbox, target.assistant_topic]
    return [Delivery(topic, redirected) for topic in dict.fromkeys(topics)]


def _redirected_by_router(
    cause: Event, owner: Authority, target: Authority, state: SubjectState
) -> Event:
    """Its id derives from the cause, so a router that redoes its work emits the same event."""
    header = cause.header
    return new_event(
        REDIRECTED,
        event_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"bus:router/{cause.id}/redirected")),
        occurred_at=cause.occurred_at,
        source=ROUTER_SOURCE,
        conversation_id=header.get("conversation_id"),
        authority=target.code,
        correlation_id=header.get("correlation_id"),
        causation_id=cause.id,
        forwarded_from=owner.code,
        forwarded_to=target.code,
        external_id=state.external_ids.get(target.code) or header.get("conversation_id"),
        reason=f"intent {cause.data.get('intent')!r} belongs to {target.name}",
    )
