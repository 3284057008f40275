"""``bus rasa-bridge``: read Rasa's event broker topic, publish bus conversation events.

A Rasa assistant joins the network by configuration only: point its Kafka
event broker at the bus's Kafka and run one bridge per Rasa assistant with
the authority it speaks for. Offsets are committed after the bus events of
a batch were acknowledged (or the input was dead-lettered), so nothing is
lost; the ids of translated events derive from the input's position, so a
batch redone after a crash repeats the same events, which consumers drop.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaError

from bus.catalogue import Catalogue
from bus.errors import EncodeError
from bus.health import loop_health
from bus.kafka.connection import FETCH_MAX_WAIT_MS, security_kwargs
from bus.lifecycle import AsyncResource
from bus.settings import Settings
from connectors.base.errors import BrokerUnavailableError
from connectors.base.metrics import RASA_EVENTS
from connectors.base.producer import EventProducer
from connectors.rasa.mapping import NotRasaEventError, translate

log = logging.getLogger(__name__)
RESTART_S = 2.0


class RasaBridge(AsyncResource):
    """One Rasa assistant's events, published as those of ``authority``'s assistant."""

    def __init__(
        self,
        settings: Settings,
        catalogue: Catalogue,
        authority: str,
        topic: str | None = None,
        metrics_port: int | None = None,
    ) -> None:
        """With ``metrics_port``: ``/metrics``, ``/healthz`` and ``/readyz`` on that port of
        ``BUS_METRICS_HOST``, ready while Kafka answers and the bridge runs."""
        self.settings = settings
        self.authority = authority
        self.topic = topic or settings.rasa_topic
        self.target = catalogue.topics.assistant_events
        self.group_id = f"{settings.app_id}.rasa-bridge.{authority}"
        self.published = 0
        self.dead_lettered = 0
        self.skipped: Counter[str] = Counter()
        """Skipped Rasa events by type: the known ones with nothing to say and the unknown."""
        self.unknown: Counter[str] = Counter()
        self.producer = EventProducer(settings, timeout_s=10.0)
        self._task: asyncio.Task[None] | None = None
        self.health = loop_health(
            settings, metrics_port, "the bridge", lambda: [self._task] if self._task else []
        )

    async def start(self) -> None:
        if self.health is not None:
            await self.health.start()
        self._task = asyncio.create_task(self.run(), name=f"rasa-bridge:{self.authority}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self.producer.stop()
        if self.health is not None:
            await self.health.stop()

    async def wait(self) -> None:
        if self._task is not None:
            await self._task

    async def run(self) -> None:
        """Bridge until cancelled; a Kafka outage restarts the consumer, losing nothing."""
        while True:
            consumer = AIOKafkaConsumer(
                self.topic,
                bootstrap_servers=self.settings.bootstrap_servers,
                **security_kwargs(self.settings),
                group_id=self.group_id,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                fetch_max_wait_ms=FETCH_MAX_WAIT_MS,
            )
            try:
                await consumer.start()
                await self._consume(consumer)
            except (KafkaError, BrokerUnavailableError) as exc:
                log.warning("rasa bridge: %s; restarting", exc)
                await asyncio.sleep(RESTART_S)
            except Exception:
                log.exception("rasa bridge failed; restarting from the last commit")
                await asyncio.sleep(RESTART_S)
            finally:
                await consumer.stop()

    async def _consume(self, consumer: AIOKafkaConsumer) -> None:
        while True:
            batches = await consumer.getmany(timeout_ms=1000, max_records=200)
            for records in batches.values():
                for record in records:
                    await self._one(record)
            if batches:
                await consumer.commit(
                    {tp: records[-1].offset + 1 for tp, records in batches.items() if records}
                )

    async def _one(self, record: Any) -> None:
        origin = f"{record.topic}/{record.partition}/{record.offset}"
        try:
            raw = json.loads(record.value)
        except (UnicodeDecodeError, json.JSONDecodeError, TypeError) as exc:
            await self._dead_letter(record, "not-json", f"not JSON: {exc}")
            return
        try:
            translation = translate(raw, authority=self.authority, origin=origin)
        except NotRasaEventError as exc:
            await self._dead_letter(record, "not-rasa-event", str(exc))
            return
        except (ValueError, TypeError, AttributeError, KeyError) as exc:  # a confidence "high"
            error = f"cannot translate: {type(exc).__name__}: {exc}"
            await self._dead_letter(record, "not-translatable", error)
            return
        if translation.skipped is not None:
            kind = str(raw.get("event"))
            self.skipped[kind] += 1
            RASA_EVENTS.labels(self.authority, translation.skipped).inc()
            if translation.skipped == "unknown":
                self.unknown[kind] += 1
                log.info("skipping Rasa event of unknown type %r (%s)", kind, origin)
            return
        try:
            encoded = [(event, await self.producer.encode(event)) for event in translation.events]
        except EncodeError as exc:
            await self._dead_letter(record, "not-translatable", str(exc))
            return
        for event, (value, headers) in encoded:
            await self.producer.send(self.target, event.key, value, headers)
            self.published += 1
        RASA_EVENTS.labels(self.authority, "published").inc()

    async def _dead_letter(self, record: Any, reason: str, error: str) -> None:
        agent = f"rasa-bridge:{self.authority}"
        await self.producer.dead_letter_record(record, reason, error, agent)
        self.dead_lettered += 1
