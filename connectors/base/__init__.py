"""What every connector shares: producing, signing, secrets and JSON forms of events."""

from connectors.base.errors import BrokerUnavailableError, ConnectorError, InvalidEventError
from connectors.base.jsonable import datum_from_json, event_to_json
from connectors.base.producer import EventProducer
from connectors.base.secrets import resolve_secret
from connectors.base.signing import sign, verify

__all__ = [
    "BrokerUnavailableError",
    "ConnectorError",
    "EventProducer",
    "InvalidEventError",
    "datum_from_json",
    "event_to_json",
    "resolve_secret",
    "sign",
    "verify",
]
