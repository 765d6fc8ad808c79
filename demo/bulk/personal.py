"""A bulk transaction's personal values: kept in memory, written in the batches.

`PersonalBulk` answers `engine.ports.PersonalRecords` and the one write of
them in `CaseRecords` (`add_personal_values`) from the store's `BulkState`,
with an undo step for each value it keeps; the store writes the values waiting
(`new_personal`) to `personal_value` in its batches, after the case rows.

Hazards:
    * A case's values may have left memory with its record (released): they
      are read through the store's `personal_of`, never from the state
      directly, so what is kept already is known exactly and a value is
      written once, as the SQL store's insert-if-absent writes it.
    * Erasing is refused: building never erases, and an erasure written past
      the state (on the database) would leave the case row, its values and its
      notifications in memory to be written back over it. Erase on the built
      database (`storage.SqlCaseStore`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from demo.bulk.state import BulkRows
from engine.records import Case


class PersonalBulk(BulkRows):
    """`engine.ports.PersonalRecords` and `CaseRecords.add_personal_values`."""

    def add_personal_values(self, case_id: int, values: dict[str, object]) -> None:
        self._writing()
        kept = self.store.personal_of([case_id])[case_id]
        new = {c: v for c, v in values.items() if c not in kept}  # else left
        if not new:
            return
        kept.update(new)

        def undo() -> None:
            for commitment in new:
                del kept[commitment]

        self._log(undo)
        for commitment, value in new.items():
            self._append(self.s.new_personal, (case_id, commitment, value))

    def personal_values(
        self, case_ids: Sequence[int]
    ) -> Mapping[int, Mapping[str, object]]:
        found = self.store.personal_of(case_ids)
        return {i: dict(found[i]) for i in case_ids}

    def erase_personal(self, case: Case, values: Sequence[str]) -> int:
        raise RuntimeError(
            "BulkCaseStore builds a database and does not erase personal data: "
            f"erase case {case.number}'s on the built database (SqlCaseStore)"
        )
