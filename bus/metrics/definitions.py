"""Every Prometheus metric of the bus, in one place, so names and labels stay consistent.

Names follow Prometheus conventions: ``bus_`` prefix, ``_total`` counters,
``_seconds`` histograms. Label values are bounded: agents and servers are
names in the code, topics and authorities come from the settings and the
catalogue, event types from the contracts (anything else is ``unknown``),
reasons and errors from a fixed vocabulary.

The metrics live in prometheus-client's default registry, so ``/metrics``
also shows the process and Python collectors (``process_*``, ``python_*``).
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

# Latency buckets from 5 ms to 10 minutes: a bus hop takes milliseconds, a
# backlog or a replay takes minutes.
LATENCY_BUCKETS = (
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
    60.0,
    120.0,
    300.0,
    600.0,
)
# A human claims a case in seconds to hours.
CLAIM_BUCKETS = (5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 4 * 3600.0)

# --- traffic of the worker's processors (bus worker) ---------------------------------------------
EVENTS_CONSUMED = Counter(
    "bus_events_consumed",
    "Records a processor read from its source topics.",
    ["agent", "topic", "event_type"],
)
EVENTS_ROUTED = Counter(
    "bus_events_routed",
    "Events a processor delivered to an output topic, counted once committed (acknowledged "
    "by Kafka, and under exactly-once in a committed transaction).",
    ["agent", "topic", "authority", "event_type"],
)
EVENTS_FAILED = Counter(
    "bus_events_failed",
    "Records a processor failed on (it raised: the record is dead-lettered), or outputs "
    "Kafka refused (agent worker).",
    ["agent", "topic", "error"],
)
EVENTS_DEAD_LETTERED = Counter(
    "bus_events_dead_lettered",
    "Records sent to the dead-letter topic, by who gave up on them, where they came from and why.",
    ["agent", "topic", "reason"],
)
PROCESSING_SECONDS = Histogram(
    "bus_event_processing_seconds",
    "Time a processor spent on one record.",
    ["agent"],
    buckets=LATENCY_BUCKETS,
)
DELIVERY_LATENCY_SECONDS = Histogram(
    "bus_event_delivery_latency_seconds",
    "End to end, per delivery: from the source event's own time (ce_time, else its Kafka "
    "timestamp) to the commit of the delivery.",
    ["agent"],
    buckets=LATENCY_BUCKETS,
)
CONSUMER_LAG = Gauge(
    "bus_consumer_lag_messages",
    "Messages behind the log end, per partition assigned to this worker (high watermark "
    "minus the next offset to process), sampled periodically.",
    ["topic", "partition"],
)

# --- HTTP servers (registry, gateway, officials' API) -------------------------------------
HTTP_REQUESTS = Counter(
    "bus_http_requests",
    "HTTP requests answered, by server, method, route pattern and status code.",
    ["server", "method", "route", "status"],
)
HTTP_REQUEST_SECONDS = Histogram(
    "bus_http_request_duration_seconds",
    "Time to answer an HTTP request, by server, method and route pattern.",
    ["server", "method", "route"],
    buckets=LATENCY_BUCKETS,
)

# --- escalation (cases handed to human officials) -----------------------------------------
ESCALATION_QUEUE_DEPTH = Gauge(
    "bus_escalation_queue_depth",
    "Escalated cases waiting for an official to claim them, per authority.",
    ["authority"],
)
ESCALATION_OPEN_CASES = Gauge(
    "bus_escalation_open_cases",
    "Cases not yet resolved (waiting or claimed), per authority.",
    ["authority"],
)
ESCALATION_CASES = Counter(
    "bus_escalation_cases",
    "Case lifecycle transitions (opened, claimed, released, transferred, resolved, breached).",
    ["authority", "transition"],
)
ESCALATION_CLAIM_WAIT_SECONDS = Histogram(
    "bus_escalation_claim_wait_seconds",
    "Time from a case being opened (or released) to an official claiming it.",
    ["authority"],
    buckets=CLAIM_BUCKETS,
)
ESCALATION_SLA_BREACHES = Counter(
    "bus_escalation_sla_breaches",
    "Cases that missed their service level, per authority and the level missed.",
    ["authority", "level"],
)

# --- audit (hash chains with signed checkpoints, one chain per audit-topic partition) ----
AUDIT_RECORDS = Counter(
    "bus_audit_records",
    "Records appended to an audit hash chain.",
    ["chain"],
)
AUDIT_CHAIN_HALTED = Gauge(
    "bus_audit_chain_halted",
    "1 while an audit chain holds a record or checkpoint its writer cannot prove, so it is not "
    "extended; its new records go to the dead letters.",
    ["chain"],
)
AUDIT_CHAIN_HEAD = Gauge(
    "bus_audit_chain_head_sequence",
    "Position of the newest record of an audit chain (its offset on the audit topic).",
    ["chain"],
)
AUDIT_CHECKPOINTS = Counter(
    "bus_audit_checkpoints",
    "Signed checkpoints written for an audit chain.",
    ["chain"],
)
AUDIT_LAST_CHECKPOINT = Gauge(
    "bus_audit_last_checkpoint_timestamp_seconds",
    "Unix time of a chain's newest signed checkpoint; its age is time() minus this value.",
    ["chain"],
)
AUDIT_LAST_CHECKPOINT_SEQUENCE = Gauge(
    "bus_audit_last_checkpoint_sequence",
    "Position of the newest record a chain's latest signed checkpoint covers.",
    ["chain"],
)

# Label values for what is not known or not in the bounded vocabulary.
UNKNOWN = "unknown"
NONE = "none"
