"""The auditor: every event of the audited topics becomes a record in a hash chain.

Two processors, so each chain has exactly one writer: ``Auditor`` reads the
audited topics and sends each event's unchained record to the intake topic,
in the partition of its chain; ``AuditChain`` owns intake partition n and is
the only writer of audit partition n, where it links each record to the
chain's head and signs checkpoints. Replayed events (``bus_replay`` header)
are not audited again.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from bus.audit.auditor import chain_key, chain_of, chains, intake_topic, record_of
from bus.audit.chain import ChainWriter
from bus.audit.checkpoint import CheckpointSigner, CheckpointVerifier, signing_key
from bus.audit.log import decode_entry, encode, log_consumer
from bus.audit.proof import RecordProver
from bus.audit.pseudonym import Pseudonymizer, pseudonym_key
from bus.audit.record import AuditedMessage, RecordHasher, is_replay
from bus.audit.resume import ChainHalted, resume
from bus.catalogue import Catalogue
from bus.kafka.connection import security_kwargs
from bus.metrics.cases import audit_appended, audit_checkpointed, audit_halted
from bus.schemas.runtime import Runtime
from bus.schemas.types import AUDIT_RECORD
from bus.settings import Settings
from bus.worker.outputs import Outputs
from bus.worker.processor import Partitions, Processor
from bus.worker.record import Record

log = logging.getLogger(__name__)


class Auditor(Processor):
    name = "auditor"

    def __init__(self, catalogue: Catalogue, runtime: Runtime, outputs: Outputs, key: bytes):
        self.reads = tuple(catalogue.audited_topics())
        self.intake = intake_topic(catalogue)
        self.chains = chains(catalogue)
        self.runtime = runtime
        self.outputs = outputs
        self.pseudonymizer = Pseudonymizer(key)

    async def process(self, record: Record) -> None:
        if is_replay(record.headers):
            return
        message = AuditedMessage(
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            timestamp_ms=record.timestamp,
            value=record.value,
            headers=record.headers,
        )
        audit = await record_of(
            message, self.runtime.decode, self.runtime.contracts, self.pseudonymizer
        )
        value = encode(self.runtime.prepared, "record", audit)
        partition = chain_of(message, self.chains)
        self.outputs.send(self.intake, chain_key(message), value, partition=partition)
        self.metrics.routed(self.intake, AUDIT_RECORD)


class AuditChain(Processor):
    name = "audit-chain"

    def __init__(
        self, settings: Settings, catalogue: Catalogue, runtime: Runtime, outputs: Outputs
    ) -> None:
        self.intake = intake_topic(catalogue)
        self.reads = (self.intake,)
        self.audit = catalogue.topics.audit
        self.dead_letters = catalogue.topics.dead_letters
        self.settings = settings
        self.runtime = runtime
        self.outputs = outputs
        self.tick_s = max(0.2, settings.audit_checkpoint_interval_s / 4)
        key = signing_key(settings)
        self.hasher = RecordHasher(runtime.contracts)
        self.signatures = CheckpointVerifier(key.public_key())
        self.prover = RecordProver(
            runtime.decode, runtime.contracts, Pseudonymizer(pseudonym_key(settings))
        )
        self.writer = ChainWriter(
            self.hasher,
            CheckpointSigner(key),
            send=self._send,
            recover=self._recover,
            every_records=settings.audit_checkpoint_records,
            interval_s=settings.audit_checkpoint_interval_s,
        )

    async def process(self, record: Record) -> None:
        entry = await decode_entry(
            self.runtime.prepared, record.partition, record.offset, record.value or b""
        )
        if entry.record is None:
            log.error("intake %s: not an audit record (%s)", record.position, entry.error)
            return
        try:
            await self.writer.append(record.partition, entry.record)
        except ChainHalted as exc:
            audit_halted(record.partition)
            self.outputs.dead_letter(
                self.dead_letters, record, "audit-chain-halted", str(exc), self.name
            )

    async def tick(self) -> None:
        await self.writer.checkpoint_due()

    def revoked(self, partitions: Partitions) -> None:
        chains = {p for _topic, p in partitions}
        for chain in chains & set(self.writer.halted):
            audit_halted(chain, False)  # its new writer says again
        self.writer.forget(chains)

    async def _send(self, partition: int, kind: str, data: dict[str, Any]) -> asyncio.Future[int]:
        value = encode(self.runtime.prepared, kind, data)
        delivery = self.outputs.tracked(self.audit, kind.encode(), value, partition=partition)
        delivery.add_done_callback(lambda done: _observe(done, partition, kind, data))
        return delivery

    async def _recover(self, partition: int) -> bytes:
        """The chain's head as far as it proves: see ``bus.audit.resume``."""
        consumer = log_consumer(self.settings.bootstrap_servers, **security_kwargs(self.settings))
        await consumer.start()
        try:
            head = await resume(
                consumer,
                self.runtime.prepared,
                self.audit,
                partition,
                hasher=self.hasher,
                signatures=self.signatures,
                prover=self.prover,
            )
        finally:
            await consumer.stop()
        audit_halted(partition, False)
        return head


def _observe(done: asyncio.Future[int], partition: int, kind: str, data: dict[str, Any]) -> None:
    """Count a record or checkpoint once Kafka has written it (its offset is then known)."""
    if done.cancelled() or done.exception() is not None:
        return
    if kind == "record":
        audit_appended(partition, done.result())
    elif kind == "checkpoint":
        audit_checkpointed(partition, int(data["offset"]), data["signed_at"])
