"""Which topics each processor of ``bus worker`` reads, writes and creates, and which run.

Pure: ``bus.worker.build`` creates a worker's topics from it and
``bus.security.principals`` grants each role's principal exactly these topics,
so the two cannot drift apart. A processor's state store is a compacted
changelog topic ``<app_id>-<store>-changelog``, partitioned like its inputs.
"""

from __future__ import annotations

from dataclasses import dataclass

from bus.audit.auditor import audit_specs
from bus.catalogue import Catalogue
from bus.errors import ConfigurationError
from bus.kafka.admin import TopicSpec
from bus.settings import AGENTS, Settings


@dataclass(frozen=True)
class AgentTopics:
    """One agent's topics; ``own`` are those outside the catalogue its worker creates."""

    reads: tuple[str, ...]
    writes: tuple[str, ...]
    own: tuple[TopicSpec, ...] = ()


STORES = {"router": "router-subjects", "escalator": "escalator-conversations"}
"""The state store of each processor that keeps state."""
STORE_HOLDS = {
    "router": "The router's state per conversation: its host and owning authority, the ids "
    "of recent events with the topics each went to, which authority started each service "
    "request, the conversation's ids at other authorities. No value of a personal-data field.",
    "escalator": "The escalator's state per conversation: its host and owning authority, the "
    "escalation signals, its case (ids, policy, deadlines, status, the claiming official's "
    "staff id). No value of a personal-data field.",
}
"""What each store keeps, for the data map (a test feeds personal data through both
processors and finds none of it in their state)."""


def changelog_topic(settings: Settings, store: str) -> str:
    return f"{settings.app_id}-{store}-changelog"


def changelog_spec(settings: Settings, catalogue: Catalogue, agent: str) -> TopicSpec:
    """The changelog topic of ``agent``'s store (an agent of ``STORES``)."""
    changelog = changelog_topic(settings, STORES[agent])
    return next(
        spec for spec in agent_topics(agent, settings, catalogue).own if spec.name == changelog
    )


def _changelog(settings: Settings, agent: str, partitions: int) -> TopicSpec:
    config = {"cleanup.policy": "compact", "min.compaction.lag.ms": "0"}
    name = changelog_topic(settings, STORES[agent])
    return TopicSpec(name, partitions, settings.topic_replication_factor, config)


def selected_agents(settings: Settings) -> tuple[str, ...]:
    """The agents this worker runs (``BUS_AGENTS``), checked against those that exist."""
    unknown = [name for name in settings.agents if name not in AGENTS]
    if unknown:
        raise ConfigurationError(
            f"BUS_AGENTS names unknown agent(s) {', '.join(map(repr, unknown))}; "
            f"choose from {', '.join(AGENTS)} (comma separated)"
        )
    if not settings.agents:
        raise ConfigurationError(
            f"BUS_AGENTS names no agent; set it to some of {', '.join(AGENTS)} or unset it"
        )
    return settings.agents


def agent_topics(agent: str, settings: Settings, catalogue: Catalogue) -> AgentTopics:
    """The topics ``agent`` reads and writes with ``settings`` and ``catalogue``."""
    t = catalogue.topics
    inboxes = tuple(a.inbox for a in catalogue.authorities.values())
    assistants = tuple(a.assistant_topic for a in catalogue.authorities.values())
    n, r = settings.topic_partitions, settings.topic_replication_factor
    if agent == "echo":
        own = [TopicSpec(settings.heartbeat_topic, n, r), TopicSpec(settings.echo_topic, n, r)]
        if settings.dead_letter_topic not in {spec.name for spec in catalogue.topic_specs()}:
            own.append(TopicSpec(settings.dead_letter_topic, n, r))
        return AgentTopics(
            reads=(settings.heartbeat_topic,),
            writes=(settings.echo_topic, settings.dead_letter_topic),
            own=tuple(own),
        )
    specs = {spec.name: spec for spec in catalogue.topic_specs()}
    conversations = specs[t.assistant_events].partitions
    if agent == "router":
        changelog = _changelog(settings, agent, conversations)
        return AgentTopics(
            reads=(t.assistant_events, t.service_updates, changelog.name),
            writes=(*inboxes, *assistants, t.dead_letters, changelog.name),
            own=(changelog,),
        )
    if agent == "auditor":
        intake = tuple(audit_specs(catalogue))
        names = tuple(spec.name for spec in intake)
        # it reads the audit topic back to find each chain's head after a rebalance
        return AgentTopics(
            reads=(*catalogue.audited_topics(), t.audit, *names),
            writes=(*names, t.audit),
            own=intake,
        )
    if agent == "escalator":
        changelog = _changelog(settings, agent, conversations)
        reads = (t.assistant_events, t.service_updates, t.escalation_actions, t.presence)
        return AgentTopics(
            reads=(*reads, changelog.name),
            writes=(
                t.escalations,
                *assistants,
                t.escalation_actions,
                t.dead_letters,
                changelog.name,
            ),
            own=(changelog,),
        )
    if agent == "sandbox":
        # it reads the answers only to dead-letter those that are not bus events or name no turn
        answers = tuple(box.answers for box in catalogue.sandboxes)
        inputs = tuple(box.input for box in catalogue.sandboxes)
        fed = (t.assistant_events, *answers) if catalogue.sandboxes else ()
        return AgentTopics(reads=fed, writes=(*inputs, t.dead_letters) if inputs else ())
    raise ConfigurationError(f"unknown agent {agent!r}; choose from {', '.join(AGENTS)}")


def topics_of(agents: tuple[str, ...], settings: Settings, catalogue: Catalogue) -> list[TopicSpec]:
    """Every topic ``agents`` use, once: the catalogue's specs, then their own topics."""
    found = [agent_topics(agent, settings, catalogue) for agent in agents]
    used = {name for topics in found for name in (*topics.reads, *topics.writes)}
    specs = [spec for spec in catalogue.topic_specs() if spec.name in used]
    for spec in (spec for topics in found for spec in topics.own):
        if spec.name not in {s.name for s in specs}:
            specs.append(spec)
    known = {spec.name for spec in specs}
    n, r = settings.topic_partitions, settings.topic_replication_factor
    specs += [TopicSpec(name, n, r) for name in sorted(used - known)]
    return specs
