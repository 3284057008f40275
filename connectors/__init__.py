"""Bridges for assistants and agency services that do not speak Kafka.

One folder per connector (``gateway``, ``webhooks``, ``rasa``) over the
shared pieces in ``base``: a producer that fails fast when the broker is
away, HMAC signing, secrets read from the environment and events as JSON.
"""
