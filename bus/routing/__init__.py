"""Routing: which topics an event goes to, decided by plain functions over the catalogue."""

from bus.routing.router import Decision, Delivery, Origin, route
from bus.routing.state import SubjectState

__all__ = ["Decision", "Delivery", "Origin", "SubjectState", "route"]
