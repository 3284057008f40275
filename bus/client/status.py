"""Service-request status events tied to the request they answer."""

from __future__ import annotations

from typing import Any

from bus.schemas.event import Event, new_event

NAMESPACE = "gov.agencybus.servicerequest"


def status_update(created: Event, type_name: str, *, source: str, **fields: Any) -> Event:
    """A status event (e.g. ``ServiceRequestAccepted``) answering ``created``.

    It keeps the request's conversation, request, authority and correlation ids
    and names ``created`` as its cause, which is what the router needs to send
    it back to the assistant that started the request. A bare type name is
    taken in the ``gov.agencybus.servicerequest`` namespace.
    """
    header = created.header
    request_id = header.get("request_id")
    if not request_id:
        raise ValueError(
            f"{created.type} event {created.id} has no header.request_id; "
            "a status update must answer a service request"
        )
    return new_event(
        type_name if "." in type_name else f"{NAMESPACE}.{type_name}",
        source=source,
        conversation_id=header.get("conversation_id"),
        request_id=request_id,
        authority=header.get("authority"),
        correlation_id=header.get("correlation_id"),
        causation_id=created.id,
        **fields,
    )
