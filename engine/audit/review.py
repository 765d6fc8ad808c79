"""Audit review over a store: verify every chain, take a checkpoint.

The chains are the cases' and the users' (engine.audit.users); a checkpoint
lists the users' chain as one more head, named `USERS_CHAIN`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from engine.audit.anchor import Signer, make_checkpoint
from engine.audit.users import USERS_CHAIN, verify_users
from engine.audit.verify import ChainHead, Report, verify
from engine.ports import CaseStore
from engine.ports.documents import ContentRecords


def verify_store(
    store: CaseStore,
    *,
    anchored: Mapping[str, tuple[int, str]] | None = None,
    progress: Callable[[int], None] | None = None,
) -> Report:
    """Verify the whole record in one read transaction, streaming: the cases'
    chains and rows, then the users' chain and the users."""
    cases_anchored = dict(anchored or {})
    users_anchor = cases_anchored.pop(USERS_CHAIN, None)
    with store.transaction(write=False) as tx:
        heads = (
            ChainHead(
                case_id=c.id or 0,
                number=c.number,
                version=c.version,
                head=c.audit_head,
                case=c,
            )
            for c in tx.verify_cases()
        )
        report = verify(
            heads,
            tx.verify_entries(),
            anchored=cases_anchored,
            progress=progress,
            documents=tx.verify_documents(),
            personal=tx.verify_personal(),
            contents=tx.content if isinstance(tx, ContentRecords) else None,
        )
        count, problems = verify_users(
            tx.user_changes(), tx.list_users(), anchor=users_anchor
        )
    report.user_changes = count
    report.problems.extend(problems)
    return report


def count_entries(store: CaseStore) -> int:
    """How many audit entries there are (for a progress bar)."""
    with store.transaction(write=False) as tx:
        return sum(version for _, _, version, _ in tx.chain_heads())


def checkpoint(
    store: CaseStore,
    *,
    now: datetime,
    signer: Signer,
    previous: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A signed checkpoint of every case's chain head, as of now.

    Args:
        previous: the checkpoint written before it (`anchor.previous_checkpoint`),
            whose digest the new one names; None for the first.
    """
    with store.transaction(write=False) as tx:
        users = tx.users_head()
        heads = [(n, v, h) for _, n, v, h in tx.chain_heads()]
        heads.append((USERS_CHAIN, *users))  # left out while it is empty
        return make_checkpoint(heads, created_at=now, signer=signer, previous=previous)
