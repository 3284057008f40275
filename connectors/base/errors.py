"""Errors of the connectors, under the bus's one root."""

from __future__ import annotations

from bus.errors import BusError, EncodeError


class ConnectorError(BusError):
    """A connector cannot do its job with the input or configuration it was given."""


class BrokerUnavailableError(ConnectorError):
    """Kafka did not acknowledge a write in time; nothing may be reported as delivered."""


class InvalidEventError(EncodeError):
    """JSON that does not fit the event's schema; names the schema and the field path."""
