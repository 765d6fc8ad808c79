"""`BulkTransaction`: one unit of work on a `BulkCaseStore` (demo/bulk/store.py).

It plays every role of `engine.ports.CaseTransaction`, one class each, over
the store's `BulkState` (demo/bulk/state.py):

    CaseBulk         demo/bulk/cases.py     cases, their records, rules: memory
    PersonalBulk     demo/bulk/personal.py  personal values: memory (no erasing)
    PeopleBulk       demo/bulk/people.py    users, settings, logging reads: memory
    OutboxBulk       demo/bulk/outbox.py    the chaser and the outbox: memory
    DatabaseAnswers  demo/bulk/database.py  what building does not need: database

What it writes it leaves in the state, with an undo step each, for the store to
write in batches; the store runs the undo log when the transaction raises. The
HTTP API's rows (tokens, idempotency keys: service.api.store) are not offered.

Hazards:
    * The transaction is the store's only while its `with` block lasts: a
      change after that fails (an assertion), as nothing could undo it.
    * The database answers only a transaction that has not written (see
      demo/bulk/database.py).
"""

from __future__ import annotations

from demo.bulk.cases import CaseBulk
from demo.bulk.database import DatabaseAnswers
from demo.bulk.outbox import OutboxBulk
from demo.bulk.people import PeopleBulk
from demo.bulk.personal import PersonalBulk


class BulkTransaction(CaseBulk, PersonalBulk, PeopleBulk, OutboxBulk, DatabaseAnswers):
    """One unit of work on a `BulkCaseStore`: every role of its port."""
