"""Prometheus metrics of the bus.

- ``definitions``: every metric, its name and labels (the one place to add one).
- ``agents``: ``observed`` (wrap an agent's stream), ``dead_lettered``, the delivery sensor.
- ``worker``: ``instrument(app, ...)`` wires the sensor and the consumer-lag timer into Faust.
- ``http``: the ``http_metrics`` middleware; ``/metrics`` by route or by thread.
- ``cases``: helpers for the escalation and audit services.

Import the submodule you need; this package imports nothing, so an HTTP server
does not pull in Faust.
"""
