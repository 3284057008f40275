"""The worker's label vocabulary: which event types, authorities and dead-letter topics exist."""

from __future__ import annotations

from collections.abc import Iterable

from bus.catalogue import Catalogue
from bus.metrics import agents
from bus.metrics.labels import Vocabulary
from bus.settings import Settings


def vocabulary(settings: Settings, catalogue: Catalogue, event_types: Iterable[str]) -> Vocabulary:
    authorities: dict[str, str] = {}
    for authority in catalogue.authorities.values():
        authorities[authority.inbox] = authority.code
        authorities[authority.assistant_topic] = authority.code
    return Vocabulary(
        event_types={name: name.rsplit(".", 1)[-1] for name in event_types},
        authority_of_topic=authorities,
        dead_letter_topics=frozenset({settings.dead_letter_topic, catalogue.topics.dead_letters}),
    )


def instrument(settings: Settings, catalogue: Catalogue, event_types: Iterable[str]) -> None:
    """Give the worker's metrics their label values."""
    agents.vocabulary = vocabulary(settings, catalogue, event_types)
