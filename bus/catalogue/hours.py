"""When an authority's officials are at work, in the authority's own time zone."""

from __future__ import annotations

import re
from datetime import datetime, time
from typing import Any, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DAYS: tuple[Day, ...] = get_args(Day)


class WorkingHours(BaseModel):
    """Opening hours on given weekdays; ``close`` is exclusive."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    timezone: str
    days: tuple[Day, ...] = DAYS[:5]
    open: time
    close: time

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise ValueError(
                f"unknown time zone {name!r} (use an IANA name such as 'Europe/Tallinn')"
            ) from None
        return name

    @field_validator("open", "close", mode="before")
    @classmethod
    def _quoted_time(cls, value: Any) -> Any:
        # YAML 1.1 reads an unquoted 17:00 as the base-60 number 1020.
        if isinstance(value, int):
            raise ValueError('write times in quotes, e.g. "17:00"')
        if isinstance(value, str) and re.fullmatch(r"\d:\d\d", value):
            return "0" + value
        return value

    @model_validator(mode="after")
    def _sensible(self) -> WorkingHours:
        if self.open.tzinfo or self.close.tzinfo:
            raise ValueError("times take no UTC offset: the time zone is in 'timezone'")
        if not self.days:
            raise ValueError("days must name at least one weekday")
        if len(set(self.days)) != len(self.days):
            raise ValueError("days lists a weekday twice")
        if self.open >= self.close:
            raise ValueError(f"open {self.open:%H:%M} must be before close {self.close:%H:%M}")
        return self

    def is_open(self, at: datetime) -> bool:
        """Whether ``at`` (timezone-aware) falls in the opening hours, in the authority's zone."""
        if at.tzinfo is None:
            raise ValueError("is_open needs a timezone-aware datetime")
        local = at.astimezone(ZoneInfo(self.timezone))
        return DAYS[local.weekday()] in self.days and self.open <= local.time() < self.close
