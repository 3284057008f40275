"""``bus webhooks run``: one consumer per authority, so one slow endpoint delays only its own inbox.

Within an authority each partition is a lane delivered in offset order (a
conversation's events share a key, hence a partition, hence stay in order);
lanes go in parallel, so a retried conversation holds up only its partition.
Offsets are committed only once every event before them was delivered or
dead-lettered.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import aiohttp
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.errors import KafkaError

from bus.errors import DecodeError
from bus.health import loop_health
from bus.kafka.connection import FETCH_MAX_WAIT_MS, security_kwargs
from bus.lifecycle import AsyncResource
from bus.settings import Settings
from connectors.base.errors import BrokerUnavailableError
from connectors.base.jsonable import event_to_json
from connectors.base.metrics import WEBHOOK_EVENTS
from connectors.base.producer import EventProducer
from connectors.webhooks.delivery import Outcome, RetryPolicy, post_with_retries
from connectors.webhooks.lanes import Lane
from connectors.webhooks.targets import WebhookTarget

log = logging.getLogger(__name__)
RESTART_S = 2.0
MAX_BACKLOG = 500
"""A lane with this many records waiting pauses fetching for its partition."""


def policy_from(settings: Settings) -> RetryPolicy:
    return RetryPolicy(
        max_attempts=settings.webhook_max_attempts,
        backoff_s=settings.webhook_backoff_s,
        backoff_max_s=settings.webhook_backoff_max_s,
        timeout_s=settings.webhook_timeout_s,
    )


class AuthorityDelivery:
    """Delivers one authority's inbox to its webhook, in its own consumer group."""

    def __init__(
        self,
        settings: Settings,
        target: WebhookTarget,
        producer: EventProducer,
        session: aiohttp.ClientSession,
        policy: RetryPolicy,
    ) -> None:
        self.settings = settings
        self.target = target
        self.group_id = f"{settings.app_id}.webhooks.{target.authority}"
        self.delivered = 0
        self.dead_lettered = 0
        self._producer = producer
        self._runtime = producer.runtime
        self._session = session
        self._policy = policy
        self._lanes: dict[TopicPartition, Lane] = {}
        self._committed: dict[TopicPartition, int] = {}

    async def run(self) -> None:
        """Deliver until cancelled; a Kafka outage restarts the consumer, losing nothing."""
        while True:
            consumer = AIOKafkaConsumer(
                bootstrap_servers=self.settings.bootstrap_servers,
                **security_kwargs(self.settings),
                group_id=self.group_id,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                isolation_level="read_committed",
                fetch_max_wait_ms=FETCH_MAX_WAIT_MS,
            )
            try:
                await consumer.start()
                listener = _OnRevoke(consumer, self._revoked)
                consumer.subscribe([self.target.inbox], listener=listener)
                await self._consume(consumer)
            except (KafkaError, BrokerUnavailableError) as exc:
                log.warning("webhooks for %s: %s; restarting", self.target.authority, exc)
                await asyncio.sleep(RESTART_S)
            except Exception:  # one authority's failure must not stop the others
                log.exception("webhooks for %s failed; restarting", self.target.authority)
                await asyncio.sleep(RESTART_S)
            finally:
                await self._close_lanes(list(self._lanes))
                await consumer.stop()

    async def _consume(self, consumer: AIOKafkaConsumer) -> None:
        while True:
            batches = await consumer.getmany(timeout_ms=500, max_records=100)
            for tp, records in batches.items():
                lane = self._lanes.get(tp)
                if lane is None:
                    lane = self._lanes[tp] = Lane(self._one)
                lane.add(records)
            for tp, lane in self._lanes.items():
                if lane.task.done():
                    lane.task.result()  # raise what stopped it; restart from the last commit
                if lane.backlog >= MAX_BACKLOG:
                    consumer.pause(tp)
                elif tp in consumer.paused():
                    consumer.resume(tp)
            offsets = {
                tp: lane.done_offset
                for tp, lane in self._lanes.items()
                if lane.done_offset is not None and lane.done_offset > self._committed.get(tp, 0)
            }
            if offsets:
                await consumer.commit(offsets)
                self._committed.update(offsets)

    async def _revoked(self, consumer: AIOKafkaConsumer, partitions: list[TopicPartition]) -> None:
        """Stop the revoked lanes and commit what they finished, for the partitions' next owner."""
        offsets: dict[TopicPartition, int] = {}
        for tp in partitions:
            lane = self._lanes.get(tp)
            if lane is None:
                continue
            await lane.close()
            if lane.done_offset is not None and lane.done_offset > self._committed.get(tp, 0):
                offsets[tp] = lane.done_offset
        if offsets:
            try:
                await consumer.commit(offsets)
            except KafkaError as exc:
                log.warning("webhooks for %s: no commit on revoke: %s", self.target.authority, exc)
        await self._close_lanes(partitions)

    async def _close_lanes(self, partitions: list[TopicPartition]) -> None:
        """Stop the lanes of partitions this member no longer owns (or on the way out)."""
        for tp in partitions:
            lane = self._lanes.pop(tp, None)
            if lane is not None:
                await lane.close()
            self._committed.pop(tp, None)

    async def _one(self, record: Any) -> None:
        try:
            event = await self._runtime.decode(record.value)
        except DecodeError as exc:
            await self._dead_letter(record, exc.reason, str(exc))
            return
        body = json.dumps(event_to_json(event), separators=(",", ":")).encode()
        outcome = await post_with_retries(
            self._session,
            self.target.url,
            self.target.secret,
            body,
            event.id or "",
            self._policy,
            authority=self.target.authority,
        )
        if outcome.delivered:
            self.delivered += 1
            WEBHOOK_EVENTS.labels(self.target.authority, "delivered").inc()
            return
        await self._dead_letter(record, _reason(outcome), outcome.error)

    async def _dead_letter(self, record: Any, reason: str, error: str) -> None:
        agent = f"webhooks:{self.target.authority}"
        await self._producer.dead_letter_record(record, reason, error, agent)
        self.dead_lettered += 1


