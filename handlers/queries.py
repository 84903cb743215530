"""Read-side query inputs, validated at the edge like commands."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class AvailabilityQuery(BaseModel):
    """``?roomType=STD&from=YYYY-MM-DD&to=YYYY-MM-DD``; range rules live in rooms.availability."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")

    room_type: str = Field(alias="roomType", min_length=1, max_length=20)
    from_: date = Field(alias="from")
    to: date
