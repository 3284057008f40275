"""Dead letters: what the bus could not process, kept with its original bytes and the reason."""

from bus.deadletters.letter import DeadLetter

__all__ = ["DeadLetter"]
