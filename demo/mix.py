"""The demo office's mix: what becomes of its cases, and how fast (docs/domain.md).

The shares are the project's working assumptions (docs/domain.md, "The demo
office's mix"), in percent unless said otherwise; `demo.stories` draws each
case's story from them.
"""

from __future__ import annotations

from datetime import time

INQUIRY = "ombudsman-inquiry"
ACCESS = "access-to-documents"

# -- the mix (shares in percent) -------------------------------------------------------
ACCESS_SHARE = 15  # of all cases: requests for access to documents
MIX = {  # ombudsman-inquiry cases by what becomes of them (docs/domain.md)
    "rejected": 20,  # rejected at intake
    "not_investigated": 20,  # closed without investigation (withdrawn)
    "dialogue": 28,  # resolved in dialogue with the administration
    "forwarded": 7,  # forwarded to the competent body (rejected, with the reason)
    "investigated": 25,  # investigated; about 10 % end in criticism
}
REPLIES = {  # how an administration answers an inquiry
    "on_time": 50,
    "after_reminder_1": 25,
    "after_reminder_2": 15,
    "after_escalation": 10,
}
ACCESS_MIX = {
    "on_time": 65,  # answered within 7 working days
    "delay_notice": 15,  # the requester is told why it takes longer, and when
    "late": 15,  # answered after the chaser's reminder (or escalation)
    "withdrawn": 5,
}
INVESTIGATION_OUTCOMES = {
    "no_further_action": 90,
    "criticism": 6,
    "criticism_with_recommendation": 4,
}
SEVERITIES = {"mild": 60, "serious": 35, "very_serious": 5}
DECISIONS = {"granted": 50, "partly_granted": 30, "refused": 20}
REOPENED = 3  # percent of closed cases taken up again
OWN_INITIATIVE = 4  # percent of inquiries opened by the advisor on the office's own
EXTENDED = {"dialogue": 8, "investigated": 25}  # asked for more time at least once
EXTENDED_TWICE = 30  # of those, asked twice (the second needs the advisor)
DISPATCH_LATE = 4  # the inquiry letter went out only after the dispatch reminder
ASSESSMENT_LATE = {"dialogue": 50, "investigated": 70}  # assessed after the reminder
MONTH_WEIGHTS = (10, 10, 10, 9, 10, 9, 5, 8, 10, 11, 11, 8)  # July is quiet
WAITS = {  # (fewest, most) working days before the office takes the next step
    "rejection": (5, 30),  # triage: the case is read and rejected or forwarded
    "withdrawal": (20, 80),
    "queue:dialogue": (10, 40),  # before the inquiry goes out
    "queue:investigated": (20, 70),
    "queue:reopened": (2, 10),
    "reopening": (10, 60),  # closed, then taken up again
    "reply_after_escalation": (5, 40),
    "assessment_late:dialogue": (10, 60),  # after the assessment reminder
    "assessment_late:investigated": (20, 120),
    "access_reopening": (10, 40),
}
NOTES_WHILE_ASSESSING = {"dialogue": (0, 2), "investigated": (1, 3)}
NOTES_AFTER_REMINDER = (1, 4)  # investigated, assessed late: more work journalised

OFFICE_OPENS = time(8, 0)
OFFICE_MINUTES = 8 * 60  # 08:00 to 16:00
