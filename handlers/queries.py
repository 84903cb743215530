"""Read-side query inputs, validated at the edge like commands."""

from __future__ import annotations

import re
from datetime import date
from typing import Final

from pydantic import BaseModel, ConfigDict, Field, field_validator

# Only the calendar date the contract names: pydantic alone would also take "86400" (seconds
# since 1970) or a midnight datetime.
_ISO_DATE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class AvailabilityQuery(BaseModel):
    """``?roomType=STD&from=YYYY-MM-DD&to=YYYY-MM-DD``; range rules live in rooms.availability."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")

    room_type: str = Field(alias="roomType", min_length=1, max_length=20)
    from_: date = Field(alias="from")
    to: date


class FrontdeskQuery(BaseModel):
    """``?date=YYYY-MM-DD``: the day whose sheet the front desk wants."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")

    day: date = Field(alias="date")

    @field_validator("day", mode="before")
    @classmethod
    def _calendar_date(cls, value: object) -> object:
        if isinstance(value, str) and _ISO_DATE.fullmatch(value) is None:
            raise ValueError("must be a date, YYYY-MM-DD")
        return value
