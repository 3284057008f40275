"""One typed settings object for every command, read from ``BUS_*`` variables or a ``.env``."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
AGENTS = ("router", "echo", "auditor", "escalator", "sandbox")
"""Every processor ``bus worker`` can run; ``Settings.agents`` picks some."""


class Settings(BaseSettings):
    """Where the bus finds Kafka, the registry and its files.

    Every field can be set as ``BUS_<FIELD>`` (e.g. ``BUS_BOOTSTRAP_SERVERS``)
    or in a ``.env`` file in the working directory.
    """

    model_config = SettingsConfigDict(
        env_prefix="BUS_", env_file=".env", extra="ignore", frozen=True
    )

    bootstrap_servers: str = Field(
        "127.0.0.1:9092", description="Kafka bootstrap servers, comma separated."
    )
    schema_registry_url: str = Field(
        "http://127.0.0.1:8081", description="Base URL of a Confluent-compatible registry."
    )
    home: Path = Field(
        Path.home() / ".cache" / "agency-bus",
        description="Cache for Kafka jars, the local broker's data and logs.",
    )
    schemas_dir: Path = Field(PROJECT_ROOT / "schemas", description="The .avsc contracts.")
    catalogue: Path = Field(
        PROJECT_ROOT / "deploy" / "catalogue" / "agencies.yaml",
        description="The authority catalogue: authorities, their topics and routing rules.",
    )
    app_id: str = Field(
        "agency-bus",
        description="The worker's consumer group, and the prefix of its changelog topics and "
        "transactional ids.",
    )
    worker_id: str | None = Field(
        None,
        description="This worker's stable identity in its group (static membership and its "
        "transactional id); default: the host name and the worker's slot in worker_dir.",
    )
    agents: Annotated[tuple[str, ...], NoDecode] = Field(
        AGENTS,
        description="The agents `bus worker` runs, comma separated (router, echo, auditor, "
        "escalator, sandbox): one worker per role runs under its own principal and its own app_id.",
    )
    worker_dir: Path | None = Field(
        None,
        description="The worker's local files (one locked slot per worker process); "
        "defaults to <home>/worker/<app_id>.",
    )
    topic_partitions: int = Field(4, ge=1, description="Partitions of the bus's own topics.")
    dead_letter_topic: str = Field("bus.deadletters", description="Where bad input goes.")
    heartbeat_topic: str = Field("bus.heartbeats", description="Input of the echo agent.")
    echo_topic: str = Field("bus.echoes", description="Output of the echo agent.")
    registry_host: str = Field("127.0.0.1", description="Interface the registry binds to.")
    registry_port: int = Field(8081, description="Port the registry serves on.")
    registry_topic: str = Field("_schemas", description="Compacted topic holding the schemas.")
    registry_users: Path | None = Field(
        None,
        description="The registry's users file (name, role, password_hash each; `bus registry "
        "user add`): HTTP Basic is required when set.",
    )
    registry_certfile: Path | None = Field(
        None, description="PEM certificate (chain) the registry serves HTTPS with."
    )
    registry_keyfile: Path | None = Field(None, description="The private key of registry_certfile.")
    schema_registry_user: str | None = Field(
        None, description="User the registry client authenticates as (HTTP Basic)."
    )
    schema_registry_password: SecretStr | None = None
    schema_registry_cafile: Path | None = Field(
        None,
        description="PEM CA that signed an https registry's certificate; default: "
        "ssl_cafile, else the system's CAs.",
    )
    processing_guarantee: Literal["at_least_once", "exactly_once"] = "at_least_once"
    session_timeout_s: float = Field(
        10.0, gt=0, description="How soon the group notices a dead worker and rebalances."
    )
    commit_interval_s: float = Field(
        0.1,
        gt=0,
        description="How often the worker commits: under exactly_once each transaction spans "
        "this long (outputs are invisible to read_committed consumers until then); under "
        "at_least_once it bounds what is processed again after a crash.",
    )
    metrics_host: str = Field("127.0.0.1", description="Interface the worker's /metrics binds to.")
    metrics_port: int = Field(9101, description="Port of the worker's /metrics endpoint.")
    metrics_lag_interval_s: float = Field(
        5.0, gt=0, description="How often the worker samples its consumer lag."
    )
    escalation_check_s: float = Field(
        1.0, gt=0, description="How often the escalator looks for missed service levels."
    )
    officials: Path | None = Field(
        None, description="YAML of officials: id, name, authority and token_sha256 each."
    )
    officials_host: str = Field("127.0.0.1", description="Interface the officials' API binds to.")
    officials_port: int = Field(8090, description="Port of the officials' API and console.")
    presence_lease_s: float = Field(
        180.0,
        ge=0,
        description="An official online or idle without renewal for this long counts as offline "
        "(an open console renews every third of it); 0: until changed.",
    )
    kafka_heap: str = Field("512m", description="Max JVM heap of the local broker.")
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        "PLAINTEXT", description="How every component connects to Kafka (see bus.kafka.connection)."
    )
    ssl_cafile: Path | None = Field(
        None,
        description="PEM CA certificates that sign the brokers' certificates (SSL, SASL_SSL); "
        "default: the system's trust store.",
    )
    ssl_certfile: Path | None = Field(
        None, description="This client's PEM certificate, for brokers that ask for one (mTLS)."
    )
    ssl_keyfile: Path | None = Field(None, description="The private key of ssl_certfile (PEM).")
    ssl_key_password: SecretStr | None = Field(None, description="Password of ssl_keyfile.")
    sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"] = "SCRAM-SHA-512"
    sasl_username: str | None = Field(None, description="This component's Kafka principal.")
    sasl_password: SecretStr | None = None
    topic_replication_factor: int = Field(
        1, ge=1, description="Replicas of the worker's own topics (changelogs); 3 on a cluster."
    )
    audit_pseudonym_key: SecretStr | None = Field(
        None,
        description="HMAC key for audit pseudonyms (hex or text); default: generated once "
        "in <home>/audit/pseudonym.key.",
    )
    audit_signing_key: str | None = Field(
        None,
        description="Ed25519 private key signing audit checkpoints: a file or the value "
        "(PEM, or 32 bytes in hex or base64); default: generated once in <home>/audit/.",
    )
    audit_verify_key: str | None = Field(
        None,
        description="Ed25519 public key that verifies checkpoints (file or value, as above); "
        "default: the public half of the signing key.",
    )
    audit_checkpoint_interval_s: float = Field(
        30.0, gt=0, description="Longest time between signed checkpoints of an active chain."
    )
    audit_checkpoint_records: int = Field(
        1000, ge=1, description="Most audit records between two signed checkpoints of a chain."
    )
    # Connectors (connectors/): the HTTP gateway, webhook delivery and the Rasa bridge.
    gateway_host: str = Field("127.0.0.1", description="Interface the HTTP gateway binds to.")
    gateway_port: int = Field(8088, description="Port the HTTP gateway serves on.")
    gateway_clients: Path | None = Field(
        None,
        description="YAML file of the assistants allowed to call the gateway and their keys "
        "(secrets written as ${VARIABLE}); see deploy/connectors/gateway-clients.example.yaml.",
    )
    gateway_max_body_bytes: int = Field(256 * 1024, ge=1024, description="Larger bodies: 413.")
    gateway_produce_timeout_s: float = Field(
        5.0, gt=0, description="How long the gateway waits for Kafka before answering 503."
    )
    gateway_header_timeout_s: float = Field(
        10.0,
        gt=0,
        description="Time for a request's headers, from the connection's opening or the "
        "request's first byte; then 408 and the connection is closed.",
    )
    gateway_body_timeout_s: float = Field(
        30.0,
        gt=0,
        description="Time for a request's whole body once its headers are in; then 408 and "
        "the connection is closed.",
    )
    gateway_idle_timeout_s: float = Field(
        75.0, gt=0, description="How long a kept-alive connection may wait between requests."
    )
    gateway_max_connections_per_client: int = Field(
        64,
        ge=1,
        description="Open connections allowed from one remote address; one more is answered "
        "429 and closed.",
    )
    webhook_max_attempts: int = Field(6, ge=1, description="Deliveries tried before a dead letter.")
    webhook_backoff_s: float = Field(0.5, gt=0, description="First retry delay; doubles, jittered.")
    webhook_backoff_max_s: float = Field(30.0, gt=0, description="Longest retry delay.")
    webhook_timeout_s: float = Field(10.0, gt=0, description="One delivery attempt's time limit.")
    rasa_topic: str = Field("rasa_events", description="Topic of Rasa's Kafka event broker.")

    @field_validator("agents", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        """``BUS_AGENTS=router, echo`` -> ("router", "echo"); unknown names: create_app says."""
        if isinstance(value, str):
            value = value.split(",")
        if isinstance(value, list | tuple):
            return tuple(dict.fromkeys(str(name).strip() for name in value if str(name).strip()))
        return value

    @property
    def worker_data_dir(self) -> Path:
        return self.worker_dir or self.home / "worker" / self.app_id

    @property
    def presence_lease(self) -> timedelta | None:
        return timedelta(seconds=self.presence_lease_s) if self.presence_lease_s else None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
