"""Fail fast when a principal may not read a topic, instead of waiting on an empty stream.

A consumer subscribed to a topic its principal may not read gets no records
and no exception from aiokafka (only a log line per metadata refresh), so a
misconfigured agency service would sit idle; the subscriber asks first.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiokafka.errors import TopicAuthorizationFailedError

from bus.errors import AccessDeniedError
from bus.kafka.admin import admin_client
from bus.kafka.connection import security_kwargs
from bus.settings import Settings


async def require_readable(settings: Settings, topics: Sequence[str]) -> None:
    """Raise AccessDeniedError naming the topics the settings' principal may not use."""
    security = security_kwargs(settings)
    if not security:
        return
    async with admin_client(settings.bootstrap_servers, **security) as admin:
        described = await admin.describe_topics(list(topics))
    denied = sorted(
        str(topic["topic"])
        for topic in described
        if topic["error_code"] == TopicAuthorizationFailedError.errno
    )
    if denied:
        raise AccessDeniedError(
            f"principal {settings.sasl_username!r} may not read {', '.join(denied)}: "
            "check BUS_SASL_USERNAME, or have the operator grant it (`bus acl apply`)"
        )
