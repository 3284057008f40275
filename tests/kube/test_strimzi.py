"""Strimzi's KafkaTopics and KafkaUsers grant what ``bus topics apply`` and ``bus acl apply`` do.

The pure tests compare the export with the principals' bindings; the broker
test runs ``bus acl apply`` on a real secured broker and compares what Kafka
stores with what Strimzi's User Operator would create from the KafkaUsers.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import yaml
from confluent_kafka.admin import AdminClient

from bus.catalogue import load_catalogue
from bus.errors import ConfigurationError
from bus.kafka.connection import librdkafka_config
from bus.kube.strimzi import (
    APP_ID,
    CATALOGUE_SHA256,
    CLUSTER_LABEL,
    bindings_of,
    resource_name,
    strimzi_resources,
)
from bus.security.principals import all_bindings, principals
from bus.security.protocol import describe_bindings
from bus.settings import Settings
from bus.supervise import run_bus

SETTINGS = Settings(app_id="agency-bus")
CATALOGUE = load_catalogue(SETTINGS.catalogue)
TEXT = SETTINGS.catalogue.read_bytes()


def _export(settings: Settings = SETTINGS, cluster: str | None = "agency") -> dict[str, Any]:
    return strimzi_resources(CATALOGUE, settings, TEXT, cluster)


def _items(kind: str, resources: dict[str, Any]) -> list[dict[str, Any]]:
    return [item for item in resources["items"] if item["kind"] == kind]


def test_the_kafka_users_grant_exactly_the_bindings_acl_apply_computes() -> None:
    wanted = principals(CATALOGUE, SETTINGS)
    exported = _export()
    assert bindings_of(exported) == set(all_bindings(wanted))
    users = {user["metadata"]["name"] for user in _items("KafkaUser", exported)}
    assert users == {principal.name for principal in wanted}
    for user in _items("KafkaUser", exported):
        spec = user["spec"]
        assert spec["authentication"] == {"type": "scram-sha-512"}
        assert spec["authorization"]["type"] == "simple"


def test_another_app_id_changes_the_router_grants_the_same_way_in_both_paths() -> None:
    other = SETTINGS.model_copy(update={"app_id": "bus-prod"})
    exported = _export(other)
    assert bindings_of(exported) == set(all_bindings(principals(CATALOGUE, other)))
    assert any(b.name == "bus-prod" and b.principal == "User:router" for b in bindings_of(exported))
    assert all(item["metadata"]["annotations"][APP_ID] == "bus-prod" for item in exported["items"])


def test_the_kafka_topics_are_the_catalogue_topics_bus_topics_apply_creates() -> None:
    exported = _export()
    topics = {topic["spec"]["topicName"]: topic for topic in _items("KafkaTopic", exported)}
    specs = {spec.name: spec for spec in CATALOGUE.topic_specs()}
    assert set(topics) == set(specs)
    for name, spec in specs.items():
        topic = topics[name]
        assert topic["spec"]["partitions"] == spec.partitions
        assert topic["spec"]["replicas"] == spec.replication
        config = {k: str(v) for k, v in topic["spec"]["config"].items()}
        assert config == spec.config
        metadata = topic["metadata"]
        assert metadata["labels"] == {CLUSTER_LABEL: "agency"}
        assert len(metadata["annotations"][CATALOGUE_SHA256]) == 64


def test_topic_names_that_are_no_kubernetes_names_get_a_clean_one_of_their_own() -> None:
    assert resource_name("bus.inbox.tax-board") == "bus.inbox.tax-board"
    cleaned = resource_name("_schemas")
    assert cleaned.startswith("schemas-") and cleaned != resource_name("schemas_")
    assert resource_name("Bus.Audit") != resource_name("bus.audit")
    assert resource_name("Bus.Audit").startswith("bus.audit-")


def test_strimzi_users_are_scram_sha_512_only() -> None:
    with pytest.raises(ConfigurationError, match="SCRAM-SHA-512"):
        _export(SETTINGS.model_copy(update={"sasl_mechanism": "SCRAM-SHA-256"}))


def test_bus_catalogue_export_writes_the_list(tmp_path: Path) -> None:
    out = tmp_path / "strimzi.yaml"
    written = run_bus("catalogue", "export", "--strimzi", "--cluster", "agency", "--out", str(out))
    assert written.returncode == 0, written.stderr
    assert yaml.safe_load(out.read_text()) == _export()


@pytest.mark.broker
@pytest.mark.slow
def test_on_a_secured_broker_acl_apply_stores_the_bindings_the_kafka_users_describe(
    secured_kafka: Settings, tmp_path: Path
) -> None:
    assert secured_kafka.sasl_username and secured_kafka.sasl_password
    env = {
        "BUS_BOOTSTRAP_SERVERS": secured_kafka.bootstrap_servers,
        "BUS_SECURITY_PROTOCOL": secured_kafka.security_protocol,
        "BUS_SASL_USERNAME": secured_kafka.sasl_username,
        "BUS_SASL_PASSWORD": secured_kafka.sasl_password.get_secret_value(),
        "BUS_APP_ID": "agency-bus",
    }
    applied = run_bus("acl", "apply", "--credentials", str(tmp_path / "users.txt"), env=env)
    assert applied.returncode == 0, applied.stderr
    exported = run_bus("catalogue", "export", "--strimzi", env=env)
    assert exported.returncode == 0, exported.stderr
    from_strimzi = bindings_of(yaml.safe_load(exported.stdout))
    stored = asyncio.run(describe_bindings(AdminClient(librdkafka_config(secured_kafka))))
    ours = {binding.principal for binding in from_strimzi}
    assert {binding for binding in stored if binding.principal in ours} == from_strimzi
