"""The registry's log replay and operations over an in-memory log, without a broker.

Several stores sharing one list stand for several registry processes sharing
the topic; ``compacted`` is what Kafka's log cleaner leaves of it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pytest

from bus.errors import RegistryError
from bus.registry.compat import Compatibility, ParsedSchema, parse_schema
from bus.registry.store import Record, RegistryState, SchemaStore, schema_key


class MemoryLog:
    """One process's cursor into a shared list of records."""

    def __init__(self, records: list[Record]) -> None:
        self.records = records
        self._next = 0

    async def catch_up(self, state: RegistryState, until: int | None = None) -> None:
        end = len(self.records) if until is None else until
        for key, value in self.records[self._next : end]:
            state.apply(key, value)
        self._next = max(self._next, end)

    async def append(self, state: RegistryState, records: Sequence[Record]) -> None:
        self.records.extend(records)
        await self.catch_up(state, len(self.records))


def process(records: list[Record]) -> SchemaStore:
    return SchemaStore(MemoryLog(records))


def compacted(records: list[Record]) -> list[Record]:
    """The newest record of each key, in log order, with tombstones already purged."""
    last = {key: offset for offset, (key, _) in enumerate(records)}
    return [(k, v) for offset, (k, v) in enumerate(records) if last[k] == offset and v is not None]


def replayed(records: list[Record]) -> RegistryState:
    state = RegistryState()
    for key, value in records:
        state.apply(key, value)
    return state


def snapshot(state: RegistryState) -> dict[str, Any]:
    return {
        subject: (
            [(v.version, v.schema_id, v.deleted) for v in state.versions(subject, deleted=True)],
            state.config(subject),
        )
        for subject in state.subjects(deleted=True)
    } | {"": state.config(None)}


def schema(n: int) -> ParsedSchema:
    """Version ``n`` of an evolving record: each adds a field with a default."""
    fields = [{"name": f"f{i}", "type": "int", "default": i} for i in range(n)]
    return parse_schema(json.dumps({"type": "record", "name": "R", "fields": fields}))


async def test_versions_count_up_and_one_schema_has_one_id_in_every_subject() -> None:
    store = process([])
    first = await store.register("a", schema(1))
    second = await store.register("a", schema(2))
    assert await store.register("a", schema(1)) == first
    assert await store.register("b", schema(2)) == second
    assert [v.version for v in store.state.versions("a")] == [1, 2]
    assert [(v.version, v.schema_id) for v in store.state.versions("b")] == [(1, second)]
    assert first == schema(1).id_candidate


async def test_a_second_process_sees_the_first_ones_writes() -> None:
    log: list[Record] = []
    a, b = process(log), process(log)
    schema_id = await a.register("s", schema(1))
    async with b.view() as state:
        assert state.by_id(schema_id) == schema(1).text
    assert await b.register("t", schema(1)) == schema_id
    assert await b.register("s", schema(2)) == await a.register("u", schema(2))
    async with a.view() as state:
        assert [v.version for v in state.versions("s")] == [1, 2]


def test_racing_writers_get_distinct_versions_in_log_order() -> None:
    def written(n: int, version: int) -> Record:
        s = schema(n)
        value = {"subject": "s", "schema": s.text, "deleted": False, "version": version}
        return schema_key("s", s.fingerprint), json.dumps(value).encode()

    # both writers saw version 1 only and chose version 2
    log = [written(1, 1), written(2, 2), written(3, 2)]
    state = replayed(log)
    assert [v.version for v in state.versions("s")] == [1, 2, 3]
    assert state.find("s", schema(3).fingerprint).version == 3  # type: ignore[union-attr]


