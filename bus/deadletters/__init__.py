"""Dead letters: what the bus could not process, kept with its original bytes and the reason."""

from bus.deadletters.letter import DeadLetter
from bus.deadletters.notice import dead_letter

__all__ = ["DeadLetter", "dead_letter"]
