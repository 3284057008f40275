"""``bus sandbox candidate NAME``: the reference candidate reading its input, writing its answers.

It runs under the sandbox's principal (``BUS_SASL_USERNAME``), which may read
only the input and write only the answers (so a record of the input that is no
bus event is logged and skipped, not dead-lettered); its consumer group starts
with the principal's name, as ``bus acl apply`` requires.
"""

from __future__ import annotations

import logging

from bus.catalogue.sandbox import Sandbox
from bus.client import Publisher, Subscriber
from bus.settings import Settings
from connectors.candidate.keywords import answer

log = logging.getLogger(__name__)


async def run_candidate(settings: Settings, box: Sandbox, limit: int | None = None) -> int:
    """Answer turns until cancelled (or ``limit`` turns); returns how many were answered."""
    answered = 0
    source = f"candidate:{box.name}"
    async with (
        Publisher(settings, auto_register=False) as publisher,
        Subscriber(
            settings,
            topics=[box.input],
            group_id=f"{box.principal}-reference",
            on_error="skip",  # it may write only its answers: no dead letters
        ) as turns,
    ):
        log.info("reference candidate of sandbox %s reading %s", box.name, box.input)
        async for delivery in turns:
            for event in answer(delivery.event, source):
                await publisher.publish(box.answers, event)
            await turns.commit(delivery)
            answered += 1
            if limit is not None and answered >= limit:
                break
    return answered
