"""The authority catalogue: who owns which services and intents, and the topics they use."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    field_validator,
    model_validator,
)

from bus.catalogue.check import Problem, format_loc, problems
from bus.catalogue.escalation import EscalationPolicy
from bus.catalogue.hours import WorkingHours
from bus.catalogue.names import Intent, Slug, TopicName, intent_matches, is_slug
from bus.catalogue.sandbox import Sandbox, sandbox_problems
from bus.errors import ConfigurationError
from bus.kafka.admin import TopicSpec

CleanupPolicy = Literal["delete", "compact", "compact,delete"]
_TYPED_CONFIG = {"retention.ms": "retention_ms", "cleanup.policy": "cleanup_policy"}


def _as_strings(value: Any) -> Any:
    # Kafka configs are strings; YAML gives numbers and booleans.
    if not isinstance(value, dict):
        return value
    return {
        key: str(item).lower() if isinstance(item, bool | int | float) else item
        for key, item in value.items()
    }


def _not_typed(value: dict[str, str]) -> dict[str, str]:
    for key, field in _TYPED_CONFIG.items():
        if key in value:
            raise ValueError(f"set {key!r} with {field!r}, not in config")
    return value


KafkaConfig = Annotated[dict[str, str], BeforeValidator(_as_strings), AfterValidator(_not_typed)]
"""Further Kafka topic configs (e.g. ``min.insync.replicas``), passed through as strings."""


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TopicOverride(_Strict):
    """Topic settings that replace the defaults where given."""

    partitions: int | None = Field(None, ge=1)
    replication_factor: int | None = Field(None, ge=1)
    retention_ms: int | None = Field(None, ge=-1)
    cleanup_policy: CleanupPolicy | None = None
    config: KafkaConfig = Field(default_factory=dict)


class TopicSettings(_Strict):
    """Complete topic settings: what every topic starts from."""

    partitions: int = Field(6, ge=1)
    replication_factor: int = Field(1, ge=1)
    retention_ms: int = Field(7 * 24 * 3600 * 1000, ge=-1, description="-1 keeps forever")
    cleanup_policy: CleanupPolicy = "delete"
    config: KafkaConfig = Field(default_factory=dict)

    def merged(self, *overrides: TopicOverride | None) -> TopicSettings:
        """These settings with each override applied in turn."""
        data = self.model_dump()
        for override in overrides:
            if override is None:
                continue
            given = override.model_dump(exclude_none=True, exclude={"config"})
            data.update(given, config={**data["config"], **override.config})
        return TopicSettings.model_validate(data)

    def spec(self, name: str) -> TopicSpec:
        config = {
            "retention.ms": str(self.retention_ms),
            "cleanup.policy": self.cleanup_policy,
            **self.config,
        }
        return TopicSpec(name, self.partitions, self.replication_factor, config)


class TopicsConfig(_Strict):
    """The bus's shared topics and the settings of every topic."""

    defaults: TopicSettings = Field(default_factory=TopicSettings)
    per_authority: TopicOverride = Field(
        default_factory=TopicOverride, description="Applied to every inbox and assistant topic."
    )
    assistant_events: TopicName = "bus.assistant-events"
    service_updates: TopicName = "bus.service-updates"
    dead_letters: TopicName = "bus.deadletters"
    audit: TopicName = Field(
        "bus.audit", description="The hash-chained audit log; kept forever (retention.ms -1)."
    )
    audited: tuple[TopicName, ...] | None = Field(
        None, description="Topics the auditor records; default every other topic listed here."
    )
    escalations: TopicName = Field("", description="Default <prefix>.escalations.")
    escalation_actions: TopicName = Field("", description="Default <prefix>.escalation-actions.")
    presence: TopicName = Field("", description="Default <prefix>.official-presence.")
    overrides: dict[TopicName, TopicOverride] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _escalation_topics(cls, data: Any) -> Any:
        # Named after the assistant topic so two catalogues on one broker never share them.
        if not isinstance(data, dict):
            return data
        assistant = str(data.get("assistant_events") or "bus.assistant-events")
        prefix = assistant.removesuffix("assistant-events").rstrip(".-_") or assistant
        data = {**data}
        for key, suffix in (
            ("escalations", "escalations"),
            ("escalation_actions", "escalation-actions"),
            ("presence", "official-presence"),
        ):
            data.setdefault(key, f"{prefix}.{suffix}")
        return data

    def shared(self) -> dict[str, str]:
        """The shared topics by their key in the file."""
        return {
            "assistant_events": self.assistant_events,
            "service_updates": self.service_updates,
            "dead_letters": self.dead_letters,
            "audit": self.audit,
            "escalations": self.escalations,
            "escalation_actions": self.escalation_actions,
            "presence": self.presence,
        }


