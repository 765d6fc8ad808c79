"""The office the browser tests look at: the founding case, chased once.

Made with the command line (run in-process) as `examples/founding-case.sh`
makes it (`init`, the advisor `bra` and the caseworker `jur`, `case import` of
`examples/founding-case.jsonl`), plus an auditor `rev` and an intake user
`ind`, and one token per user from `sagsflow token create`. The case awaits a
reply due 6 November 2024; a `sweep --now` two days later fires its first
reminder, so its timeline holds a reminder. `tests.service.api.process.live_api`
then serves a copy of it with `sagsflow api --port 0`. A second case, opened
by the caseworker after the sweep (and overdue since its intake deadline, 26
November 2024), gives the audit search something to narrow.
"""

from __future__ import annotations

from pathlib import Path

from tests.engine.audit.test_verify import tampering
from tests.service.api.process import REPO_ROOT, Prepared, environment, setup_cli
from tests.service.conftest import copy_database

FOUNDING = "2024-0283489"
FOUNDING_TITLE = "Politianmeldelse af borger for digital chikane (egen drift)"
USERS = {  # id -> (role, e-mail address), as the README and the example add them
    "bra": ("advisor", "borgerraadgiver@example.org"),
    "jur": ("caseworker", "jurist@example.org"),
    "rev": ("auditor", "revisor@example.org"),
    "ind": ("intake", "indgang@example.org"),
}
OTHER_TITLE = "Klage over sagsbehandlingstiden i en byggesag"
OTHER_OPENED_AT = "2024-11-12T10:00:00+01:00"
CHASED_AT = "2024-11-08T10:00:00+01:00"  # two working days after the reply was due
TAMPERED_SEQ = 2  # send_inquiry, by jur


def founding_office(folder: Path) -> Prepared:
    """A SQLite file in `folder` with the founding case, chased once; tokens."""
    db_path = folder / "sagsflow.db"
    env = environment(db_path)
    setup_cli(env, "init")
    for user, (role, address) in USERS.items():
        by = () if user == "bra" else ("--actor", "bra")
        setup_cli(env, "user", "add", user, "--role", role, "--email", address, *by)
    setup_cli(
        env, "case", "import", str(REPO_ROOT / "examples" / "founding-case.jsonl")
    )
    setup_cli(env, "sweep", "--now", CHASED_AT, "--force")
    setup_cli(
        env,
        "case",
        "open",
        "ombudsman-inquiry",
        "--actor",
        "jur",
        "--title",
        OTHER_TITLE,
        "--party",
        "authority=Københavns Kommune, Teknik- og Miljøforvaltningen",
        "--at",
        OTHER_OPENED_AT,
    )
    tokens = {user: setup_cli(env, "token", "create", user).strip() for user in USERS}
    return Prepared(db_path=db_path, tokens=tokens)


def tampered_copy(office: Prepared, folder: Path) -> Prepared:
    """A copy of `office` in `folder` whose founding case's entry 2 names
    another actor, written below the append-only triggers."""
    db_path = folder / "sagsflow.db"
    copy_database(office.db_path, db_path)
    with tampering(db_path) as conn:
        changed = conn.execute(
            "UPDATE audit_entry SET actor = 'mallory' "
            "WHERE case_number = ? AND seq = ?",
            (FOUNDING, TAMPERED_SEQ),
        ).rowcount
        assert changed == 1
    return Prepared(db_path=db_path, tokens=dict(office.tokens))


def fresh_copy(office: Prepared, folder: Path) -> Prepared:
    """A copy of `office` in `folder`, for a test that changes the record."""
    db_path = folder / "sagsflow.db"
    copy_database(office.db_path, db_path)
    return Prepared(db_path=db_path, tokens=dict(office.tokens))
