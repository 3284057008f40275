"""The auditor: every event of the audited topics becomes a record in a hash chain.

Two agents, so each chain has exactly one writer: ``auditor`` reads the audited
topics and sends each event's unchained record to the intake topic, keyed by
its source partition; ``audit-chain`` owns intake partition n and is the only
writer of audit partition n, where it links each record to the chain's head and
signs checkpoints. Replayed events (``bus_replay`` header) are not audited again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from bus.app.runtime import Runtime
from bus.app.stream import events
from bus.audit.auditor import chain_key, chain_of, chains, intake_topic, record_of
from bus.audit.chain import ChainWriter
from bus.audit.checkpoint import CheckpointSigner, signing_key
from bus.audit.log import decode_entry, encode, last_head, log_consumer
from bus.audit.pseudonym import Pseudonymizer, pseudonym_key
from bus.audit.record import AuditedMessage, RecordHasher, is_replay
from bus.catalogue import Catalogue
from bus.kafka.connection import security_kwargs
from bus.metrics.cases import audit_appended, audit_checkpointed

NAME = "auditor"
CHAIN = "audit-chain"
log = logging.getLogger(__name__)


def register(app: Any, runtime: Runtime, catalogue: Catalogue) -> None:
    settings = runtime.settings
    audited = catalogue.audited_topics()
    if not audited:
        log.warning("the catalogue lists no audited topics: the auditor does not run")
        return
    raw = {"key_serializer": "raw", "value_serializer": "raw"}
    source = app.topic(*audited, **raw)
    intake = app.topic(intake_topic(catalogue), **raw)
    audit = app.topic(catalogue.topics.audit, **raw)
    count = chains(catalogue)
    pseudonymizer = Pseudonymizer(pseudonym_key(settings))
    signer = CheckpointSigner(signing_key(settings))

    async def send(partition: int, kind: str, data: dict[str, Any]) -> Any:
        value = encode(await runtime.codec(), kind, data)
        delivery = await audit.send(key=kind.encode(), value=value, partition=partition)
        delivery.add_done_callback(_observe(partition, kind, data))
        return delivery

    async def recover(partition: int) -> bytes:
        codec = await runtime.codec()
        consumer = log_consumer(settings.bootstrap_servers, **security_kwargs(settings))
        await consumer.start()
        try:
            return await last_head(consumer, codec, catalogue.topics.audit, partition)
        finally:
            await consumer.stop()

    writer = ChainWriter(
        RecordHasher(runtime.contracts),
        signer,
        send=send,
        recover=recover,
        every_records=settings.audit_checkpoint_records,
        interval_s=settings.audit_checkpoint_interval_s,
    )

    async def auditor(stream: Any) -> None:
        async for item in events(stream, NAME):
            message = _audited(item.message)
            if is_replay(message.headers):
                continue
            record = await record_of(message, runtime.decode, runtime.contracts, pseudonymizer)
            value = encode(await runtime.codec(), "record", record)
            partition = chain_of(message, count)
            await intake.send(key=chain_key(message), value=value, partition=partition)

    async def audit_chain(stream: Any) -> None:
        async for item in events(stream, CHAIN):
            message = item.message
            entry = await decode_entry(
                await runtime.codec(), message.partition, message.offset, message.value
            )
            if entry.record is None:
                log.error("intake %s: not an audit record (%s)", message.offset, entry.error)
                continue
            await writer.append(message.partition, entry.record)

    async def checkpoints() -> None:
        await writer.checkpoint_due()

    async def revoked(sender: Any, revoked: Any, **kwargs: Any) -> None:
        name = intake_topic(catalogue)
        writer.forget({tp.partition for tp in revoked if tp.topic == name})

    app.agent(source, name=NAME)(auditor)
    app.agent(intake, name=CHAIN)(audit_chain)
    app.timer(max(0.2, settings.audit_checkpoint_interval_s / 4))(checkpoints)
    app.on_partitions_revoked.connect(revoked)


def _observe(partition: int, kind: str, data: dict[str, Any]) -> Callable[[Any], None]:
    """Count a record or checkpoint once Kafka has written it (its offset is then known)."""

    def written(delivery: Any) -> None:
        if delivery.cancelled() or delivery.exception() is not None:
            return
        if kind == "record":
            audit_appended(partition, int(delivery.result().offset))
        elif kind == "checkpoint":
            audit_checkpointed(partition, int(data["offset"]), data["signed_at"])

    return written


def _audited(message: Any) -> AuditedMessage:
    headers = message.headers.items() if isinstance(message.headers, dict) else message.headers
    return AuditedMessage(
        topic=message.topic,
        partition=message.partition,
        offset=message.offset,
        timestamp_ms=round(message.timestamp * 1000) if message.timestamp else None,
        value=message.value,
        headers=[(str(k), bytes(v or b"")) for k, v in headers or []],
    )
