"""The Rasa bridge: Rasa's Kafka event broker JSON in, the bus's conversation events out."""

from connectors.rasa.bridge import RasaBridge
from connectors.rasa.mapping import IGNORED, Translation, translate

__all__ = ["IGNORED", "RasaBridge", "Translation", "translate"]