class Authority(_Strict):
    """One public authority: its topics, what it owns and when its officials work."""

    code: Slug
    name: str = Field(min_length=1)
    inbox: TopicName = Field("", description="Default bus.inbox.<code>; its services read it.")
    assistant_topic: TopicName = Field(
        "", description="Default bus.assistant.<code>; its chat assistant reads it."
    )
    services: tuple[Slug, ...] = ()
    intents: tuple[Intent, ...] = ()
    working_hours: WorkingHours | None = None
    escalation: EscalationPolicy = Field(default_factory=EscalationPolicy)
    webhook: str | None = Field(None, description="Where `bus webhooks run` POSTs the inbox.")
    webhook_secret: str | None = Field(
        None,
        description="HMAC key that signs the webhook's requests; write ${VARIABLE} so the "
        "secret itself stays in the environment, not in this file.",
    )

    @model_validator(mode="before")
    @classmethod
    def _default_topics(cls, data: Any) -> Any:
        if isinstance(data, dict) and is_slug(code := data.get("code")):
            data = {**data}
            data.setdefault("inbox", f"bus.inbox.{code}")
            data.setdefault("assistant_topic", f"bus.assistant.{code}")
        return data

    @field_validator("webhook")
    @classmethod
    def _http_url(cls, url: str | None) -> str | None:
        if url is not None and not url.startswith(("http://", "https://")):
            raise ValueError(f"webhook {url!r} is not an http:// or https:// URL")
        return url


class IntentRule(_Strict):
    """Intents equal to ``match`` or under it (``match.*``) go to ``authority``."""

    match: Intent
    authority: Slug


class RoutingRules(_Strict):
    """Rules over the authorities' own claims, and where the unclaimed go."""

    services: dict[Slug, Slug] = Field(default_factory=dict)
    intents: tuple[IntentRule, ...] = ()
    fallback: Slug | None = None


class Catalogue(_Strict):
    """The network of authorities; consistent by construction (see ``check.problems``)."""

    authorities: dict[str, Authority]
    topics: TopicsConfig = Field(default_factory=TopicsConfig)
    routing: RoutingRules = Field(default_factory=RoutingRules)
    sandboxes: tuple[Sandbox, ...] = ()
    _owners: dict[str, Authority | None] = PrivateAttr(default_factory=dict)
    """``authority_for_intent`` answers, remembered: the catalogue never changes."""

    @model_validator(mode="after")
    def _consistent(self) -> Catalogue:
        found = [
            Problem(("authorities", key), f"keyed {key!r} but its code is {authority.code!r}")
            for key, authority in self.authorities.items()
            if key != authority.code
        ]
        found += problems(
            list(self.authorities.values()), self.topics, self.routing, self.sandboxes
        )
        found += sandbox_problems(self.sandboxes, list(self.authorities))
        if found:
            raise ValueError("; ".join(f"{format_loc(p.loc)}: {p.message}" for p in found))
        return self

    def authority(self, code: str | None) -> Authority | None:
        return self.authorities.get(code) if code else None

    @property
    def fallback(self) -> Authority | None:
        """Where conversations go that no rule matches; None sends them to dead letters."""
        return self.authority(self.routing.fallback)

    def authority_for_service(self, service_code: str) -> Authority | None:
        """The routing rule for the service, else the authority that lists it."""
        if service_code in self.routing.services:
            return self.authority(self.routing.services[service_code])
        return next((a for a in self.authorities.values() if service_code in a.services), None)

    def authority_for_intent(self, intent: str) -> Authority | None:
        """The first matching routing rule, else the authority with the most specific claim."""
        if intent not in self._owners:
            self._owners[intent] = self._owner_of(intent)
        return self._owners[intent]

    def _owner_of(self, intent: str) -> Authority | None:
        for rule in self.routing.intents:
            if intent_matches(rule.match, intent):
                return self.authority(rule.authority)
        claims = [
            (len(prefix), authority)
            for authority in self.authorities.values()
            for prefix in authority.intents
            if intent_matches(prefix, intent)
        ]
        return max(claims, key=lambda claim: claim[0])[1] if claims else None

    def authority_of_source(self, source: str | None) -> Authority | None:
        """The authority named by a CloudEvents source such as ``assistant:tax-board``."""
        return self.authority(source.rpartition(":")[2]) if source else None

    def audited_topics(self) -> list[str]:
        """The topics whose every event the auditor records."""
        if self.topics.audited is not None:
            return list(self.topics.audited)
        return [spec.name for spec in self.topic_specs() if spec.name != self.topics.audit]

    def topic_specs(self) -> list[TopicSpec]:
        """Every topic the bus needs, with partitions, replication and configs."""
        topics, defaults = self.topics, self.topics.defaults
        never_expires = {topics.audit: TopicOverride(retention_ms=-1)}
        specs = [
            defaults.merged(never_expires.get(name), topics.overrides.get(name)).spec(name)
            for name in topics.shared().values()
        ]
        for authority in self.authorities.values():
            for name in (authority.inbox, authority.assistant_topic):
                settings = defaults.merged(topics.per_authority, topics.overrides.get(name))
                specs.append(settings.spec(name))
        for box in self.sandboxes:
            for name in box.topics():
                settings = defaults.merged(topics.per_authority, topics.overrides.get(name))
                specs.append(settings.spec(name))
        return specs

    def sandbox(self, name: str) -> Sandbox:
        """The sandbox called ``name``; ``ConfigurationError`` naming those there are."""
        for box in self.sandboxes:
            if box.name == name:
                return box
        known = ", ".join(box.name for box in self.sandboxes) or "none"
        raise ConfigurationError(f"no sandbox {name!r} in the catalogue (declared: {known})")
