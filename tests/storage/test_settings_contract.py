"""Facts about the database itself (`db_setting`), the same on every store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from engine.ports import CaseStore

T0 = datetime(2025, 11, 24, 6, 0, tzinfo=UTC)
CET = timezone(timedelta(hours=1))


class Boom(Exception):
    """Raised inside a transaction to make it roll back."""


def test_a_key_never_set_reads_as_none(store: CaseStore) -> None:
    with store.transaction(write=False) as tx:
        assert tx.get_setting("kind") is None


def test_a_setting_reads_back_after_commit(store: CaseStore) -> None:
    with store.transaction() as tx:
        tx.set_setting("kind", "demo", at=T0)
    with store.transaction(write=False) as tx:
        assert tx.get_setting("kind") == "demo"
        assert tx.get_setting("Kind") is None  # keys are exact


def test_setting_a_key_again_replaces_its_value(store: CaseStore) -> None:
    with store.transaction() as tx:
        tx.set_setting("demo.seed", "1", at=T0)
    with store.transaction() as tx:
        tx.set_setting("demo.seed", "7", at=T0 + timedelta(days=1))
        assert tx.get_setting("demo.seed") == "7"  # seen inside the transaction
    with store.transaction(write=False) as tx:
        assert tx.get_setting("demo.seed") == "7"


def test_keys_are_independent_and_values_keep_every_character(
    store: CaseStore,
) -> None:
    value = "Borgerrådgiveren, Københavns Kommune: æøå \u2013 ok\nline two"
    with store.transaction() as tx:
        tx.set_setting("kind", "demo", at=T0)
        tx.set_setting("office", value, at=T0.astimezone(CET))
        tx.set_setting("empty", "", at=T0)
    with store.transaction(write=False) as tx:
        assert tx.get_setting("kind") == "demo"
        assert tx.get_setting("office") == value
        assert tx.get_setting("empty") == ""


def test_a_key_of_64_characters_is_kept(store: CaseStore) -> None:
    key = "k" * 64
    with store.transaction() as tx:
        tx.set_setting(key, "v", at=T0)
    with store.transaction(write=False) as tx:
        assert tx.get_setting(key) == "v"


def test_a_rolled_back_setting_is_not_kept(store: CaseStore) -> None:
    with store.transaction() as tx:
        tx.set_setting("kind", "demo", at=T0)
    with pytest.raises(Boom):
        _set_then_fail(store)
    with store.transaction(write=False) as tx:
        assert tx.get_setting("kind") == "demo"
        assert tx.get_setting("other") is None


def _set_then_fail(store: CaseStore) -> None:
    with store.transaction() as tx:
        tx.set_setting("kind", "production", at=T0)
        tx.set_setting("other", "x", at=T0)
        raise Boom


def test_a_read_transaction_cannot_set(store: CaseStore) -> None:
    with pytest.raises(RuntimeError), store.transaction(write=False) as tx:
        tx.set_setting("kind", "demo", at=T0)
    with store.transaction(write=False) as tx:
        assert tx.get_setting("kind") is None
