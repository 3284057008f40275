"""The ``bus`` command: one sub-module per command group."""
