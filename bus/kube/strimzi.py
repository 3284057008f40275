"""Strimzi's KafkaTopics and KafkaUsers for the catalogue, from the code ``bus acl apply`` runs.

Where Strimzi's operators own the cluster, the topics and ACLs are Kubernetes
resources instead of admin requests: the catalogue's topics
(``Catalogue.topic_specs``, what ``bus topics apply`` creates) and a
SCRAM-SHA-512 KafkaUser per principal whose ACLs are its bindings from
``bus.security.principals`` (what ``bus acl apply`` creates), so both paths grant
the same. ``bindings_of`` reads them back as Kafka would store them.

The resources are one ``List``, annotated with the catalogue's SHA-256, the
router's app id and the registry topic, so the Helm chart refuses them with a
catalogue or settings they were not made from.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from typing import Any

from bus.catalogue import Catalogue
from bus.errors import ConfigurationError
from bus.kafka.admin import TopicSpec
from bus.security.principals import (
    Binding,
    Operation,
    Pattern,
    Principal,
    Resource,
    principals,
    worker_app_id,
)
from bus.settings import Settings

API_VERSION = "kafka.strimzi.io/v1beta2"
CLUSTER_LABEL = "strimzi.io/cluster"
CATALOGUE_SHA256 = "agency-bus/catalogue-sha256"
APP_ID = "agency-bus/app-id"
REGISTRY_TOPIC = "agency-bus/registry-topic"

RESOURCE_TYPES = {
    Resource.TOPIC: "topic",
    Resource.GROUP: "group",
    Resource.CLUSTER: "cluster",
    Resource.TRANSACTIONAL_ID: "transactionalId",
}
PATTERN_TYPES = {Pattern.LITERAL: "literal", Pattern.PREFIXED: "prefix"}
OPERATIONS = {
    Operation.ALL: "All",
    Operation.READ: "Read",
    Operation.WRITE: "Write",
    Operation.CREATE: "Create",
    Operation.DESCRIBE: "Describe",
    Operation.DESCRIBE_CONFIGS: "DescribeConfigs",
}
_NOT_DNS = re.compile(r"[^a-z0-9.-]+")
_INTEGER = re.compile(r"^-?\d+$")


def strimzi_resources(
    catalogue: Catalogue, settings: Settings, catalogue_text: bytes, cluster: str | None = None
) -> dict[str, Any]:
    """A ``List`` of the catalogue's KafkaTopics and a KafkaUser per principal."""
    if settings.sasl_mechanism != "SCRAM-SHA-512":
        raise ConfigurationError(
            "Strimzi's KafkaUsers authenticate with SCRAM-SHA-512; "
            f"BUS_SASL_MECHANISM is {settings.sasl_mechanism}"
        )
    annotations = {
        CATALOGUE_SHA256: hashlib.sha256(catalogue_text).hexdigest(),
        APP_ID: worker_app_id("router", settings),
        REGISTRY_TOPIC: settings.registry_topic,
    }
    labels = {CLUSTER_LABEL: cluster} if cluster else {}
    items = [_topic(spec, labels, annotations) for spec in catalogue.topic_specs()]
    items += [_user(p, labels, annotations) for p in principals(catalogue, settings)]
    return {"apiVersion": "v1", "kind": "List", "items": items}


def _metadata(name: str, labels: dict[str, str], annotations: dict[str, str]) -> dict[str, Any]:
    return {"name": name, "labels": dict(labels), "annotations": dict(annotations)}


def resource_name(topic: str) -> str:
    """A Kubernetes name for a topic: as it is if valid, else lowercased and cleaned with a
    hash of the original, so two topics never share one."""
    name = _NOT_DNS.sub("-", topic.lower()).strip(".-")
    if name == topic and len(name) <= 253:
        return name
    digest = hashlib.sha256(topic.encode()).hexdigest()[:8]
    return f"{name[:240]}-{digest}".lstrip("-")


def _topic(spec: TopicSpec, labels: dict[str, str], annotations: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": API_VERSION,
        "kind": "KafkaTopic",
        "metadata": _metadata(resource_name(spec.name), labels, annotations),
        "spec": {
            "topicName": spec.name,
            "partitions": spec.partitions,
            "replicas": spec.replication,
            "config": {
                key: int(value) if _INTEGER.match(value) else value
                for key, value in sorted(spec.config.items())
            },
        },
    }


def _user(
    principal: Principal, labels: dict[str, str], annotations: dict[str, str]
) -> dict[str, Any]:
    operations: dict[tuple[int, str, int], list[str]] = defaultdict(list)
    for binding in principal.bindings:
        key = (binding.resource, binding.name, binding.pattern)
        operations[key].append(OPERATIONS[Operation(binding.operation)])
    acls = [
        {
            "resource": _resource(resource, name, pattern),
            "operations": sorted(found),
            "host": "*",
        }
        for (resource, name, pattern), found in sorted(operations.items())
    ]
    return {
        "apiVersion": API_VERSION,
        "kind": "KafkaUser",
        "metadata": _metadata(
            principal.name, labels, {**annotations, "agency-bus/role": principal.role}
        ),
        "spec": {
            "authentication": {"type": "scram-sha-512"},
            "authorization": {"type": "simple", "acls": acls},
        },
    }


def _resource(resource: int, name: str, pattern: int) -> dict[str, str]:
    kind = RESOURCE_TYPES[Resource(resource)]
    if kind == "cluster":
        return {"type": kind}
    return {"type": kind, "name": name, "patternType": PATTERN_TYPES[Pattern(pattern)]}


def bindings_of(resources: dict[str, Any]) -> set[Binding]:
    """The ALLOW bindings Strimzi's User Operator creates for the KafkaUsers (host ``*``)."""
    types = {text: kind for kind, text in RESOURCE_TYPES.items()}
    patterns = {text: pattern for pattern, text in PATTERN_TYPES.items()}
    operations = {text: operation for operation, text in OPERATIONS.items()}
    found = set()
    for item in resources["items"]:
        if item["kind"] != "KafkaUser":
            continue
        principal = f"User:{item['metadata']['name']}"
        for acl in item["spec"]["authorization"]["acls"]:
            resource = acl["resource"]
            for operation in acl["operations"]:
                found.add(
                    Binding(
                        principal,
                        types[resource["type"]],
                        resource.get("name", "kafka-cluster"),
                        patterns[resource.get("patternType", "literal")],
                        operations[operation],
                    )
                )
    return found
