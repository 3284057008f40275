"""The shapes of names in the catalogue, checked where they are read."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

_TOPIC = re.compile(r"[A-Za-z0-9._-]+")
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_INTENT = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*")
TOPIC_MAX_LENGTH = 249


def _topic(name: str) -> str:
    if not _TOPIC.fullmatch(name) or name in (".", ".."):
        raise ValueError(f"topic name {name!r} may only use letters, digits, '.', '_' and '-'")
    if len(name) > TOPIC_MAX_LENGTH:
        raise ValueError(f"topic name {name[:40]!r}... is longer than {TOPIC_MAX_LENGTH}")
    return name


def _slug(code: str) -> str:
    if not _SLUG.fullmatch(code):
        raise ValueError(f"{code!r} is not a lower-case slug such as 'tax-board'")
    return code


def is_slug(value: object) -> bool:
    return isinstance(value, str) and _SLUG.fullmatch(value) is not None


def _intent(intent: str) -> str:
    if not _INTENT.fullmatch(intent):
        raise ValueError(f"{intent!r} is not a lower-case dotted intent such as 'tax.income'")
    return intent


TopicName = Annotated[str, AfterValidator(_topic)]
"""A legal Kafka topic name."""

Slug = Annotated[str, AfterValidator(_slug)]
"""An authority or service code: lower-case words joined by '-'."""

Intent = Annotated[str, AfterValidator(_intent)]
"""An intent or intent prefix: lower-case segments joined by '.'."""


def intent_matches(prefix: str, intent: str) -> bool:
    """Dot-prefix match: ``tax`` covers ``tax`` and ``tax.income`` but not ``taxi``."""
    return intent == prefix or intent.startswith(prefix + ".")


def collision_key(topic: str) -> str:
    """Kafka refuses topics whose names differ only in '.' versus '_' (metric names clash)."""
    return topic.replace(".", "_")
