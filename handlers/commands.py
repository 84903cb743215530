"""Commands from the HTTP edge: their shape (pydantic, camelCase as in docs/api.md) and rules."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pydantic import ValidationError as PydanticValidationError
from pydantic.alias_generators import to_camel

from domain.errors import ValidationError
from domain.ids import SAFE_ID_PATTERN
from domain.stay import stay_errors
from handlers.ports import Catalog

Id = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=SAFE_ID_PATTERN),
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
]
Token = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=256)]


class _Command(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, extra="forbid", frozen=True)


class GuestDetails(_Command):
    id: Id
    name: Name
    email: Email


class RequestReservation(_Command):
    """Body of ``POST /reservations``."""

    hotel_id: Id
    room_type: Id
    check_in: date
    check_out: date
    guests: Annotated[int, Field(strict=True, ge=1)]
    guest: GuestDetails
    payment_token: Token

    def fingerprint(self) -> str:
        """A digest of the whole body: tells a retry (same key, same body) from a reused key."""
        return hashlib.sha256(self.model_dump_json(by_alias=True).encode()).hexdigest()


def parse_request_reservation(payload: object) -> RequestReservation:
    """Validate a decoded JSON body; shape errors become ValidationError({field: message})."""
    try:
        return RequestReservation.model_validate(payload)
    except PydanticValidationError as exc:
        raise ValidationError(field_errors(exc)) from exc


def field_errors(exc: PydanticValidationError) -> dict[str, str]:
    """pydantic's errors keyed by the contract's field path (``guest.email``; ``body`` if none)."""
    errors: dict[str, str] = {}
    for error in exc.errors():
        path = ".".join(str(part) for part in error["loc"]) or "body"
        errors.setdefault(path, _message(error))
    return errors


def _message(error: Any) -> str:
    return str(error["msg"])


def validate_request(cmd: RequestReservation, catalog: Catalog, today: date) -> None:
    """The business rules of a booking request; raises ValidationError listing each breach."""
    errors = stay_errors(cmd.check_in, cmd.check_out, today)
    hotel = catalog.get(cmd.hotel_id)
    if hotel is None:
        errors["hotelId"] = f"unknown hotel {cmd.hotel_id!r}"
    else:
        room_type = hotel.room_types.get(cmd.room_type)
        if room_type is None:
            errors["roomType"] = (
                f"unknown room type {cmd.room_type!r}; {hotel.hotel_id} has "
                + ", ".join(sorted(hotel.room_types))
            )
        elif cmd.guests > room_type.capacity:
            errors["guests"] = f"room type {room_type.code} holds at most {room_type.capacity}"
    if errors:
        raise ValidationError(errors)
