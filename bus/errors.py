"""The bus's exceptions: one root, a small tree, messages that say what to do."""

from __future__ import annotations


class BusError(Exception):
    """Root of every error the bus raises on purpose."""


class ConfigurationError(BusError):
    """A setting, file or command-line option is wrong."""


class LocalKafkaError(BusError):
    """The local development broker could not be fetched, started or stopped."""


class RegistryError(BusError):
    """The schema registry answered with an error (Confluent ``error_code`` kept)."""

    def __init__(self, message: str, *, status: int = 500, error_code: int = 50001) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code


class SchemaError(BusError):
    """A schema is unknown, invalid or incompatible."""


class EncodeError(SchemaError):
    """A record does not fit its schema; the message names the schema and field path."""

    def __init__(self, message: str, *, schema: str, field: str) -> None:
        super().__init__(message)
        self.schema = schema
        self.field = field


class DecodeError(BusError):
    """Bytes from Kafka that cannot be turned into an event.

    ``reason`` is a short stable code written into dead letters.
    """

    reason = "decode-failed"


class NotWireFormatError(DecodeError):
    """The bytes do not start with the Confluent magic byte and a schema id."""

    reason = "not-wire-format"


class UnknownSchemaIdError(DecodeError):
    """The schema id in the bytes is not in the registry."""

    reason = "unknown-schema-id"


class CorruptRecordError(DecodeError):
    """The Avro body does not decode with the writer's schema (truncated or garbage)."""

    reason = "corrupt-record"


class AccessDeniedError(BusError):
    """The cluster's ACLs do not let this principal use a topic or group."""


class CaseActionError(BusError):
    """An action on an escalation case that its state does not allow.

    ``reason`` is a stable code the officials' API maps to an HTTP status.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
