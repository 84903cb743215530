"""The PaymentMethodVault port: tokens stay out of events, behind an opaque reference."""

from __future__ import annotations

from handlers.ports import PaymentMethodVault
from tests.port_suites.factory import PortFactory
from tests.port_suites.support import unique


class PaymentMethodVaultContract:
    def test_a_stored_token_resolves_from_its_reference(self, factory: PortFactory) -> None:
        vault: PaymentMethodVault = factory.vault()
        reservation = unique("r")
        ref = vault.store(reservation, "tok_visa")
        assert "tok_visa" not in ref
        assert vault.resolve(ref) == "tok_visa"

    def test_storing_again_is_idempotent(self, factory: PortFactory) -> None:
        vault = factory.vault()
        reservation = unique("r")
        ref = vault.store(reservation, "tok_visa")
        assert vault.store(reservation, "tok_visa") == ref
        assert vault.store(reservation, "tok_other") == ref
        assert vault.resolve(ref) == "tok_visa"

    def test_unknown_references_resolve_to_none(self, factory: PortFactory) -> None:
        vault = factory.vault()
        known = vault.store(unique("r"), "tok_visa")
        assert vault.resolve("nonsense") is None
        assert vault.resolve("") is None
        assert vault.resolve(known + "x") is None
