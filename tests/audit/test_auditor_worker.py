"""The auditor in real ``bus worker`` processes on the real broker, checked with the CLI."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import fastavro
import pytest
import yaml
from aiokafka import AIOKafkaProducer

from bus.audit.log import encode
from bus.audit.record import REPLAY_HEADER, UNDECODABLE, digest
from bus.audit.verify import LogEntry
from bus.client import Publisher
from bus.kafka.local import free_port
from bus.schemas.codec import AvroCodec
from bus.schemas.event import Event, new_event
from bus.settings import Settings
from bus.supervise import Service, http_ok, run_bus

from .broker import key_pair, read_audit, records, write_catalogue
from .chains import HASHER

pytestmark = [pytest.mark.broker, pytest.mark.slow]

EVENTS = 10_000
MARK = "PII-7f3a"  # in every personal-data value; must never appear in audit bytes
MS = "gov.agencybus.conversation.MessageSent"
SR = "gov.agencybus.servicerequest.ServiceRequestCreated"


def _events(count: int) -> list[Event]:
    events = []
    for i in range(count):
        conversation = f"c-{i % 97}"
        if i % 5 == 4:
            events.append(
                new_event(
                    SR,
                    source="assistant:tax-board",
                    conversation_id=conversation,
                    request_id=str(uuid.uuid4()),
                    authority="tax-board",
                    service_code="income-tax-return",
                    citizen_reference=f"{MARK}-3800101{i:04d}",
                    fields={"iban": f"{MARK}-EE{i:018d}"},
                )
            )
        else:
            events.append(
                new_event(
                    MS,
                    source="assistant:tax-board",
                    conversation_id=conversation,
                    authority="tax-board",
                    message_id=f"m-{i}",
                    author_role="END_USER",
                    author_id=f"{MARK}-citizen-{i % 50}",
                    author_display_name=f"{MARK} Mari Maasikas {i % 50}",
                    text=f"{MARK}: my id code is 3800101{i:04d}",
                )
            )
    return events


def _bus(*args: str, env: dict[str, str]) -> str:
    result = run_bus(*args, env=env, timeout_s=600)
    assert result.returncode == 0, f"bus {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture
def audit_env(
    settings_with_registry: Settings, tmp_path: Path, unique_name: Callable[[str], str]
) -> dict[str, str]:
    """Settings (as BUS_* values) of an auditor with its own topics and keys."""
    prefix = unique_name("au")
    audited = f"{prefix}.audited"
    catalogue = write_catalogue(tmp_path, prefix, audited=[audited])
    private, public = key_pair()
    return {
        "catalogue": str(catalogue),
        "app_id": unique_name("app"),
        "audit_signing_key": private,
        "audit_pseudonym_key": uuid.uuid4().hex + uuid.uuid4().hex,
        "audit_checkpoint_records": "700",
        "audit_checkpoint_interval_s": "1",
        "audited": audited,
        "audit": f"{prefix}.audit",
        "public": public,
    }


def _cli_env(settings: Settings, audit_env: dict[str, str]) -> dict[str, str]:
    return {
        "BUS_BOOTSTRAP_SERVERS": settings.bootstrap_servers,
        "BUS_SCHEMA_REGISTRY_URL": settings.schema_registry_url,
        "BUS_CATALOGUE": audit_env["catalogue"],
        "BUS_AUDIT_VERIFY_KEY": audit_env["public"],
        "BUS_AUDIT_SIGNING_KEY": audit_env["audit_signing_key"],  # the archive's manifest
    }


def _worker_env(audit_env: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in audit_env.items() if k not in ("audited", "audit", "public")}


async def _create(settings: Settings, topic: str, partitions: int) -> None:
    from bus.kafka.admin import TopicSpec, ensure_topics

    await ensure_topics(settings.bootstrap_servers, [TopicSpec(topic, partitions)])


async def test_ten_thousand_events_are_audited_verified_archived_and_kept_free_of_pii(
    settings_with_registry: Settings,
    audit_env: dict[str, str],
    start_worker: Callable[..., Service],
    tmp_path: Path,
) -> None:
    settings = settings_with_registry
    audited = audit_env["audited"]
    await _create(settings, audited, 3)
    events = _events(EVENTS)
    async with Publisher(settings) as publisher:
        await publisher.publish_many(audited, events)
        codec: AvroCodec = publisher.codec
        poison = b"garbage: " + MARK.encode()
        await publisher._producer.send_and_wait(audited, poison, key=b"c-1")
        worker = start_worker("auditor", **_worker_env(audit_env))
        entries, raw = await read_audit(
            settings.bootstrap_servers,
            codec,
            audit_env["audit"],
            lambda found: len(records(found)) >= EVENTS + 1,
        )
    assert worker.running, worker.log_tail()
    found = records(entries)
    audited_ids = [str(r["event_id"]) for r in found if not r["event_type"].startswith(UNDECODABLE)]
    assert sorted(audited_ids) == sorted(e.id or "" for e in events)
    [bad] = [r for r in found if r["event_type"].startswith(UNDECODABLE)]
    assert bad["event_type"] == UNDECODABLE + "not-wire-format"
    assert bad["digest"] == digest(poison)
    assert all(not e.error for e in entries)
    assert any(e.checkpoint is not None for e in entries)
    assert all(MARK.encode() not in value for value in raw)

    env = _cli_env(settings, audit_env)
    verified = await asyncio.to_thread(_bus, "audit", "verify", "--events", env=env)
    assert f"OK: {EVENTS + 1} records" in verified
    assert f"{EVENTS + 1} events re-read" in verified

    out = tmp_path / "archive"
    await asyncio.to_thread(
        _bus, "audit", "archive", "--out", str(out), "--max-entries", "4000", env=env
    )
    files = sorted(out.glob("*.avro"))
    assert {path.name[:11] for path in files} == {"audit-p0000", "audit-p0001"}
    archived = await asyncio.to_thread(_bus, "audit", "verify", "--archive", str(out), env=env)
    assert f"OK: {EVENTS + 1} records" in archived
    rows = []
    for path in files:
        assert MARK.encode() not in path.read_bytes()
        with path.open("rb") as file:
            rows.append(sum(1 for _ in fastavro.reader(file)))
    assert max(rows) <= 4000 and sum(rows) >= len(entries)

    await asyncio.to_thread(_bus, "audit", "archive", "--out", str(out), env=env)
    again = await asyncio.to_thread(_bus, "audit", "verify", "--archive", str(out), env=env)
    assert f"OK: {EVENTS + 1} records" in again  # a second run adds only what is new


async def test_an_auditor_killed_mid_stream_is_replaced_without_forking_or_losing_events(
    settings_with_registry: Settings,
    audit_env: dict[str, str],
    start_worker: Callable[..., Service],
) -> None:
    settings = settings_with_registry
    audited = audit_env["audited"]
    await _create(settings, audited, 2)
    events = _events(3000)
    async with Publisher(settings) as publisher:
        codec = publisher.codec
        await publisher.publish_many(audited, events)
        crashed = start_worker("auditor-1", **_worker_env(audit_env))
        await read_audit(
            settings.bootstrap_servers, codec, audit_env["audit"], lambda f: len(records(f)) >= 300
        )
        crashed.kill()
        start_worker("auditor-2", **_worker_env(audit_env))
        wanted = {e.id for e in events}
        settled = _quiet_for(5.0)  # the replacement re-audits what was not committed yet
        entries, _ = await read_audit(
            settings.bootstrap_servers,
            codec,
            audit_env["audit"],
            lambda f: wanted <= {str(r["event_id"]) for r in records(f)} and settled(f),
        )
    ids = [str(r["event_id"]) for r in records(entries)]
    assert set(ids) == wanted  # at least once: a crash may audit an event twice, never lose it
    verified = await asyncio.to_thread(
        _bus, "audit", "verify", "--events", env=_cli_env(settings, audit_env)
    )
    assert f"OK: {len(ids)} records" in verified


def _point_audit_at(catalogue: Path, topic: str) -> str:
    """Change the catalogue's audit topic to ``topic``, as an operator would after a halt."""
    document = yaml.safe_load(catalogue.read_text())
    document["topics"]["audit"] = topic
    catalogue.write_text(yaml.safe_dump(document, sort_keys=False))
    return topic


