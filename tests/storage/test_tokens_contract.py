"""The HTTP API's part of the storage contract, on every store.

Tokens (stored by digest, listed, revoked once), idempotency keys (claimed once
per user and key, answered, released, expired) and the cheap counts `/health`
and `/metrics` read.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from engine.exceptions import DuplicateError
from engine.ports import CaseStore
from engine.records import (
    ApiToken,
    AuditEntry,
    Case,
    IdempotencyRecord,
    Notification,
    User,
)
from service.api.store import ApiStore

T0 = datetime(2024, 11, 25, 9, 0, tzinfo=UTC)
DIGEST = "ab" * 32


@pytest.fixture
def users(store: ApiStore) -> ApiStore:
    """The store with users bra and jur (tokens belong to a user)."""
    with store.transaction() as tx:
        tx.add_user(User(id="bra", roles=("advisor",), created_at=T0))
        tx.add_user(User(id="jur", roles=("caseworker",), created_at=T0))
    return store


def _token(token_id: str = "t1", **changes: object) -> ApiToken:
    values: dict[str, object] = {
        "id": token_id,
        "user_id": "bra",
        "digest": DIGEST,
        "created_at": T0,
    }
    values.update(changes)
    return ApiToken(**values)  # type: ignore[arg-type]


def _claim(key: str = "k1", user: str = "bra", **changes: object) -> IdempotencyRecord:
    values: dict[str, object] = {
        "user_id": user,
        "key": key,
        "fingerprint": "f" * 64,
        "created_at": T0,
    }
    values.update(changes)
    return IdempotencyRecord(**values)  # type: ignore[arg-type]


class TestTokens:
    def test_a_token_reads_back_as_stored(self, users: ApiStore) -> None:
        expires = T0 + timedelta(days=30)
        with users.transaction() as tx:
            tx.add_token(_token(expires_at=expires))
        with users.transaction(write=False) as tx:
            assert tx.get_token("t1") == _token(expires_at=expires)
            assert tx.get_token("nope") is None

    def test_the_same_id_twice_is_a_duplicate(self, users: ApiStore) -> None:
        with users.transaction() as tx:
            tx.add_token(_token())
        with pytest.raises(DuplicateError), users.transaction() as tx:
            tx.add_token(_token(user_id="jur"))
        with users.transaction(write=False) as tx:
            assert [t.user_id for t in tx.list_tokens()] == ["bra"]

    def test_list_is_oldest_first(self, users: ApiStore) -> None:
        with users.transaction() as tx:
            tx.add_token(_token("b", created_at=T0 + timedelta(hours=1)))
            tx.add_token(_token("a", created_at=T0 + timedelta(hours=2)))
            tx.add_token(_token("c", user_id="jur"))
        with users.transaction(write=False) as tx:
            assert [t.id for t in tx.list_tokens()] == ["c", "b", "a"]

    def test_revoking_keeps_the_first_revocation(self, users: ApiStore) -> None:
        with users.transaction() as tx:
            tx.add_token(_token())
        first, later = T0 + timedelta(days=1), T0 + timedelta(days=2)
        with users.transaction() as tx:
            revoked = tx.revoke_token("t1", first)
        assert revoked == _token(revoked_at=first)
        with users.transaction() as tx:
            assert tx.revoke_token("t1", later) == _token(revoked_at=first)
            assert tx.revoke_token("nope", later) is None
        with users.transaction(write=False) as tx:
            assert tx.get_token("t1") == _token(revoked_at=first)


class TestIdempotency:
    def test_the_first_claim_wins_and_the_second_sees_it(self, users: ApiStore) -> None:
        horizon = T0 - timedelta(days=1)
        with users.transaction() as tx:
            assert tx.claim_idempotency(_claim(), expire_before=horizon) is None
        with users.transaction() as tx:
            held = tx.claim_idempotency(
                _claim(fingerprint="0" * 64), expire_before=horizon
            )
        assert held == _claim()  # in flight: no answer yet

    def test_keys_are_per_user(self, users: ApiStore) -> None:
        horizon = T0 - timedelta(days=1)
        with users.transaction() as tx:
            assert tx.claim_idempotency(_claim(), expire_before=horizon) is None
            assert (
                tx.claim_idempotency(_claim(user="jur"), expire_before=horizon) is None
            )

    def test_an_answer_is_kept_and_returned(self, users: ApiStore) -> None:
        horizon = T0 - timedelta(days=1)
        done = T0 + timedelta(seconds=1)
        with users.transaction() as tx:
            tx.claim_idempotency(_claim(), expire_before=horizon)
        with users.transaction() as tx:
            tx.finish_idempotency(
                "bra",
                "k1",
                status=201,
                body='{"number": "2024-0000001"}',
                headers={"location": "/cases/2024-0000001"},
                at=done,
            )
        with users.transaction() as tx:
            held = tx.claim_idempotency(_claim(), expire_before=horizon)
        assert held == _claim(
            status=201,
            body='{"number": "2024-0000001"}',
            headers={"location": "/cases/2024-0000001"},
            completed_at=done,
        )

    def test_a_released_claim_frees_the_key(self, users: ApiStore) -> None:
        horizon = T0 - timedelta(days=1)
        with users.transaction() as tx:
            tx.claim_idempotency(_claim(), expire_before=horizon)
        with users.transaction() as tx:
            tx.release_idempotency("bra", "k1")
            tx.release_idempotency("bra", "never-claimed")
        with users.transaction() as tx:
            assert tx.claim_idempotency(_claim(), expire_before=horizon) is None

    def test_release_leaves_an_answered_key_alone(self, users: ApiStore) -> None:
        horizon = T0 - timedelta(days=1)
        with users.transaction() as tx:
            tx.claim_idempotency(_claim(), expire_before=horizon)
            tx.finish_idempotency("bra", "k1", status=200, body="{}", headers={}, at=T0)
            tx.release_idempotency("bra", "k1")
        with users.transaction() as tx:
            held = tx.claim_idempotency(_claim(), expire_before=horizon)
        assert held is not None
        assert held.status == 200

    def test_a_key_past_its_retention_is_free_again(self, users: ApiStore) -> None:
        with users.transaction() as tx:
            tx.claim_idempotency(_claim(), expire_before=T0 - timedelta(days=1))
            tx.finish_idempotency("bra", "k1", status=200, body="{}", headers={}, at=T0)
        later = _claim(created_at=T0 + timedelta(days=2), fingerprint="1" * 64)
        with users.transaction() as tx:
            # the record is from T0; everything before T0 + 1 day has expired
            assert (
                tx.claim_idempotency(later, expire_before=T0 + timedelta(days=1))
                is None
            )
        with users.transaction() as tx:
            held = tx.claim_idempotency(later, expire_before=T0)
        assert held == later

    def test_a_rolled_back_claim_leaves_no_trace(self, users: ApiStore) -> None:
        horizon = T0 - timedelta(days=1)

        class Boom(Exception):
            pass

        def claim_then_fail() -> None:
            with users.transaction() as tx:
                tx.claim_idempotency(_claim(), expire_before=horizon)
                raise Boom

        with pytest.raises(Boom):
            claim_then_fail()
        with users.transaction() as tx:
            assert tx.claim_idempotency(_claim(), expire_before=horizon) is None


def _add_case(store: CaseStore, number: str, chase_due: date | None) -> Case:
    with store.transaction() as tx:
        return tx.add_case(
            Case(
                number=number,
                workflow="ombudsman-inquiry",
                workflow_version=1,
                title="A case",
                state="awaiting_reply",
                version=0,
                due=chase_due,
                chase_due=chase_due,
                state_entered_at=T0,
                opened_at=T0,
                last_event_at=T0,
                updated_at=T0,
            )
        )


def _entry(case: Case, seq: int, event: str, workflow: str) -> AuditEntry:
    assert case.id is not None
    return AuditEntry(
        case_id=case.id,
        case_number=case.number,
        seq=seq,
        event=event,
        from_state="opened",
        to_state="opened",
        actor="jur",
        role="caseworker",
        at=T0,
        recorded_at=T0,
        workflow=workflow,
        workflow_version=1,
    )


class TestCounts:
    def test_oldest_chase_due(self, store: CaseStore) -> None:
        with store.transaction(write=False) as tx:
            assert tx.oldest_chase_due() is None
        _add_case(store, "2024-0000001", date(2024, 11, 6))
        _add_case(store, "2024-0000002", date(2024, 10, 11))
        _add_case(store, "2024-0000003", None)
        with store.transaction(write=False) as tx:
            assert tx.oldest_chase_due() == date(2024, 10, 11)

    def test_audit_counts_count_what_was_added_since(self, store: CaseStore) -> None:
        with store.transaction(write=False) as tx:
            assert tx.audit_counts(0) == (0, [])
        one = _add_case(store, "2024-0000001", None)
        two = _add_case(store, "2024-0000002", None)
        with store.transaction() as tx:
            tx.append_audit(_entry(one, 1, "open", "ombudsman-inquiry"))
            tx.append_audit(_entry(two, 1, "open", "access-to-documents"))
            tx.append_audit(_entry(one, 2, "note", "ombudsman-inquiry"))
            tx.append_audit(_entry(one, 3, "note", "ombudsman-inquiry"))
        with store.transaction(write=False) as tx:
            first, counts = tx.audit_counts(0)
        assert counts == [
            ("access-to-documents", "open", 1),
            ("ombudsman-inquiry", "note", 2),
            ("ombudsman-inquiry", "open", 1),
        ]
        with store.transaction(write=False) as tx:
            assert tx.audit_counts(first) == (first, [])
        with store.transaction() as tx:
            tx.append_audit(_entry(two, 2, "close", "access-to-documents"))
        with store.transaction(write=False) as tx:
            second, counts = tx.audit_counts(first)
        assert second > first
        assert counts == [("access-to-documents", "close", 1)]

    def test_notification_counts_by_status(self, store: CaseStore) -> None:
        with store.transaction(write=False) as tx:
            assert dict(tx.notification_counts()) == {}
        case = _add_case(store, "2024-0000001", None)
        assert case.id is not None
        with store.transaction() as tx:
            for i in range(3):
                tx.add_notification(
                    Notification(
                        idempotency_key=f"n{i}",
                        case_id=case.id,
                        case_number=case.number,
                        channel="log",
                        recipient="the log",
                        kind="internal",
                        subject="Reminder",
                        body="...",
                        available_at=T0,
                        created_at=T0,
                    )
                )
            (claimed, *_) = tx.claim_notifications(
                T0, limit=1, lease_until=T0 + timedelta(minutes=5)
            )
            assert claimed.id is not None
            tx.finish_notification(
                claimed.id, claimed_attempts=1, status="sent", sent_at=T0
            )
        with store.transaction(write=False) as tx:
            assert dict(tx.notification_counts()) == {"pending": 2, "sent": 1}
