from __future__ import annotations

import pytest

from devstack.host.auth import AuthLevel, HostKeys, KeyConfigError, presented_key

KEYS = HostKeys(function_key="f", master_key="m")


@pytest.mark.parametrize(
    ("level", "presented", "allowed"),
    [
        (AuthLevel.ANONYMOUS, None, True),
        (AuthLevel.FUNCTION, None, False),
        (AuthLevel.FUNCTION, "wrong", False),
        (AuthLevel.FUNCTION, "f", True),
        (AuthLevel.FUNCTION, "m", True),  # the master key opens function-level routes too
        (AuthLevel.ADMIN, "m", True),
        (AuthLevel.ADMIN, "f", False),  # admin level: the master key only, as in Azure
        (AuthLevel.ADMIN, "", False),
        (AuthLevel.ADMIN, None, False),
    ],
)
def test_key_checks(level: AuthLevel, presented: str | None, allowed: bool) -> None:
    assert KEYS.allows(level, presented) is allowed


@pytest.mark.parametrize("level", list(AuthLevel))
def test_no_function_key_means_nothing_is_enforced(level: AuthLevel) -> None:
    # As with Core Tools locally; the master key alone does not turn checks on.
    assert HostKeys.none().allows(level, None)
    assert HostKeys(None, "m").allows(level, "anything")
    assert not HostKeys.none().enforced


def test_a_function_key_needs_a_different_master_key() -> None:
    with pytest.raises(KeyConfigError, match="DEVSTACK_MASTER_KEY must be set"):
        HostKeys("f", None)
    with pytest.raises(KeyConfigError, match="must differ"):
        HostKeys("same", "same")


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
