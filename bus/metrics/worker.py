"""Wire the metrics into a Faust app: label vocabulary, delivery sensor, lag timer."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

from bus.catalogue import Catalogue
from bus.metrics import agents
from bus.metrics.agents import DeliverySensor
from bus.metrics.labels import Vocabulary
from bus.metrics.lag import LagSampler
from bus.settings import Settings

log = logging.getLogger(__name__)


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


def instrument(
    app: Any, settings: Settings, catalogue: Catalogue, event_types: Iterable[str]
) -> None:
    """Count the agents' deliveries and sample the consumer lag of this worker."""
    agents.vocabulary = vocabulary(settings, catalogue, event_types)
    app.sensors.add(DeliverySensor())
    sampler = LagSampler()

    async def consumer_lag() -> None:
        try:
            async with asyncio.timeout(max(10.0, 2 * settings.metrics_lag_interval_s)):
                await sampler.sample(app.consumer)
        except Exception as exc:  # a rebalance or a broker hiccup: try again next time
            log.debug("cannot sample consumer lag yet: %r", exc)

    app.timer(settings.metrics_lag_interval_s, name="bus-consumer-lag")(consumer_lag)
