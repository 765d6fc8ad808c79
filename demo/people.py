"""The demo office's people and wording: plainly fictitious, no CPR numbers.

Staff are user ids with example.org addresses (the founding case's `bra` and
`jur` among them). Citizens are "Testperson <surname>", and have no address:
letters to them go by post, which the record does not model. The
administrations are Copenhagen's seven, as in the founding case, reached at
example.org addresses. Texts are Danish, as an office would write them, and
hold no digits that could look like a CPR number.
"""

from __future__ import annotations

from dataclasses import dataclass

DOMAIN = "example.org"


@dataclass(frozen=True, kw_only=True, slots=True)
class StaffMember:
    id: str
    role: str
    email: str


ADVISOR = "bra"  # the Borgerrådgiver: opens own-initiative cases, signs closings
INTAKE = "ind"
CASEWORKERS = ("jur", "jur2", "jur3", "jur4", "jur5", "jur6")  # 6 lawyers

STAFF: tuple[StaffMember, ...] = (
    StaffMember(id=ADVISOR, role="advisor", email=f"borgerraadgiver@{DOMAIN}"),
    StaffMember(id="jur", role="caseworker", email=f"jurist@{DOMAIN}"),
    *(
        StaffMember(id=j, role="caseworker", email=f"{j}@{DOMAIN}")
        for j in CASEWORKERS[1:]
    ),
    StaffMember(id=INTAKE, role="intake", email=f"sekretariat@{DOMAIN}"),
    StaffMember(id="rev", role="auditor", email=f"revision@{DOMAIN}"),
)


@dataclass(frozen=True, kw_only=True, slots=True)
class Administration:
    name: str
    short: str  # as a letter's title names it
    email: str
    management_email: str
    weight: int  # share of the complaints, in percent
    matters: tuple[str, ...]  # what citizens complain about


def _administration(
    short: str, mailbox: str, weight: int, matters: tuple[str, ...]
) -> Administration:
    return Administration(
        name=f"Københavns Kommune, {short}",
        short=short,
        email=f"{mailbox}@{DOMAIN}",
        management_email=f"direktion.{mailbox}@{DOMAIN}",
        weight=weight,
        matters=matters,
    )


ADMINISTRATIONS: tuple[Administration, ...] = (
    _administration(
        "Socialforvaltningen",
        "socialforvaltningen",
        25,
        (
            "sagsbehandlingstiden i en sag om hjælpemidler",
            "afslag på ledsagerordning",
            "manglende svar på henvendelse om botilbud",
            "forløbet af en børnefaglig undersøgelse",
            "afgørelse om merudgifter",
        ),
    ),
    _administration(
        "Beskæftigelses- og Integrationsforvaltningen",
        "bif",
        22,
        (
            "sanktion i kontanthjælpen",
            "manglende partshøring i sag om ressourceforløb",
            "behandlingen af en ansøgning om enkeltydelse",
            "tonen i en samtale på jobcentret",
        ),
    ),
    _administration(
        "Børne- og Ungdomsforvaltningen",
        "buf",
        15,
        (
            "visitation til specialtilbud",
            "afslag på skoleskift",
            "sagsbehandlingstid i sag om pasningsgaranti",
        ),
    ),
    _administration(
        "Sundheds- og Omsorgsforvaltningen",
        "suf",
        15,
        (
            "nedsættelse af hjemmehjælp",
            "manglende svar om plejebolig",
            "afgørelse om genoptræning",
        ),
    ),
    _administration(
        "Teknik- og Miljøforvaltningen",
        "tmf",
        13,
        (
            "en parkeringsafgift",
            "behandlingen af en klage over støj",
            "sagsbehandlingstid i en byggesag",
        ),
    ),
    _administration(
        "Kultur- og Fritidsforvaltningen",
        "kff",
        4,
        ("tildeling af lokaler til en forening",),
    ),
    _administration(
        "Økonomiforvaltningen",
        "okf",
        6,
        ("opkrævning af et tilbagebetalingskrav", "behandlingen af en aktindsigt"),
    ),
)

SURNAMES = (
    "Hansen",
    "Jensen",
    "Nielsen",
    "Pedersen",
    "Andersen",
    "Christensen",
    "Larsen",
    "Sørensen",
    "Rasmussen",
    "Jørgensen",
    "Petersen",
    "Madsen",
    "Kristensen",
    "Olsen",
    "Thomsen",
    "Poulsen",
    "Johansen",
    "Møller",
    "Mortensen",
    "Knudsen",
)
INITIALS = "ABCDEFGHIJKLMNOPRSTUV"

REJECT_REASONS = (
    "Forholdet ligger uden for Borgerrådgiverens kompetence",
    "Klagen er indgivet mere end et år efter forholdet",
    "Forvaltningen har endnu ikke haft lejlighed til at behandle klagen",
    "Sagen verserer ved en klageinstans",
)
FORWARD_REASONS = (
    "Videresendt til Ankestyrelsen som rette myndighed",
    "Videresendt til Folketingets Ombudsmand",
    "Videresendt til forvaltningen til behandling som klage",
)
WITHDRAW_REASONS = (
    "Borgeren har trukket henvendelsen tilbage",
    "Forholdet er løst, før Borgerrådgiveren gik ind i sagen",
    "Borgeren ønsker ikke at gå videre med sagen",
)
EXTENSION_REASONS = (
    "Forvaltningen har bedt om længere frist på grund af sagens omfang",
    "Forvaltningen afventer oplysninger fra en anden enhed",
)
REOPEN_REASONS = (
    "Borgeren er vendt tilbage med nye oplysninger",
    "Forvaltningen har rettet henvendelse om sagen igen",
)
NOTES = (  # (title, direction)
    ("Telefonnotat: samtale med borgeren", "note"),
    ("Mail fra borgeren med supplerende oplysninger", "incoming"),
    ("Mødenotat: møde med forvaltningen", "note"),
    ("Telefonnotat: opfølgning hos forvaltningen", "note"),
)
DELAY_REASONS = (
    "Anmodningen omfatter et stort antal dokumenter",
    "Der skal indhentes udtalelse fra tredjemand",
)
REFUSAL_REASONS = (
    "Dokumenterne er interne arbejdsdokumenter",
    "Oplysningerne er undtaget af hensyn til private interesser",
)
ACCESS_REOPEN_REASON = "Ankestyrelsen har hjemvist afgørelsen"
ACCESS_TOPICS = (
    "egen sag om hjælpemidler",
    "korrespondance om en byggesag",
    "sagsbehandlingen af egen klage",
    "retningslinjer for visitation",
    "mødereferater fra et udvalg",
)
PRESS = ("Journalist Testesen, Eksempelavisen", "Journalist Prøvesen, Demo-Radio")


def citizen_name(surname: str, initial: str) -> str:
    return f"Testperson {initial}. {surname}"
