"""The review pages' part of the storage contract, on every store.

Sessions (stored by the digest of their secret, touched, ended, dropped when
idle) and pending sign-ins (taken once, even by two callbacks at once;
dropped when too old).
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from engine.exceptions import DuplicateError
from engine.records import PageSession, PendingSignIn, User
from service.api.store import ApiStore

T0 = datetime(2024, 11, 25, 9, 0, tzinfo=UTC)
IDLE = timedelta(minutes=30)


class Failed(Exception):
    """The request failed after writing: its transaction rolls back."""


@pytest.fixture
def users(store: ApiStore) -> ApiStore:
    with store.transaction() as tx:
        tx.add_user(User(id="bra", roles=("advisor",), created_at=T0))
        tx.add_user(User(id="jur", roles=("caseworker",), created_at=T0))
    return store


def _session(session_id: str = "0123456789abcdef", **changes: object) -> PageSession:
    values: dict[str, object] = {
        "id": session_id,
        "digest": "ab" * 32,
        "user_id": "jur",
        "method": "oidc",
        "created_at": T0,
        "last_seen_at": T0,
    }
    values.update(changes)
    return PageSession(**values)  # type: ignore[arg-type]


def _pending(state_digest: str = "cd" * 32, **changes: object) -> PendingSignIn:
    values: dict[str, object] = {
        "state_digest": state_digest,
        "nonce": "n" * 43,
        "verifier": "v" * 64,
        "next_path": "/ui/mine?owner=jur",
        "browser_digest": "ef" * 32,
        "created_at": T0,
    }
    values.update(changes)
    return PendingSignIn(**values)  # type: ignore[arg-type]


class TestSessions:
    def test_a_session_reads_back_as_stored(self, users: ApiStore) -> None:
        token = _session("fedcba9876543210", method="token", token_id="0a1b2c3d4e5f")
        with users.transaction() as tx:
            tx.add_page_session(_session(), idle_before=T0 - IDLE)
            tx.add_page_session(token, idle_before=T0 - IDLE)
        with users.transaction(write=False) as tx:
            assert tx.get_page_session("0123456789abcdef") == _session()
            assert tx.get_page_session("fedcba9876543210") == token
            assert tx.get_page_session("0000000000000000") is None

    def test_the_same_id_twice_is_a_duplicate(self, users: ApiStore) -> None:
        with users.transaction() as tx:
            tx.add_page_session(_session(), idle_before=T0 - IDLE)
        with pytest.raises(DuplicateError), users.transaction() as tx:
            tx.add_page_session(_session(user_id="bra"), idle_before=T0 - IDLE)
        with users.transaction(write=False) as tx:
            found = tx.get_page_session("0123456789abcdef")
        assert found is not None
        assert found.user_id == "jur"

    def test_touching_moves_last_seen_forward_only(self, users: ApiStore) -> None:
        later = T0 + timedelta(minutes=5)
        with users.transaction() as tx:
            tx.add_page_session(_session(), idle_before=T0 - IDLE)
            tx.touch_page_session("0123456789abcdef", later)
            tx.touch_page_session("0123456789abcdef", T0 + timedelta(minutes=1))
            tx.touch_page_session("no-such-session0", later)
        with users.transaction(write=False) as tx:
            assert tx.get_page_session("0123456789abcdef") == _session(
                last_seen_at=later
            )

    def test_ending_deletes_it_once(self, users: ApiStore) -> None:
        with users.transaction() as tx:
            tx.add_page_session(_session(), idle_before=T0 - IDLE)
        with users.transaction() as tx:
            assert tx.end_page_session("0123456789abcdef") is True
            assert tx.end_page_session("0123456789abcdef") is False
            assert tx.get_page_session("0123456789abcdef") is None

    def test_a_new_session_drops_the_idle_ones(self, users: ApiStore) -> None:
        with users.transaction() as tx:
            tx.add_page_session(_session("1111111111111111"), idle_before=T0 - IDLE)
            tx.add_page_session(
                _session("2222222222222222", last_seen_at=T0 + timedelta(minutes=20)),
                idle_before=T0 - IDLE,
            )
        later = T0 + timedelta(minutes=40)
        with users.transaction() as tx:
            tx.add_page_session(
                _session("3333333333333333", created_at=later, last_seen_at=later),
                idle_before=later - IDLE,
            )
        with users.transaction(write=False) as tx:
            assert tx.get_page_session("1111111111111111") is None  # idle 40 min
            assert tx.get_page_session("2222222222222222") is not None
            assert tx.get_page_session("3333333333333333") is not None

    def test_a_rolled_back_session_leaves_no_trace(self, users: ApiStore) -> None:
        def add_then_fail() -> None:
            with users.transaction() as tx:
                tx.add_page_session(_session(), idle_before=T0 - IDLE)
                raise Failed

        with pytest.raises(Failed):
            add_then_fail()
        with users.transaction(write=False) as tx:
            assert tx.get_page_session("0123456789abcdef") is None


class TestPendingSignIns:
    def test_a_sign_in_is_taken_once(self, users: ApiStore) -> None:
        with users.transaction() as tx:
            tx.add_pending_sign_in(_pending(), expire_before=T0 - IDLE)
        with users.transaction() as tx:
            assert tx.take_pending_sign_in("cd" * 32) == _pending()
        with users.transaction() as tx:
            assert tx.take_pending_sign_in("cd" * 32) is None
            assert tx.take_pending_sign_in("00" * 32) is None

    def test_the_same_state_twice_is_a_duplicate(self, users: ApiStore) -> None:
        with users.transaction() as tx:
            tx.add_pending_sign_in(_pending(), expire_before=T0 - IDLE)
        with pytest.raises(DuplicateError), users.transaction() as tx:
            tx.add_pending_sign_in(_pending(nonce="m" * 43), expire_before=T0 - IDLE)

    def test_a_new_sign_in_drops_the_old_ones(self, users: ApiStore) -> None:
        with users.transaction() as tx:
            tx.add_pending_sign_in(_pending("01" * 32), expire_before=T0 - IDLE)
        later = T0 + timedelta(minutes=11)
        with users.transaction() as tx:
            tx.add_pending_sign_in(
                _pending("02" * 32, created_at=later),
                expire_before=later - timedelta(minutes=10),
            )
        with users.transaction() as tx:
            assert tx.take_pending_sign_in("01" * 32) is None
            assert tx.take_pending_sign_in("02" * 32) is not None

    def test_a_rolled_back_take_leaves_the_sign_in(self, users: ApiStore) -> None:
        with users.transaction() as tx:
            tx.add_pending_sign_in(_pending(), expire_before=T0 - IDLE)

        def take_then_fail() -> None:
            with users.transaction() as tx:
                assert tx.take_pending_sign_in("cd" * 32) is not None
                raise Failed

        with pytest.raises(Failed):
            take_then_fail()
        with users.transaction() as tx:
            assert tx.take_pending_sign_in("cd" * 32) is not None

    def test_two_callbacks_at_once_take_it_once(self, users: ApiStore) -> None:
        with users.transaction() as tx:
            tx.add_pending_sign_in(_pending(), expire_before=T0 - IDLE)
        start = threading.Barrier(2)
        taken: list[PendingSignIn | None] = []

        def callback() -> None:
            start.wait(timeout=30)
            with users.transaction() as tx:
                taken.append(tx.take_pending_sign_in("cd" * 32))

        threads = [threading.Thread(target=callback) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert sorted(t is None for t in taken) == [False, True]
