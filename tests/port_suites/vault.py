"""The PaymentMethodVault port: tokens stay out of events, behind an opaque reference; the token
is the secret of the reservation's first save, in that save's transaction."""

from __future__ import annotations

from adapters.storage_names import PAYMENT_METHODS_TABLE
from adapters.table_secrets import LEGACY_VAULT_ROW
from domain.errors import ConcurrencyError
from handlers.ports import PaymentMethodVault
from tests.port_suites.factory import PortFactory, TableStoreFactory
from tests.port_suites.support import Tally, unique


def _saved_with_token(factory: PortFactory, token: str) -> tuple[PaymentMethodVault, str]:
    vault = factory.vault()
    reservation = unique("r")
    factory.repository(Tally, "reservations").save(
        reservation, Tally(reservation_id=reservation), secret=token
    )
    return vault, vault.reference(reservation)


class PaymentMethodVaultContract:
    def test_a_saved_token_resolves_from_its_reference(self, factory: PortFactory) -> None:
        vault, ref = _saved_with_token(factory, "tok_visa")
        assert "tok_visa" not in ref
        assert vault.resolve(ref) == "tok_visa"

    def test_the_first_token_stays(self, factory: PortFactory) -> None:
        vault, ref = _saved_with_token(factory, "tok_visa")
        reservation = ref.removeprefix("pm_")
        repository = factory.repository(Tally, "reservations")
        try:  # a second first save of the reservation, with another token, conflicts
            repository.save(reservation, Tally(reservation_id=reservation), secret="tok_other")
        except ConcurrencyError:
            pass
        else:
            raise AssertionError("a second token was written")
        assert vault.resolve(ref) == "tok_visa"

    def test_unknown_references_resolve_to_none(self, factory: PortFactory) -> None:
        vault, known = _saved_with_token(factory, "tok_visa")
        assert vault.resolve("nonsense") is None
        assert vault.resolve("") is None
        assert vault.resolve(known + "x") is None
        assert vault.resolve(vault.reference(unique("r"))) is None

    def test_a_token_written_before_tokens_moved_still_resolves(self, factory: PortFactory) -> None:
        reservation = unique("r")
        legacy = {"PartitionKey": reservation, "RowKey": LEGACY_VAULT_ROW, "Token": "tok_old"}
        assert isinstance(factory, TableStoreFactory)
        factory.store.insert(PAYMENT_METHODS_TABLE, legacy)
        vault = factory.vault()
        assert vault.resolve(vault.reference(reservation)) == "tok_old"
