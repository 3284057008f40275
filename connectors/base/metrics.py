"""The connectors' Prometheus metrics: what operations watch for assistants and services off Kafka.

Names follow Prometheus conventions (``bus_`` prefix, ``_total`` counters,
``_seconds`` histograms); label values are bounded: statuses, outcomes and
authorities from the catalogue. Rasa event types outside Rasa's own list are
counted as ``unknown`` (and logged with their name), so input cannot grow the
label set.

What ``bus.metrics`` already counts is not repeated here: the gateway's
requests are ``bus_http_requests_total{server="gateway"}`` and the dead letters
of the webhooks and the Rasa bridge ``bus_events_dead_lettered_total``.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

GATEWAY_PRODUCE_SECONDS = Histogram(
    "bus_gateway_produce_seconds",
    "Time from a valid request to Kafka's acknowledgement of its event.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
GATEWAY_CONNECTIONS_CLOSED = Counter(
    "bus_gateway_connections_closed",
    "Connections the gateway closed before a request reached it, by reason: header-timeout "
    "(answered 408), silent (no byte before the header timeout), too-many-connections (429).",
    ["reason"],
)
WEBHOOK_ATTEMPTS = Counter(
    "bus_webhook_attempts",
    "HTTP requests made to an authority's webhook, by result (delivered, failed, refused).",
    ["authority", "result"],
)
WEBHOOK_EVENTS = Counter(
    "bus_webhook_events",
    "Inbox events delivered by webhook (dead-lettered ones: bus_events_dead_lettered_total).",
    ["authority", "outcome"],
)
RASA_EVENTS = Counter(
    "bus_rasa_events",
    "Rasa tracker events the bridge published, ignored or did not know (dead-lettered ones: "
    "bus_events_dead_lettered_total).",
    ["authority", "outcome"],
)
