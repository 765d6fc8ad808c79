"""Personal values in memory: kept apart from the record, and erased on demand."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace

from engine.audit.personal import ERASED, scrub, scrub_json
from engine.records import Case, Document
from storage.memory.state import MemoryRows


class PersonalMemory(MemoryRows):
    """`engine.ports.PersonalRecords`, and the streams verification reads."""

    def add_personal_values(self, case_id: int, values: dict[str, object]) -> None:
        self._writing()
        kept = self.s.personal.setdefault(case_id, {})
        for commitment, value in values.items():
            kept.setdefault(commitment, value)

    def personal_values(
        self, case_ids: Sequence[int]
    ) -> Mapping[int, Mapping[str, object]]:
        return {i: dict(self.s.personal.get(i, {})) for i in case_ids}

    def erase_personal(self, case: Case, values: Sequence[str]) -> int:
        self._writing()
        assert case.id is not None
        self.s.cases[case.number] = case
        self.s.personal.pop(case.id, None)
        wanted = [v for v in values if v]
        changed = 0
        for key, note in list(self.s.outbox.items()):
            if note.case_id != case.id:
                continue
            payload = scrub_json(note.payload, wanted)
            assert isinstance(payload, dict)
            new = replace(
                note,
                subject=scrub(note.subject, wanted),
                body=scrub(note.body, wanted),
                recipient=ERASED if note.recipient in wanted else note.recipient,
                payload=payload,
            )
            if new != note:
                self.s.outbox[key] = new
                changed += 1
        return changed

    def verify_cases(self) -> Iterator[Case]:
        return iter(sorted(self.s.cases.values(), key=lambda c: c.id or 0))

    def verify_documents(self) -> Iterator[Document]:
        for case_id in sorted(self.s.documents):
            yield from sorted(self.s.documents[case_id], key=lambda d: d.seq)

    def verify_personal(self) -> Iterator[tuple[int, str, object]]:
        for case_id in sorted(self.s.personal):
            for commitment, value in sorted(self.s.personal[case_id].items()):
                yield case_id, commitment, value
