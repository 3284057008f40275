"""The AsyncAPI document: valid for the AsyncAPI project's own parser, and made from the catalogue.

The parser runs in Node from ``.cache/node`` (``make tools`` installs it from
``tools/asyncapi/package-lock.json``); ``tools/asyncapi/validate.cjs`` also
compiles every Avro payload with the parser's Avro schema parser.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from bus.asyncapi import asyncapi_document, carriages
from bus.asyncapi.document import AVRO_FORMAT, CLOUDEVENTS
from bus.catalogue import Catalogue, load_catalogue
from bus.schemas.cloudevents import ce_headers
from bus.schemas.contracts import load_contracts
from bus.schemas.event import new_event
from bus.schemas.types import GREETING, SERVICE_REQUEST_ACCEPTED
from bus.security.principals import Operation, Resource, principals
from bus.settings import PROJECT_ROOT, Settings
from bus.supervise import run_bus

SETTINGS = Settings(app_id="agency-bus")
CONTRACTS = load_contracts(SETTINGS.schemas_dir)
CATALOGUE = load_catalogue(SETTINGS.catalogue)
NODE_MODULES = PROJECT_ROOT / ".cache" / "node" / "node_modules"
VALIDATOR = PROJECT_ROOT / "tools" / "asyncapi" / "validate.cjs"


def _validate(*files: Path) -> subprocess.CompletedProcess[str]:
    if not (NODE_MODULES / "@asyncapi" / "parser").is_dir() or shutil.which("node") is None:
        pytest.fail("the AsyncAPI parser is not installed: run `make tools` (part of `make test`)")
    return subprocess.run(
        ["node", str(VALIDATOR), *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NODE_PATH": str(NODE_MODULES)},
        check=False,
    )


def _with_authority(code: str, folder: Path) -> Catalogue:
    """The example catalogue with one more authority, as an operator would add it."""
    document = yaml.safe_load(SETTINGS.catalogue.read_text())
    document["authorities"].append(
        {"code": code, "name": "Environmental Board", "services": ["hunting-licence"]}
    )
    path = folder / "agencies.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return load_catalogue(path)


def test_bus_asyncapi_writes_a_document_the_asyncapi_parser_accepts(tmp_path: Path) -> None:
    as_yaml, as_json = tmp_path / "asyncapi.yaml", tmp_path / "asyncapi.json"
    for out in (as_yaml, as_json):
        written = run_bus("asyncapi", "--out", str(out))
        assert written.returncode == 0, written.stderr
    assert yaml.safe_load(as_yaml.read_text()) == json.loads(as_json.read_text())
    checked = _validate(as_yaml, as_json)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.count("valid AsyncAPI 3.0.0") == 2, checked.stdout


def test_the_validator_rejects_a_broken_avro_payload_and_a_foreign_message(
    tmp_path: Path,
) -> None:
    """The check is real: the parser alone does not compile Avro payloads of a 3.0 document."""
    unknown_type = asyncapi_document(CATALOGUE, CONTRACTS, SETTINGS)
    greeting = unknown_type["components"]["messages"]["Greeting"]["payload"]["schema"]
    greeting["fields"][1]["type"] = "NoSuchType"
    foreign = asyncapi_document(CATALOGUE, CONTRACTS, SETTINGS)
    operation = foreign["operations"]["router.receive.bus.assistant-events"]
    operation["messages"].append({"$ref": "#/channels/bus.audit/messages/AuditRecord"})
    for name, document, expected in (
        ("unknown-type.json", unknown_type, "avro: undefined type name"),
        ("foreign.json", foreign, "does not belong to the specified channel"),
    ):
        path = tmp_path / name
        path.write_text(json.dumps(document))
        checked = _validate(path)
        assert checked.returncode == 1, checked.stdout
        assert expected in checked.stdout


def test_a_new_authority_in_the_catalogue_adds_its_channels_and_operations(
    tmp_path: Path,
) -> None:
    before = asyncapi_document(CATALOGUE, CONTRACTS, SETTINGS)
    after = asyncapi_document(_with_authority("environment", tmp_path), CONTRACTS, SETTINGS)
    new_channels = set(after["channels"]) - set(before["channels"])
    assert new_channels == {"bus.inbox.environment", "bus.assistant.environment"}
    assert set(before["channels"]) <= set(after["channels"])
    new_operations = set(after["operations"]) - set(before["operations"])
    assert {
        "service-environment.receive.bus.inbox.environment",
        "service-environment.send.bus.service-updates",
        "assistant-environment.send.bus.assistant-events",
        "assistant-environment.receive.bus.assistant.environment",
        "router.send.bus.inbox.environment",
        "router.send.bus.assistant.environment",
        "escalator.send.bus.assistant.environment",
        "auditor.receive.bus.inbox.environment",
    } <= new_operations
    inbox = after["channels"]["bus.inbox.environment"]
    assert "Environmental Board" in inbox["description"]
    assert inbox["bindings"]["kafka"]["partitions"] == 3  # topics.per_authority in the file


def test_every_topic_a_principal_may_read_or_write_is_an_operation_and_nothing_else() -> None:
    document = asyncapi_document(CATALOGUE, CONTRACTS, SETTINGS)
    channels = document["channels"]
    granted = {
        (p.name, "receive" if b.operation == Operation.READ else "send", b.name)
        for p in principals(CATALOGUE, SETTINGS)
        for b in p.bindings
        if b.resource == Resource.TOPIC
        and b.operation in (Operation.READ, Operation.WRITE)
        and b.name in channels
    }
    described = {
        (op["x-kafka-principal"].removeprefix("User:"), op["action"], op["channel"]["$ref"])
        for op in document["operations"].values()
    }
    assert described == {(who, action, f"#/channels/{topic}") for who, action, topic in granted}
    # the catalogue's topics are all channels; workers' changelogs and _schemas are not
    assert {spec.name for spec in CATALOGUE.topic_specs()} <= set(channels)
    assert not any(name.endswith("-changelog") or name == "_schemas" for name in channels)


def test_a_receive_operation_names_the_consumer_groups_its_principal_may_join() -> None:
    operations = asyncapi_document(CATALOGUE, CONTRACTS, SETTINGS)["operations"]
    group = operations["service-tax-board.receive.bus.inbox.tax-board"]["bindings"]["kafka"]
    assert group["groupId"] == {"type": "string", "pattern": "^service-tax-board"}
    router = operations["router.receive.bus.assistant-events"]["bindings"]["kafka"]
    assert router["groupId"] == {"type": "string", "const": "agency-bus"}


def test_messages_carry_the_avro_contract_the_key_and_the_cloudevents_headers() -> None:
    document = asyncapi_document(CATALOGUE, CONTRACTS, SETTINGS)
    greeting = document["components"]["messages"]["Greeting"]
    contract = CONTRACTS[GREETING].schema
    assert greeting["payload"] == {"schemaFormat": AVRO_FORMAT, "schema": contract}
    kafka = greeting["bindings"]["kafka"]
    assert "conversation id" in kafka["key"]["description"]
    assert kafka["schemaIdPayloadEncoding"] == "confluent"
    assert kafka["schemaLookupStrategy"] == "RecordNameStrategy"
    assert greeting["headers"]["allOf"][1]["properties"]["ce_type"] == {"const": GREETING}
    # every header a real event carries is described, and what every event carries is required
    event = new_event(GREETING, source="assistant:police", conversation_id="c-1", text="Hi")
    written = {name for name, _ in ce_headers(event, "http://registry/subjects/x/versions/1")}
    schema = document["components"]["schemas"][CLOUDEVENTS]
    assert written == set(schema["properties"])
    unnamed = new_event(GREETING, source="assistant:police", text="Hi")
    assert set(schema["required"]) == {name for name, _ in ce_headers(unnamed, "u")}


def test_channels_list_what_their_topics_carry() -> None:
    channels = asyncapi_document(CATALOGUE, CONTRACTS, SETTINGS)["channels"]
    carried = carriages(CATALOGUE, CONTRACTS)
    assert list(channels) == list(carried)
    police = channels["bus.assistant.police"]["messages"]
    assert "ServiceRequestAccepted" in police and "Greeting" in police
    assert "ServiceRequestAccepted" not in channels["bus.inbox.police"]["messages"]
    assert set(channels["bus.service-updates"]["messages"]) == {
        name.rsplit(".", 1)[1] for name in carried["bus.service-updates"].types
    }
    assert SERVICE_REQUEST_ACCEPTED in carried["bus.service-updates"].types
    audit = channels["bus.audit"]["messages"]["AuditRecord"]
    assert "headers" not in audit  # the audit log is written without CloudEvents headers
    assert audit["bindings"]["kafka"]["key"]["description"].startswith("record or checkpoint")
    dead = channels["bus.deadletters"]["messages"]["DeadLetteredRecord"]
    assert "bus_dlq_reason" in dead["headers"]["required"]
    config = channels["bus.audit"]["bindings"]["kafka"]["topicConfiguration"]
    assert config == {"cleanup.policy": ["delete"], "retention.ms": -1}


def _every_ref(node: Any) -> list[str]:
    if isinstance(node, dict):
        if "$ref" in node:
            return [node["$ref"]]
        node = list(node.values())
    if isinstance(node, list):
        return [ref for value in node for ref in _every_ref(value)]
    return []


def test_the_document_is_the_same_every_time() -> None:
    first = asyncapi_document(CATALOGUE, CONTRACTS, SETTINGS)
    assert json.dumps(first) == json.dumps(asyncapi_document(CATALOGUE, CONTRACTS, SETTINGS))
    assert all(ref.startswith("#/") for ref in _every_ref(first))
