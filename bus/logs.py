"""The log of every ``bus`` process: one format, and a repeated condition said once with a count.

A condition that lasts (Kafka away, a topic gone, a flood of bad input) must
not become a flood of log lines: an operator reads the first line in full,
then at most one line per ``QUIET_S`` that says how many more there were.
``Repeats`` decides which occurrences to say; the bus's own code asks it
directly (dead letters, a topic that is missing), and ``RepeatFilter`` applies
it to every line a library logs too (aiokafka logs a missing topic at every
metadata response, thousands of times a second).
"""

from __future__ import annotations

import logging
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

QUIET_S = 10.0
KEYS = 1000
"""Conditions remembered at once; the one said longest ago is forgotten first."""
_DIGITS = re.compile(r"\d+")


class Repeats:
    """Which occurrences of each condition to say: the first, then one per ``quiet_s``."""

    def __init__(
        self,
        quiet_s: float = QUIET_S,
        keys: int = KEYS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.quiet_s = quiet_s
        self._keys = keys
        self._clock = clock
        self._said: OrderedDict[Hashable, tuple[float, int]] = OrderedDict()
        """condition -> (when it was last said, occurrences since not said)"""

    def due(self, condition: Hashable) -> int | None:
        """None to stay quiet; else say it now, with this many unsaid since the last line."""
        now = self._clock()
        last, unsaid = self._said.get(condition, (now - self.quiet_s, 0))
        if now - last < self.quiet_s:
            self._said[condition] = (last, unsaid + 1)
            return None
        self._said[condition] = (now, 0)
        self._said.move_to_end(condition)
        while len(self._said) > self._keys:
            self._said.popitem(last=False)
        return unsaid

    def more(self, unsaid: int) -> str:
        """The suffix of a line said again: how many were not said."""
        return f" ({unsaid} more like it in the last {self.quiet_s:.0f} s)" if unsaid else ""

    def warn(self, log: logging.Logger, condition: Hashable, message: str, *args: object) -> None:
        """``log.warning(message, *args)`` if ``condition`` is due, with how many were not said."""
        unsaid = self.due(condition)
        if unsaid is not None:
            log.warning(message + "%s", *args, self.more(unsaid))


class RepeatFilter(logging.Filter):
    """Lets a warning or error through once per ``quiet_s`` per logger and text, with a count.

    Texts that differ only in their numbers count as one.

    Set on the handler, so it sees the lines of every logger, libraries' too.
    Debug and info lines pass untouched.
    """

    def __init__(self, repeats: Repeats | None = None) -> None:
        super().__init__()
        self.repeats = repeats or Repeats()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        text = record.getMessage()
        # The same condition with other numbers in it (an offset, "after 8ms") is the same.
        unsaid = self.repeats.due((record.name, record.levelno, _DIGITS.sub("#", text)))
        if unsaid is None:
            return False
        if unsaid:
            record.msg, record.args = text + self.repeats.more(unsaid), None
        return True


EXPECTED = (
    ("aiokafka", "Group Coordinator Request failed"),
    ("aiokafka", "Topic %s not found in cluster metadata"),
    ("aiokafka", "Unable connect to node with id"),
    ("aiokafka", "Unable to update metadata from"),
    ("aiokafka", "Failed fetch messages from"),
    ("aiokafka", "Failed fetch offsets from"),
    ("librdkafka", "FAIL "),
)
"""(logger, start of the message) of conditions a library logs at ERROR that the bus expects
and outlives: a new cluster making its offsets topic, a topic not made yet (the bus says
itself what it waits for), a broker restarting or a new topic's leader not elected yet
(``/readyz`` and a warning say when Kafka is away).
The client retries each by itself."""


class ExpectedAsWarning(logging.Filter):
    """Logs the libraries' ``EXPECTED`` conditions as warnings: ERROR is for what needs a person."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.ERROR and any(
            (record.name == name or record.name.startswith(name + "."))
            and (str(record.msg).startswith(text) or record.getMessage().startswith(text))
            for name, text in EXPECTED
        ):
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


class _RaisedAnyway(logging.Filter):
    """Drops aiokafka's log of a bootstrap server it cannot connect to: when none answers,
    the error is raised and reported as one line; the log would say it twice."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith('Unable connect to "')


def configure(*, verbose: bool) -> None:
    """The log of a ``bus`` command: to stderr, INFO (DEBUG with ``-v``), repeats collapsed."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for handler in logging.getLogger().handlers:
        handler.addFilter(ExpectedAsWarning())
        handler.addFilter(RepeatFilter())
    if not verbose:
        logging.getLogger("aiokafka").setLevel(logging.WARNING)
        logging.getLogger("aiokafka").addFilter(_RaisedAnyway())
