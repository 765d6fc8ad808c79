"""The PostgreSQL privileges of the application role.

sagsflow's schema is created by an owner role (whoever runs `sagsflow init`);
the service and the people's commands should connect as an application role
that can do their work and nothing more. On the record tables that is SELECT
and INSERT only: together with the append-only triggers (which stop even the
owner), UPDATE, DELETE and TRUNCATE of the audit record are refused twice.
`sagsflow grants` prints these statements; run them as the owner after every
`sagsflow init` that adds tables (new tables and sequences get no rights).
"""

from __future__ import annotations

import re

from engine.exceptions import InvalidInputError
from storage.sql.search import INDEX as SEARCH_INDEX
from storage.tables import metadata

# The record: written once, never changed (the users' chain included).
APPEND_ONLY = ("audit_entry", "document", "user_change")
# Rows the application itself deletes: the access log's retention purge, and
# personal values and documents' content (kept by its SHA-256, never changed)
# when a case's personal data is erased.
DELETABLE = ("access_entry", "personal_value", "document_content")
# Working rows the application changes and deletes: the review pages' sessions
# (seen, signed out, idle) and sign-ins (each used once), and the API's
# idempotency keys (completed, expired).
TRANSIENT = ("page_session", "page_sign_in", "api_idempotency")
# Read to check the schema version; only `sagsflow init` (the owner) changes it.
READ_ONLY = ("alembic_version",)

_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def grant_statements(role: str, *, database: str, schema: str = "public") -> list[str]:
    """The SQL that gives `role` exactly the rights sagsflow needs.

    Raises:
        InvalidInputError: a name that is not a plain PostgreSQL identifier.
    """
    for what, name in (("role", role), ("database", database), ("schema", schema)):
        if not _IDENTIFIER.fullmatch(name):
            raise InvalidInputError(
                f"{what} name {name!r} must be a plain lower-case identifier "
                "(letters, digits and _, at most 63)"
            )
    # and the search index, which the triggers on wf_case write as the writer
    tables = sorted([*(t.name for t in metadata.sorted_tables), SEARCH_INDEX])
    writable = [t for t in tables if t not in (*APPEND_ONLY, *DELETABLE, *TRANSIENT)]
    record = ", ".join(APPEND_ONLY)
    return [
        f"GRANT CONNECT ON DATABASE {database} TO {role};",
        f"GRANT USAGE ON SCHEMA {schema} TO {role};",
        f"REVOKE ALL ON {record} FROM PUBLIC;",
        f"REVOKE UPDATE, DELETE, TRUNCATE ON {record} FROM {role};",
        f"GRANT SELECT, INSERT ON {record} TO {role};",
        f"GRANT SELECT, INSERT, UPDATE ON {', '.join(writable)} TO {role};",
        f"GRANT SELECT, INSERT, DELETE ON {', '.join(DELETABLE)} TO {role};",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON {', '.join(TRANSIENT)} TO {role};",
        f"GRANT SELECT ON {', '.join(READ_ONLY)} TO {role};",
        f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {schema} TO {role};",
    ]
