"""The HTTP gateway: assistants that do not speak Kafka POST events and read their replies."""

from connectors.gateway.clients import GatewayClient, load_clients
from connectors.gateway.server import Gateway

__all__ = ["Gateway", "GatewayClient", "load_clients"]