def _quiet_for(seconds: float) -> Callable[[list[LogEntry]], bool]:
    """Whether no entry came in for ``seconds``: the writers have caught up."""
    last = {"count": -1, "since": time.monotonic()}

    def done(entries: list[LogEntry]) -> bool:
        now = time.monotonic()
        if len(entries) != last["count"]:
            last["count"], last["since"] = len(entries), now
            return False
        return now - last["since"] >= seconds

    return done


def _signed_to_the_end(count: int) -> Callable[[list[LogEntry]], bool]:
    """Whether ``count`` records are in and a checkpoint signs the last of them."""

    def done(entries: list[LogEntry]) -> bool:
        offsets = [e.offset for e in entries if e.record is not None]
        signed = {int(e.checkpoint["offset"]) for e in entries if e.checkpoint is not None}
        return len(offsets) >= count and max(offsets) in signed

    return done


async def test_a_restarted_auditor_continues_each_chain_and_skips_replayed_events(
    settings_with_registry: Settings,
    audit_env: dict[str, str],
    start_worker: Callable[..., Service],
    scraped: Callable[..., Awaitable[dict[str, float]]],
) -> None:
    settings = settings_with_registry
    audited = audit_env["audited"]
    await _create(settings, audited, 1)
    first, second = _events(200), _events(200)
    env = _cli_env(settings, audit_env)
    async with Publisher(settings) as publisher:
        codec = publisher.codec
        await publisher.publish_many(audited, first)
        metrics_port = free_port()
        worker = start_worker("auditor-1", metrics_port=str(metrics_port), **_worker_env(audit_env))
        signed, _ = await read_audit(
            settings.bootstrap_servers, codec, audit_env["audit"], _signed_to_the_end(200)
        )
        # The worker's /metrics follows the chain to its head and its last signed checkpoint.
        [chain] = {e.partition for e in signed if e.record is not None}
        head = max(e.offset for e in signed if e.record is not None)
        await scraped(
            f"http://127.0.0.1:{metrics_port}/metrics",
            {
                f'bus_audit_records_total{{chain="{chain}"}}': 200,
                f'bus_audit_chain_head_sequence{{chain="{chain}"}}': head,
                f'bus_audit_checkpoints_total{{chain="{chain}"}}': sum(
                    e.checkpoint is not None for e in signed
                ),
                f'bus_audit_last_checkpoint_sequence{{chain="{chain}"}}': head,
                'bus_events_consumed_total{agent="auditor",event_type="MessageSent",'
                f'topic="{audited}"}}': 160,
            },
        )
        worker.stop()
        await publisher.publish_many(audited, second)
        producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap_servers)
        await producer.start()
        try:
            for event in first[:20]:
                value = codec.encode(event)
                headers = [(REPLAY_HEADER, b"test")]
                await producer.send_and_wait(audited, value, key=event.key, headers=headers)
        finally:
            await producer.stop()
        last = new_event(
            MS,
            source="assistant:tax-board",
            conversation_id="c-last",
            message_id="m-last",
            author_role="BOT",
            text="bye",
        )
        await publisher.publish(audited, last)
        start_worker("auditor-2", **_worker_env(audit_env))
        entries, _ = await read_audit(
            settings.bootstrap_servers,
            codec,
            audit_env["audit"],
            lambda f: any(str(r["event_id"]) == last.id for r in records(f)),
        )
    ids = [str(r["event_id"]) for r in records(entries)]
    assert ids.count(last.id) == 1
    assert sorted(set(ids)) == sorted({e.id or "" for e in first + second} | {last.id or ""})
    assert len(ids) == len(set(ids))  # the 20 replays were not audited again
    verified = await asyncio.to_thread(_bus, "audit", "verify", env=env)
    assert f"OK: {len(ids)} records" in verified


