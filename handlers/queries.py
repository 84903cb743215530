"""Read-side query inputs, validated at the edge like commands."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, model_validator

MAX_AVAILABILITY_NIGHTS = 366


class AvailabilityQuery(BaseModel):
    """``?roomType=STD&from=YYYY-MM-DD&to=YYYY-MM-DD``: nights in [from, to)."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")

    room_type: str = Field(alias="roomType", min_length=1, max_length=20)
    from_: date = Field(alias="from")
    to: date

    @model_validator(mode="after")
    def _range_is_sane(self) -> AvailabilityQuery:
        if self.to <= self.from_:
            raise ValueError("'to' must be after 'from'")
        if (self.to - self.from_).days > MAX_AVAILABILITY_NIGHTS:
            raise ValueError(f"at most {MAX_AVAILABILITY_NIGHTS} nights per query")
        return self
