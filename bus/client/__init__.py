"""The bus for assistants and agency services: publish and receive typed events, no Faust."""

from bus.client.dedup import RecentIds
from bus.client.publisher import Publisher
from bus.client.status import status_update
from bus.client.subscriber import Delivery, Subscriber
from bus.schemas.event import Event, new_event

__all__ = [
    "Delivery",
    "Event",
    "Publisher",
    "RecentIds",
    "Subscriber",
    "new_event",
    "status_update",
]
