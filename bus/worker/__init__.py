"""The worker: the bus's stream processors on a consume -> process -> produce loop.

``loop`` is the core (librdkafka through confluent-kafka: consumer groups,
KIP-447 transactions), ``state`` the changelogged stores, ``outputs`` the one
producer; ``router``, ``auditor``, ``escalator`` and ``echo`` are the
processors, thin shells around the pure code in ``bus.routing``,
``bus.audit`` and ``bus.escalation``; ``build`` puts a worker together.
"""