def _reason(outcome: Outcome) -> str:
    return "webhook-rejected" if outcome.permanent else "webhook-failed"


class WebhookRunner(AsyncResource):
    """Every authority's delivery as its own task, sharing one producer and HTTP session.

    With ``metrics_port`` it serves ``/metrics``, ``/healthz`` and ``/readyz`` there
    (on ``BUS_METRICS_HOST``): ready while Kafka answers and every delivery runs.
    """

    def __init__(
        self, settings: Settings, targets: list[WebhookTarget], metrics_port: int | None = None
    ) -> None:
        self.settings = settings
        self.targets = targets
        self.producer = EventProducer(settings, timeout_s=10.0)
        self.deliveries: dict[str, AuthorityDelivery] = {}
        self._session: aiohttp.ClientSession | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self.health = loop_health(settings, metrics_port, "webhook delivery", lambda: self._tasks)

    async def start(self) -> None:
        if self.health is not None:
            await self.health.start()
        self._session = aiohttp.ClientSession()
        policy = policy_from(self.settings)
        for target in self.targets:
            delivery = AuthorityDelivery(
                self.settings, target, self.producer, self._session, policy
            )
            self.deliveries[target.authority] = delivery
            self._tasks.append(
                asyncio.create_task(delivery.run(), name=f"webhooks:{target.authority}")
            )
        log.info("delivering %d inboxes by webhook", len(self.targets))

    async def wait(self) -> None:
        await asyncio.gather(*self._tasks)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
        await self.producer.stop()
        if self.health is not None:
            await self.health.stop()


async def run_webhooks(runner: WebhookRunner) -> None:
    """Run until cancelled (SIGINT/SIGTERM in the CLI)."""
    async with runner:
        await runner.wait()


class _OnRevoke(ConsumerRebalanceListener):  # type: ignore[misc]
    """Stops the lanes of revoked partitions, so their records are not delivered twice."""

    def __init__(self, consumer: AIOKafkaConsumer, revoked: Any) -> None:
        self._consumer = consumer
        self._revoked = revoked

    async def on_partitions_revoked(self, revoked: Any) -> None:
        await self._revoked(self._consumer, list(revoked))

    async def on_partitions_assigned(self, assigned: Any) -> None:
        return None
