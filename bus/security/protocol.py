"""ACLs and SCRAM users through confluent-kafka's AdminClient; aiokafka's admin has neither.

The AdminClient answers with concurrent futures, awaited here without
blocking the event loop. A Binding's numbers are Kafka's protocol codes, which
are also the values of confluent-kafka's enums.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import Future
from typing import Any, cast

from confluent_kafka import KafkaException
from confluent_kafka.admin import (  # type: ignore[attr-defined]  # re-exported, no __all__
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ResourcePatternType,
    ResourceType,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialsDescription,
    UserScramCredentialUpsertion,
)

from bus.security.principals import Binding

SCRAM_ITERATIONS = 4096
REQUEST_TIMEOUT_S = 30.0
MATCH_ANY: Any = None  # any name, principal or host in an ACL filter (annotated str upstream)


class AclRequestError(Exception):
    """The broker refused an ACL or SCRAM request; the message holds its error code and text."""


def _reason(exc: KafkaException) -> str:
    error = exc.args[0]
    return f"{error.str()} ({error.code()})"


async def _wait(request: str, future: Future[Any]) -> Any:
    try:
        return await asyncio.wrap_future(future)
    except KafkaException as exc:
        raise AclRequestError(f"{request}: {_reason(exc)}") from exc


async def _wait_each(request: str, futures: dict[str, Future[Any]]) -> None:
    """Wait for every future, then name each one that failed."""
    failed = []
    for name, future in futures.items():
        try:
            await asyncio.wrap_future(future)
        except KafkaException as exc:
            failed.append(f"{name}: {_reason(exc)}")
    if failed:
        raise AclRequestError(f"{request} failed for " + "; ".join(failed))


async def describe_bindings(admin: AdminClient) -> set[Binding]:
    """Every ALLOW binding on the cluster (host ``*``)."""
    every = AclBindingFilter(
        ResourceType.ANY,
        MATCH_ANY,
        ResourcePatternType.ANY,
        MATCH_ANY,
        MATCH_ANY,
        AclOperation.ANY,
        AclPermissionType.ANY,
    )
    acls: list[AclBinding] = await _wait(
        "DescribeAcls", admin.describe_acls(every, request_timeout=REQUEST_TIMEOUT_S)
    )
    return {
        Binding(
            acl.principal,
            ResourceType(acl.restype).value,
            acl.name,
            ResourcePatternType(acl.resource_pattern_type).value,
            AclOperation(acl.operation).value,
        )
        for acl in acls
        if acl.permission_type == AclPermissionType.ALLOW and acl.host == "*"
    }


async def create_bindings(admin: AdminClient, bindings: list[Binding]) -> None:
    """Create ALLOW bindings for any host; Kafka ignores ones that exist already."""
    if not bindings:
        return
    allow = AclPermissionType.ALLOW
    acls = {
        b: AclBinding(b.resource, b.name, b.pattern, b.principal, "*", b.operation, allow)
        for b in bindings
    }
    futures = admin.create_acls(list(acls.values()), request_timeout=REQUEST_TIMEOUT_S)
    await _wait_each("CreateAcls", {b.describe(): futures[acl] for b, acl in acls.items()})


async def scram_users(admin: AdminClient) -> set[str]:
    """The users with a SCRAM-SHA-512 credential."""
    every = cast(  # no user names: one future for every user
        "Future[dict[str, UserScramCredentialsDescription]]",
        admin.describe_user_scram_credentials(request_timeout=REQUEST_TIMEOUT_S),
    )
    described = await _wait("DescribeUserScramCredentials", every)
    return {
        user
        for user, description in described.items()
        if any(
            info.mechanism == ScramMechanism.SCRAM_SHA_512
            for info in description.scram_credential_infos
        )
    }


async def set_scram_users(admin: AdminClient, passwords: dict[str, str]) -> None:
    """Create or replace the SCRAM-SHA-512 credential of each user (salted by librdkafka)."""
    if not passwords:
        return
    info = ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, SCRAM_ITERATIONS)
    upsertions: list[Any] = [
        UserScramCredentialUpsertion(user, info, password.encode())
        for user, password in sorted(passwords.items())
    ]
    futures = admin.alter_user_scram_credentials(upsertions, request_timeout=REQUEST_TIMEOUT_S)
    await _wait_each("AlterUserScramCredentials", futures)
