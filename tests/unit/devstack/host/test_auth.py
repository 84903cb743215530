from __future__ import annotations

import pytest

from devstack.host.auth import AuthLevel, is_authorized, presented_key


@pytest.mark.parametrize(
    ("level", "configured", "presented", "allowed"),
    [
        (AuthLevel.ANONYMOUS, "k", None, True),
        (AuthLevel.FUNCTION, "k", None, False),
        (AuthLevel.FUNCTION, "k", "wrong", False),
        (AuthLevel.FUNCTION, "k", "k", True),
        (AuthLevel.ADMIN, "k", "k", True),
        (AuthLevel.ADMIN, "k", "", False),
        (AuthLevel.FUNCTION, None, None, True),  # no key configured: not enforced (Core Tools)
        (AuthLevel.ADMIN, None, "anything", True),
    ],
)
def test_key_checks(
    level: AuthLevel, configured: str | None, presented: str | None, allowed: bool
) -> None:
    assert is_authorized(level, configured, presented) is allowed


def test_the_key_comes_from_the_header_or_code() -> None:
    assert presented_key({"X-Functions-Key": "h"}, {"code": "q"}) == "h"
    assert presented_key({}, {"code": "q"}) == "q"
    assert presented_key({"other": "x"}, {}) is None


@pytest.mark.parametrize(
    ("raw", "level"),
    [
        ("FUNCTION", AuthLevel.FUNCTION),
        ("anonymous", AuthLevel.ANONYMOUS),
        ("ADMIN", AuthLevel.ADMIN),
    ],
)
def test_auth_levels_parse_from_bindings(raw: str, level: AuthLevel) -> None:
    assert AuthLevel.parse(raw) is level


def test_unknown_auth_level() -> None:
    with pytest.raises(ValueError, match="authLevel"):
        AuthLevel.parse("system")
