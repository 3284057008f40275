"""The audit log: hash-chained records of every event, signed checkpoints, archives, replay.

The pure parts (record hashing, pseudonyms, checkpoints, verification) are plain
functions and classes; Kafka is only touched in ``log``, ``archive`` and ``replay``.
"""
