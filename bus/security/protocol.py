"""Kafka admin requests aiokafka 0.14 has no client method for: ACLs and SCRAM users.

aiokafka ships the wire structs for DescribeAcls and CreateAcls but only a
one-binding builder, and nothing for the SCRAM credential APIs (KIP-554), so
the few requests the bus needs are declared here with aiokafka's own types and
sent through its admin client's connection.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.protocol.admin import (
    CreateAclsRequest_v1,
    DescribeAclsRequest_v1,
)
from aiokafka.protocol.api import Request, RequestStruct, Response
from aiokafka.protocol.types import (
    CompactArray,
    CompactBytes,
    CompactString,
    Int8,
    Int16,
    Int32,
    Schema,
    TaggedFields,
)

from bus.security.principals import Binding

ANY, LITERAL, ALLOW = 1, 3, 3
SCRAM_SHA_512 = 2  # the mechanism's code in the SCRAM credential APIs
SCRAM_ITERATIONS = 4096


class _CreateAcls(Request[CreateAclsRequest_v1]):  # type: ignore[misc]
    API_KEY = 30

    def __init__(self, creations: list[tuple[Any, ...]]) -> None:
        self.creations = creations

    def build(self, request_struct_class: type[CreateAclsRequest_v1]) -> CreateAclsRequest_v1:
        return request_struct_class(self.creations)


class _DescribeAcls(Request[DescribeAclsRequest_v1]):  # type: ignore[misc]
    API_KEY = 29

    def build(self, request_struct_class: type[DescribeAclsRequest_v1]) -> DescribeAclsRequest_v1:
        # every binding: any resource type, any name, any pattern, principal, host, operation
        return request_struct_class(ANY, None, ANY, None, None, ANY, ANY)


class _DescribeScramResponse(Response):  # type: ignore[misc]
    API_KEY = 50
    API_VERSION = 0
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        ("error_code", Int16),
        ("error_message", CompactString("utf-8")),
        (
            "results",
            CompactArray(
                ("user", CompactString("utf-8")),
                ("error_code", Int16),
                ("error_message", CompactString("utf-8")),
                (
                    "credential_infos",
                    CompactArray(
                        ("mechanism", Int8), ("iterations", Int32), ("tags", TaggedFields)
                    ),
                ),
                ("tags", TaggedFields),
            ),
        ),
        ("tags", TaggedFields),
    )


class _DescribeScramStruct(RequestStruct):  # type: ignore[misc]
    FLEXIBLE_VERSION = True
    API_KEY = 50
    API_VERSION = 0
    RESPONSE_TYPE = _DescribeScramResponse
    SCHEMA = Schema(
        ("users", CompactArray(("name", CompactString("utf-8")), ("tags", TaggedFields))),
        ("tags", TaggedFields),
    )


class _DescribeScram(Request[_DescribeScramStruct]):  # type: ignore[misc]
    API_KEY = 50

    def build(self, request_struct_class: type[_DescribeScramStruct]) -> _DescribeScramStruct:
        return request_struct_class(None, {})  # null: every user


class _AlterScramResponse(Response):  # type: ignore[misc]
    API_KEY = 51
    API_VERSION = 0
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        (
            "results",
            CompactArray(
                ("user", CompactString("utf-8")),
                ("error_code", Int16),
                ("error_message", CompactString("utf-8")),
                ("tags", TaggedFields),
            ),
        ),
        ("tags", TaggedFields),
    )


class _AlterScramStruct(RequestStruct):  # type: ignore[misc]
    FLEXIBLE_VERSION = True
    API_KEY = 51
    API_VERSION = 0
    RESPONSE_TYPE = _AlterScramResponse
    SCHEMA = Schema(
        (
            "deletions",
            CompactArray(
                ("name", CompactString("utf-8")), ("mechanism", Int8), ("tags", TaggedFields)
            ),
        ),
        (
            "upsertions",
            CompactArray(
                ("name", CompactString("utf-8")),
                ("mechanism", Int8),
                ("iterations", Int32),
                ("salt", CompactBytes),
                ("salted_password", CompactBytes),
                ("tags", TaggedFields),
            ),
        ),
        ("tags", TaggedFields),
    )


class _AlterScram(Request[_AlterScramStruct]):  # type: ignore[misc]
    API_KEY = 51

    def __init__(self, upsertions: list[tuple[Any, ...]]) -> None:
        self.upsertions = upsertions

    def build(self, request_struct_class: type[_AlterScramStruct]) -> _AlterScramStruct:
        return request_struct_class([], self.upsertions, {})


class AclRequestError(Exception):
    """The broker refused an ACL or SCRAM request; the message holds its error code and text."""


async def describe_bindings(admin: AIOKafkaAdminClient) -> set[Binding]:
    """Every ALLOW binding on the cluster (host ``*``)."""
    response = await admin._send_request(_DescribeAcls())
    if response.error_code:
        raise AclRequestError(f"DescribeAcls: {response.error_message} ({response.error_code})")
    found = set()
    for resource_type, name, pattern, acls in response.resources:
        for principal, host, operation, permission in acls:
            if permission == ALLOW and host == "*":
                found.add(Binding(principal, resource_type, name, pattern, operation))
    return found


async def create_bindings(admin: AIOKafkaAdminClient, bindings: list[Binding]) -> None:
    """Create ALLOW bindings for any host; Kafka ignores ones that exist already."""
    if not bindings:
        return
    creations = [
        (b.resource, b.name, b.pattern, b.principal, "*", b.operation, ALLOW) for b in bindings
    ]
    response = await admin._send_request(_CreateAcls(creations))
    failed = [
        f"{binding.describe()}: {message} ({code})"
        for binding, (code, message) in zip(bindings, response.creation_responses, strict=True)
        if code
    ]
    if failed:
        raise AclRequestError("CreateAcls failed for " + "; ".join(failed))


async def scram_users(admin: AIOKafkaAdminClient) -> set[str]:
    """The users with a SCRAM-SHA-512 credential."""
    response = await admin._send_request(_DescribeScram())
    if response.error_code:
        raise AclRequestError(
            f"DescribeUserScramCredentials: {response.error_message} ({response.error_code})"
        )
    return {
        user
        for user, _code, _message, infos, _tags in response.results
        if any(info[0] == SCRAM_SHA_512 for info in infos)
    }


def salted_password(password: str, salt: bytes, iterations: int = SCRAM_ITERATIONS) -> bytes:
    """SCRAM's SaltedPassword (RFC 5802): PBKDF2 with HMAC-SHA-512; the broker stores this."""
    return hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations)


async def set_scram_users(admin: AIOKafkaAdminClient, passwords: dict[str, str]) -> None:
    """Create or replace the SCRAM-SHA-512 credential of each user."""
    if not passwords:
        return
    upsertions: list[tuple[Any, ...]] = []
    for user, password in sorted(passwords.items()):
        salt = secrets.token_bytes(32)
        upsertions.append(
            (user, SCRAM_SHA_512, SCRAM_ITERATIONS, salt, salted_password(password, salt), {})
        )
    response = await admin._send_request(_AlterScram(upsertions))
    failed = [
        f"{user}: {message} ({code})" for user, code, message, _tags in response.results if code
    ]
    if failed:
        raise AclRequestError("AlterUserScramCredentials failed for " + "; ".join(failed))
