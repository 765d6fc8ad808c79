"""Letters rendered after their step: the PDF sealed beside the source.

A letter is journalised with its source (`engine.cases.letters`): the HTML,
sealed by its SHA-256 in the step's entry. `Renditions.render` turns that
source into the PDF outside any transaction, then records a `render` step by
the `system` actor on the case's chain, whose data seals the rendition:

    {"document": "2024-0283489-9", "source_sha256": <the sealed source's>,
     "sha256": <the PDF's>, "media_type": "application/pdf", "size": 41233}

and keeps the PDF by its SHA-256. From then on the document reads as the PDF
(`engine.cases.documents`), checked against that digest; the source stays, as
sealed. The render step names the source it rendered, so `audit verify`
checks that it is the document's sealed source and that the PDF is the bytes
sealed. Rendering twice (two processes at once, a retry) records one step:
whoever records second finds it done and returns it.

The render step changes neither the state, the deadline nor the case's last
event (`last_event_at`: a rendering is not work on the case).
"""

from __future__ import annotations

from engine.audit.renditions import Rendition, renditions
from engine.cases.documents import DocumentRead, checked
from engine.cases.letters import is_letter, render_key
from engine.cases.recorder import Change, keep_content, record
from engine.cases.rules import RuleBook
from engine.cases.writes import refuse_erased
from engine.clock import Clock
from engine.exceptions import ConcurrentUpdateError, InvalidDataError
from engine.ports import CaseStore, CaseTransaction
from engine.ports.letters import Renderer
from engine.records import Content
from engine.workflow.definition import RENDER_EVENT, SYSTEM_ACTOR

TRIES = 3  # a person's step on the same case at the same moment: record again


class Renditions:
    """Renders journalised letters and records their renditions."""

    def __init__(
        self, *, store: CaseStore, clock: Clock, rules: RuleBook, renderer: Renderer
    ) -> None:
        self.store = store
        self.clock = clock
        self.rules = rules
        self.renderer = renderer

    def render(self, number: str) -> Rendition:
        """Render letter `number` unless it was; its rendition either way.

        Raises:
            DocumentNotFoundError: no such document, or one without content.
            ContentTamperedError: its source no longer matches its seal.
            InvalidDataError: not a letter to render, or its case was erased.
        """
        with self.store.transaction(write=False) as tx:
            source = checked(tx, number, rendered=False)
            done = renditions(tx.history(source.case.id or 0)).get(number)
        if done is not None:
            return done
        if not is_letter(source.document):
            raise InvalidDataError(f"document {number} is not a letter to render")
        rendered = self.renderer.render(source.data)  # outside any transaction
        for attempt in range(1, TRIES + 1):
            try:
                with self.store.transaction() as tx:
                    return self._record(tx, source, rendered)
            except ConcurrentUpdateError:
                if attempt == TRIES:
                    raise
        raise AssertionError("unreachable")

    def waiting(self, case_number: str) -> list[str]:
        """The letters of case `case_number` journalised with their source and
        not rendered yet, by document number.

        Raises:
            CaseNotFoundError: no such case.
        """
        with self.store.transaction(write=False) as tx:
            case = tx.get_case(case_number)
            assert case.id is not None
            done = renditions(tx.history(case.id))
            return [
                d.number
                for d in tx.documents(case.id)
                if is_letter(d) and d.number not in done
            ]

    def read(self, number: str) -> DocumentRead:
        """Letter `number` as rendered (rendering it first if it was not),
        checked against the digest its render step sealed.

        Raises:
            as `render`.
        """
        self.render(number)
        with self.store.transaction(write=False) as tx:
            return checked(tx, number)

    def _record(
        self, tx: CaseTransaction, source: DocumentRead, rendered: Content
    ) -> Rendition:
        case = tx.get_case(source.case.number)
        assert case.id is not None
        history = tx.history(case.id)
        number = source.document.number
        done = renditions(history).get(number)
        if done is not None:  # another process rendered it meanwhile
            return done
        refuse_erased(case)
        definition = self.rules.definition_for(tx, case.workflow, case.workflow_version)
        digest = keep_content(tx, rendered)
        assert digest is not None
        assert source.document.sha256 is not None
        now = self.clock.now()
        data = {
            "document": number,
            "source_sha256": source.document.sha256,
            "sha256": digest,
            "media_type": rendered.media_type,
            "size": len(rendered.data),
        }
        change = Change(
            event=RENDER_EVENT,
            actor=SYSTEM_ACTOR,
            role=SYSTEM_ACTOR,
            # it takes no time of its own: as of the case's latest step, so the
            # effective times stay in order however late it is recorded
            at=case.last_event_at,
            data=data,
            # the case it seals: personal values as commitments, as every step's
            personal=definition.personal_fields,
            workflow_digest=definition.digest,
        )
        after = record(tx, case, case, change, recorded_at=now)
        # its render item is done, unless a worker holds it (who marks it then)
        tx.settle_notification(render_key(case.number, number), sent_at=now)
        return Rendition(
            number=number,
            source_sha256=source.document.sha256,
            sha256=digest,
            media_type=rendered.media_type,
            size=len(rendered.data),
            seq=after.version,
        )
