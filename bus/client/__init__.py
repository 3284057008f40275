"""The bus for assistants and agency services: publish and receive typed events, no Faust."""

from bus.client.publisher import Publisher
from bus.schemas.event import Event, new_event

__all__ = ["Event", "Publisher", "new_event"]
