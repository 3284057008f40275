"""The agency assistant bus: typed events between public authorities' chat assistants."""

__version__ = "0.1.0"
