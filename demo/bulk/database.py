"""What a bulk transaction answers from the database: what building does not need.

`DatabaseAnswers` declares each method of `engine.ports.CaseTransaction` that
memory does not answer (listings, counts, searches, reads across the record
and its verification, the access log, the outbox's listings) as the
`SqlTransaction` method of the same name, run by `on_database` or
`streamed_from_database`: so each has the signature the SQL store gives it,
and the type checker holds it to the port.

Hazards:
    * Each runs after a complete flush, in a database transaction of its own
      (a read one, but for `purge_access`), and only in a transaction that
      has not written (RuntimeError otherwise): what it writes
      (`purge_access`) is not undone with the bulk transaction.
    * A streamed read (`streamed_from_database`) flushes and opens its database
      transaction when it is first iterated, not when it is called, and keeps
      that transaction open until it is exhausted or closed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Concatenate, ParamSpec, TypeVar

from demo.bulk.state import BulkRows
from storage.sql.store import SqlTransaction

P = ParamSpec("P")
R = TypeVar("R")


def on_database(
    method: Callable[Concatenate[SqlTransaction, P], R], *, write: bool = False
) -> Callable[Concatenate[BulkRows, P], R]:
    """`method` as a bulk transaction's, run on the database (see the hazards).

    Args:
        method: the `SqlTransaction` method.
        write: it writes: refused in a read transaction, run in a writing one.
    """

    def run(self: BulkRows, /, *args: P.args, **kwargs: P.kwargs) -> R:
        if write:
            self._writing()
        with self._database(write=write) as tx:
            return method(tx, *args, **kwargs)

    run.__name__ = method.__name__
    run.__doc__ = method.__doc__
    return run


def streamed_from_database(
    method: Callable[Concatenate[SqlTransaction, P], Iterator[R]],
) -> Callable[Concatenate[BulkRows, P], Iterator[R]]:
    """`method`, a streamed read, as a bulk transaction's (see the hazards)."""

    def run(self: BulkRows, /, *args: P.args, **kwargs: P.kwargs) -> Iterator[R]:
        with self._database() as tx:
            yield from method(tx, *args, **kwargs)

    run.__name__ = method.__name__
    run.__doc__ = method.__doc__
    return run


class DatabaseAnswers(BulkRows):
    """The methods of `engine.ports.CaseTransaction` the database answers."""

    # CaseListing
    list_cases = on_database(SqlTransaction.list_cases)
    count_cases = on_database(SqlTransaction.count_cases)
    stale_cases = on_database(SqlTransaction.stale_cases)
    count_stale = on_database(SqlTransaction.count_stale)
    state_counts = on_database(SqlTransaction.state_counts)
    owner_counts = on_database(SqlTransaction.owner_counts)
    # CaseSearch
    search_cases = on_database(SqlTransaction.search_cases)
    # AuditReads
    audit_entries = streamed_from_database(SqlTransaction.audit_entries)
    verify_entries = streamed_from_database(SqlTransaction.verify_entries)
    verify_cases = streamed_from_database(SqlTransaction.verify_cases)
    verify_documents = streamed_from_database(SqlTransaction.verify_documents)
    verify_personal = streamed_from_database(SqlTransaction.verify_personal)
    chain_heads = streamed_from_database(SqlTransaction.chain_heads)
    audit_counts = on_database(SqlTransaction.audit_counts)
    # AccessLog
    access_entries = streamed_from_database(SqlTransaction.access_entries)
    purge_access = on_database(SqlTransaction.purge_access, write=True)
    # ChaseRecords
    oldest_chase_due = on_database(SqlTransaction.oldest_chase_due)
    # OutboxRecords (`get_notification` looks in memory first: demo/bulk/outbox.py)
    list_notifications = on_database(SqlTransaction.list_notifications)
    notification_counts = on_database(SqlTransaction.notification_counts)
