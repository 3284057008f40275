"""A sandbox: a candidate assistant answering real, scrubbed citizen turns that reach no citizen.

The catalogue declares it; ``bus topics apply`` creates its input and answers
topics, ``bus acl apply`` a principal that may read only the input and write
only the answers, and the worker's ``sandbox`` agent feeds the input.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from bus.catalogue.check import Problem
from bus.catalogue.names import Slug, TopicName


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class TimeRange(_Strict):
    """Citizen turns that occurred at or after ``start`` and before ``end`` (UTC if no zone)."""

    start: AwareDatetime = Field(alias="from")
    end: AwareDatetime = Field(alias="to")

    @model_validator(mode="after")
    def _ordered(self) -> TimeRange:
        if self.end <= self.start:
            raise ValueError(f"'to' {self.end.isoformat()} is not after 'from'")
        return self

    def overlaps(self, other: TimeRange) -> bool:
        return self.start < other.end and other.start < self.end


RESERVED_PRINCIPALS = (
    "router",
    "auditor",
    "escalator",
    "audit-reader",
    "officials",
    "registry",
    "gateway",
)
"""The bus's own principals (``bus.security.principals``; a test keeps the two in step)."""
RESERVED_PREFIXES = ("assistant-", "service-")


class Sandbox(_Strict):
    """One candidate assistant under assessment for one authority, until ``ends``."""

    name: Slug
    authority: Slug
    principal: Slug = Field(description="The candidate's Kafka principal (a SCRAM user).")
    live: bool = Field(True, description="Feed the authority's citizen turns as they happen.")
    replay: tuple[TimeRange, ...] = Field((), description="Past turns to feed from the log.")
    sampling: float = Field(1.0, gt=0, le=1, description="Share of conversations fed.")
    ends: AwareDatetime = Field(description="No turn is fed after this moment.")
    input: TopicName = Field("", description="Default bus.sandbox.<name>.input.")
    answers: TopicName = Field("", description="Default bus.sandbox.<name>.answers.")

    @model_validator(mode="before")
    @classmethod
    def _default_topics(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(name := data.get("name"), str):
            data = {**data}
            data.setdefault("input", f"bus.sandbox.{name}.input")
            data.setdefault("answers", f"bus.sandbox.{name}.answers")
        return data

    @model_validator(mode="after")
    def _fed(self) -> Sandbox:
        if not self.live and not self.replay:
            raise ValueError("feeds nothing: set live: true or give a replay range")
        return self

    def ended(self, now: datetime) -> bool:
        return now >= self.ends

    def topics(self) -> tuple[str, str]:
        return (self.input, self.answers)


def sandbox_problems(sandboxes: Sequence[Sandbox], authorities: Sequence[str]) -> list[Problem]:
    """Unknown authorities, taken principals or names, and overlapping replay ranges."""
    found: list[Problem] = []
    names: dict[str, int] = {}
    principals: dict[str, int] = {}
    for i, box in enumerate(sandboxes):
        if box.authority not in authorities:
            known = ", ".join(sorted(authorities)) or "none"
            found.append(
                Problem(
                    ("sandboxes", i, "authority"),
                    f"unknown authority {box.authority!r} (known: {known})",
                )
            )
        if box.name in names:
            found.append(Problem(("sandboxes", i, "name"), f"is also sandboxes[{names[box.name]}]"))
        names.setdefault(box.name, i)
        if box.principal in RESERVED_PRINCIPALS or box.principal.startswith(RESERVED_PREFIXES):
            found.append(
                Problem(
                    ("sandboxes", i, "principal"),
                    f"{box.principal!r} is one of the bus's own principals; give the candidate "
                    "its own name",
                )
            )
        elif box.principal in principals:
            found.append(
                Problem(
                    ("sandboxes", i, "principal"),
                    f"{box.principal!r} is already the candidate of "
                    f"sandboxes[{principals[box.principal]}]",
                )
            )
        principals.setdefault(box.principal, i)
        for j, window in enumerate(box.replay):
            for k, earlier in enumerate(box.replay[:j]):
                if window.overlaps(earlier):
                    found.append(
                        Problem(
                            ("sandboxes", i, "replay", j),
                            f"overlaps replay[{k}]: a turn would be fed twice",
                        )
                    )
    return found
