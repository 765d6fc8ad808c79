"""The founding case (docs/domain.md) as the demo office imports it.

The same steps as `examples/founding-case.sh`: opened on the office's own
initiative on 3 October 2024, the inquiry to Social Services on 9 October, the
reply on Sunday 10 November (after the 6 November deadline: sagsflow was not
running yet, so nobody was chased), closed with no further action on
20 November 2024. Effective times are back-dated; the demo records them when
the office goes live on sagsflow.
"""

from __future__ import annotations

from datetime import datetime

from engine.dates.timeparse import parse_instant

NUMBER = "2024-0283489"
CLOSED_AT: datetime = parse_instant("2024-11-20T11:00:00+01:00")

RECORD: dict[str, object] = {
    "workflow": "ombudsman-inquiry",
    "number": NUMBER,
    "title": "Politianmeldelse af borger for digital chikane (egen drift)",
    "parties": {
        "authority": {
            "name": "Københavns Kommune, Socialforvaltningen",
            "email": "socialforvaltningen@example.org",
        }
    },
    "events": [
        {
            "event": "open",
            "actor": "bra",
            "at": "2024-10-03T10:00:00+02:00",
            "data": {"own_initiative": True},
            "document": "Notat om sagens oprettelse af egen drift",
        },
        {
            "event": "send_inquiry",
            "actor": "jur",
            "at": "2024-10-09T09:30:00+02:00",
            "document": "Brev til Socialforvaltningen med opklarende spørgsmål",
        },
        {"event": "mark_dispatched", "actor": "jur", "at": "2024-10-09T15:00:00+02:00"},
        {
            "event": "receive_reply",
            "actor": "jur",
            "at": "2024-11-10T12:00:00+01:00",
            "document": "Svar fra Socialforvaltningen",
        },
        {
            "event": "close",
            "actor": "bra",
            "at": CLOSED_AT.isoformat(),
            "data": {"outcome": "no_further_action"},
            "document": "Afslutningsbrev",
        },
    ],
}
