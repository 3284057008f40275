"""Every dead letter, whoever sends it, is logged and counted the same way, once."""

from __future__ import annotations

import logging
from typing import Any

from bus.deadletters.letter import DeadLetter
from bus.metrics.agents import dead_lettered

log = logging.getLogger("bus.deadletters")


def dead_letter(record: Any, reason: str, error: str, agent: str) -> DeadLetter:
    """The dead letter of a record as it was read, logged and counted; the caller sends it.

    ``agent`` names who gave up on the record (``router``, ``subscriber:<group>``,
    ``webhooks:<authority>`` ...): the ``agent`` label of
    ``bus_events_dead_lettered_total``.
    """
    letter = DeadLetter.of_record(record, reason, error, agent)
    dead_lettered(agent, letter.topic, reason)
    log.warning(
        "dead letter from %s[%s]@%s (%s): %s: %s",
        letter.topic,
        letter.partition,
        letter.offset,
        agent,
        reason,
        error.splitlines()[0][:300] if error else "",
    )
    return letter
