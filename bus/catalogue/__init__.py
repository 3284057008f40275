"""The authority catalogue: authorities, their services, intents, topics and routing rules."""

from bus.catalogue.hours import WorkingHours
from bus.catalogue.load import load_catalogue
from bus.catalogue.model import (
    Authority,
    Catalogue,
    IntentRule,
    RoutingRules,
    TopicOverride,
    TopicsConfig,
    TopicSettings,
)

__all__ = [
    "Authority",
    "Catalogue",
    "IntentRule",
    "RoutingRules",
    "TopicOverride",
    "TopicSettings",
    "TopicsConfig",
    "WorkingHours",
    "load_catalogue",
]
