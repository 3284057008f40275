"""An authority's escalation policy: when a human official must take over."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from bus.catalogue.names import Intent, Slug


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LowConfidence(_Strict):
    """Escalate after ``turns`` classifications in a row under ``threshold``."""

    threshold: float = Field(0.5, gt=0, le=1)
    turns: int = Field(2, ge=1)


class EscalationPolicy(_Strict):
    """Each rule can be switched off: ``null`` (or an empty list) disables it.

    ``service_levels`` gives, per service code, the seconds within which an
    agency service must accept a request before a human steps in.
    ``low_rating`` escalates a rating at or under that share of the scale
    (0.4 on a 1..5 scale: scores 1 and 2).
    """

    human_request: bool = True
    low_confidence: LowConfidence | None = Field(default_factory=LowConfidence)
    sensitive_intents: tuple[Intent, ...] = ()
    sensitive_keywords: tuple[str, ...] = ()
    service_levels: dict[Slug, float] = Field(default_factory=dict)
    low_rating: float | None = Field(0.4, gt=0, le=1)
    first_response_s: float = Field(900.0, gt=0, description="Service level of a case.")