async def test_id_collisions_probe_and_stay_stable_after_compaction(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("bus.registry.store.id_candidate", lambda fingerprint: 42)
    log: list[Record] = []
    store = process(log)
    assert await store.register("a", schema(1)) == 42
    assert await store.register("b", schema(2)) == 43
    await store.delete_subject("a", permanent=False)
    await store.delete_subject("a", permanent=True)
    assert snapshot(replayed(compacted(log))) == snapshot(store.state)
    assert replayed(compacted(log)).by_id(43) == schema(2).text


async def test_deletes_follow_confluent_rules() -> None:
    store = process([])
    for n in (1, 2, 3):
        await store.register("s", schema(n))
    with pytest.raises(RegistryError) as not_soft_first:
        await store.delete_version("s", "1", permanent=True)
    assert not_soft_first.value.error_code == 40407
    assert await store.delete_version("s", "1", permanent=False) == 1
    with pytest.raises(RegistryError) as twice:
        await store.delete_version("s", "1", permanent=False)
    assert twice.value.error_code == 40406
    with pytest.raises(RegistryError) as subject_not_soft_first:
        await store.delete_subject("s", permanent=True)
    assert subject_not_soft_first.value.error_code == 40405
    assert await store.delete_subject("s", permanent=False) == [2, 3]
    with pytest.raises(RegistryError) as subject_twice:
        await store.delete_subject("s", permanent=False)
    assert subject_twice.value.error_code == 40404
    assert store.state.subjects() == []
    assert await store.delete_subject("s", permanent=True) == [1, 2, 3]
    with pytest.raises(RegistryError) as gone:
        store.state.versions("s", deleted=True)
    assert gone.value.error_code == 40401


async def test_re_registering_a_soft_deleted_schema_makes_a_new_version_with_the_same_id() -> None:
    store = process([])
    first = await store.register("s", schema(1))
    await store.register("s", schema(2))
    await store.delete_version("s", "1", permanent=False)
    assert await store.register("s", schema(1)) == first
    assert [(v.version, v.schema_id) for v in store.state.versions("s")][-1] == (3, first)


async def test_incompatible_schemas_are_refused_with_409() -> None:
    store = process([])
    required = {"type": "record", "name": "R", "fields": [{"name": "x", "type": "int"}]}
    await store.register("s", parse_schema(json.dumps(required)))
    await store.set_config("s", Compatibility.FORWARD)
    with pytest.raises(RegistryError) as refused:
        await store.register("s", parse_schema('{"type":"record","name":"R","fields":[]}'))
    assert (refused.value.status, refused.value.error_code) == (409, 409)
    assert "FORWARD" in str(refused.value)


async def test_a_fresh_replay_of_the_compacted_log_agrees_with_a_running_process() -> None:
    log: list[Record] = []
    store = process(log)
    for n in (1, 2, 3, 4):
        await store.register("s", schema(n))
        await store.register("t", schema(n))
    await store.delete_version("s", "2", permanent=False)
    await store.delete_version("s", "2", permanent=True)
    await store.delete_version("s", "1", permanent=False)
    await store.register("s", schema(1))
    await store.register("s", schema(5))
    await store.set_config("t", Compatibility.FULL)
    await store.set_config(None, Compatibility.NONE)
    await store.delete_subject("t", permanent=False)
    await store.delete_subject("t", permanent=True)
    await store.register("t", schema(3))
    await store.set_config("u", Compatibility.FORWARD)
    await store.delete_config("u")
    expected = snapshot(store.state)
    assert expected["s"][0] == [(3, schema(3).id_candidate, False), (4, schema(4).id_candidate,
        False), (5, schema(1).id_candidate, False), (6, schema(5).id_candidate, False)]  # fmt: skip
    assert expected["t"] == ([(1, schema(3).id_candidate, False)], None)
    assert snapshot(replayed(log)) == expected
    assert snapshot(replayed(compacted(log))) == expected


def test_unreadable_records_are_skipped() -> None:
    state = replayed([(b"not json", b"{}"), (b'{"keytype":"SCHEMA"}', b"{}"), (b"{}", None)])
    assert state.subjects(deleted=True) == []