async def test_a_forged_record_at_the_head_halts_the_chain_and_fails_verify(
    settings_with_registry: Settings,
    audit_env: dict[str, str],
    start_worker: Callable[..., Service],
    scraped: Callable[..., Awaitable[dict[str, float]]],
) -> None:
    """Someone with write access appends a record chained to the head; the restarted writer
    must not adopt it (nor sign it), and verify must fail on it."""
    settings = settings_with_registry
    audited = audit_env["audited"]
    await _create(settings, audited, 1)
    env = _cli_env(settings, audit_env)
    async with Publisher(settings) as publisher:
        codec = publisher.codec
        await publisher.publish_many(audited, _events(50))
        worker = start_worker("auditor-1", **_worker_env(audit_env))
        signed, _ = await read_audit(
            settings.bootstrap_servers, codec, audit_env["audit"], _signed_to_the_end(50)
        )
        worker.stop()
        last = max((e for e in signed if e.record is not None), key=lambda e: e.offset)
        chain, record = last.partition, last.record or {}
        forged = HASHER.link({**record, "authority": "forged-authority"}, record["record_hash"])
        producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap_servers)
        await producer.start()
        try:
            sent = await producer.send_and_wait(
                audit_env["audit"], encode(codec, "record", forged), partition=chain
            )
        finally:
            await producer.stop()

        failed = await asyncio.to_thread(run_bus, "audit", "verify", env=env, timeout_s=300)
        assert failed.returncode == 1, failed.stdout + failed.stderr
        assert f"FAILED at audit partition {chain}, offset {sent.offset} " in failed.stdout
        assert "no checkpoint signs this record yet" in failed.stdout
        assert "authority differ" in failed.stdout

        metrics_port = free_port()
        restarted = start_worker(
            "auditor-2", metrics_port=str(metrics_port), **_worker_env(audit_env)
        )
        restarted.wait_until(http_ok(f"http://127.0.0.1:{metrics_port}/metrics"))
        await publisher.publish_many(audited, _events(20))
        found = await scraped(
            f"http://127.0.0.1:{metrics_port}/metrics",
            {f'bus_audit_chain_halted{{chain="{chain}"}}': 1},
        )
        halted_letters = sum(
            value
            for key, value in found.items()
            if key.startswith("bus_events_dead_lettered_total") and "audit-chain-halted" in key
        )
        assert halted_letters >= 1  # the new events' records are kept as dead letters
        entries, _ = await read_audit(
            settings.bootstrap_servers, codec, audit_env["audit"], _quiet_for(3.0)
        )
    after = [e for e in entries if e.partition == chain and e.offset > sent.offset]
    assert after == []  # not extended: no record chained to the forgery, no checkpoint over it
    still = await asyncio.to_thread(run_bus, "audit", "verify", env=env, timeout_s=300)
    assert still.returncode == 1 and f"offset {sent.offset} " in still.stdout
    restarted.stop()

    # The repair the README gives: a new audit topic, the missed records sent to its intake.
    new_audit = _point_audit_at(Path(audit_env["catalogue"]), f"{audit_env['audit']}-v2")
    repaired = start_worker("auditor-3", **_worker_env(audit_env))
    await asyncio.to_thread(repaired.wait_until, lambda: repaired.logged("Worker ready"), 90)
    redrive = ("deadletters", "redrive", "--reason", "audit-chain-halted")
    sent_back = await asyncio.to_thread(run_bus, *redrive, "--to", f"{new_audit}-intake", env=env)
    assert sent_back.returncode == 0, sent_back.stdout + sent_back.stderr
    assert f"sent {int(halted_letters)} of {int(halted_letters)}" in sent_back.stdout
    rechained, _ = await read_audit(
        settings.bootstrap_servers, codec, new_audit, _signed_to_the_end(int(halted_letters))
    )
    assert len([e for e in rechained if e.record is not None]) == halted_letters
    verified = await asyncio.to_thread(run_bus, "audit", "verify", env=env, timeout_s=300)
    assert verified.returncode == 0, verified.stdout + verified.stderr
