"""Prometheus metrics of the bus.

- ``definitions``: every metric, its name and labels (the one place to add one).
- ``agents``: ``ProcessorMetrics`` (what the worker's loop and processors count), ``dead_lettered``.
- ``lag``: consumer lag per assigned partition.
- ``worker``: ``instrument(...)`` gives the worker's metrics their label values.
- ``http``: the ``http_metrics`` middleware; ``/metrics`` by route or by thread.
- ``cases``: helpers for the escalation and audit services.

Import the submodule you need; this package imports nothing, so an HTTP server
does not pull in the worker's Kafka client.
"""
