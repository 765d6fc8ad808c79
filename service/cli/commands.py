"""Where each command lives and the line `--help` shows for it.

The command line's commands, and the sub-commands groups take from other
modules, named here without importing them (`service.cli.lazy`): a command
is imported when it is called. tests/service/cli/test_startup.py holds each
line to the command's own.
"""

from __future__ import annotations

from service.cli.lazy import Lazy

# `sagsflow COMMAND`
COMMANDS = {
    "api": Lazy(
        "service.cli.api",
        "api",
        "Serve the HTTP API until SIGTERM or Ctrl-C (no chaser: see 'serve').",
    ),
    "audit": Lazy(
        "service.cli.audit", "audit", "The record: every step on every case."
    ),
    "backup": Lazy(
        "service.cli.backup",
        "backup",
        "Write a consistent backup of the SQLite database, and of the documents' "
        "files when SAGSFLOW_DOCUMENT_DIR is used, into one new FILE; safe while "
        "`serve` runs.",
    ),
    "case": Lazy(
        "service.cli.cases", "case", "Open, move, show, list and import cases."
    ),
    "document": Lazy(
        "service.cli.documents", "document", "Read journalised documents' content."
    ),
    "init": Lazy(
        "service.cli.init",
        "init",
        "Create the database, or upgrade its schema to this version.",
    ),
    "grants": Lazy(
        "service.cli.db",
        "grants",
        "Print the GRANTs for an application role (PostgreSQL).",
    ),
    "migrate-db": Lazy(
        "service.cli.db",
        "migrate_db",
        "Copy a whole database into an empty one, then verify the copy.",
    ),
    "outbox": Lazy(
        "service.cli.service",
        "outbox",
        "Letters and notices waiting to go out, sent, or failed.",
    ),
    "report": Lazy(
        "service.cli.report",
        "report",
        "Figures for the cases opened in a period, and the cases open now.",
    ),
    "restore": Lazy(
        "service.cli.backup",
        "restore",
        "Restore a backup FILE into an empty database, then verify the record.",
    ),
    "retention": Lazy(
        "service.cli.erasure",
        "retention",
        "Erase personal data whose workflow's retention rule has run out.",
    ),
    "serve": Lazy(
        "service.cli.service",
        "serve",
        "Run the chaser, the dispatcher and the HTTP API until SIGTERM or Ctrl-C.",
    ),
    "sweep": Lazy(
        "service.cli.service",
        "sweep",
        "One pass of the chaser: fire the next rung of every overdue case.",
    ),
    "token": Lazy(
        "service.cli.tokens",
        "token",
        "Bearer tokens for the HTTP API: create, list, revoke.",
    ),
    "user": Lazy(
        "service.cli.users",
        "user",
        "The people who act on cases: add, list, show, deactivate, roles.",
    ),
    "workflow": Lazy(
        "service.cli.workflows",
        "workflow",
        "Declared workflows: list, show, validate, draw.",
    ),
}

# `sagsflow case COMMAND`, from other modules
CASE_COMMANDS = {
    "assign": Lazy(
        "service.cli.owners",
        "case_assign",
        "Give case NUMBER to USER (the advisor: any case; a caseworker: an "
        "unassigned case to themselves, or their own to someone else).",
    ),
    "erase": Lazy(
        "service.cli.erasure",
        "case_erase",
        "Erase a closed case's personal data; its record stays and still verifies.",
    ),
    "letter": Lazy(
        "service.cli.letters",
        "case_letter",
        "Write to FILE.pdf the letter EVENT would write on case NUMBER.",
    ),
}

# `sagsflow user COMMAND`, from other modules
USER_COMMANDS = {
    "absences": Lazy(
        "service.cli.owners", "user_absences", "List recorded absences (of user ID)."
    ),
    "away": Lazy(
        "service.cli.owners",
        "user_away",
        "Record that user ID is away from --from to --until (both days included).",
    ),
}

# `sagsflow workflow COMMAND`, from other modules
WORKFLOW_COMMANDS = {
    "migrate": Lazy(
        "service.cli.migrate",
        "workflow_migrate",
        "Move open cases of NAME to a newer version: each case all or nothing, "
        "with a `migrate` entry; a case that cannot move is listed and stays.",
    ),
}
