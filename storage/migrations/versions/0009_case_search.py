"""case search

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07

A full-text index of every case's title, its parties' names and its
authority's name (the party of role `authority`), which `case list --search`,
`GET /cases?q=` and the pages' case box search (storage/sql/search.py).
Triggers on `wf_case` keep it in the transaction of every write of a case
row, whoever writes it (the engine's statements, the demo's bulk rows, an
import, an erasure, a copy), and only when the title or the parties change,
so a transition that moves a case along does not touch it. A name erased
("[erased]", engine.audit.personal.ERASED) is not indexed. The cases already
there are indexed here.

SQLite: an FTS5 table, `case_search` (rowid = the case's id; columns title,
parties, authority), tokenized by `unicode61` with `remove_diacritics 0`:
letters and digits make words, case is folded (Æ/æ, Ø/ø, Å/å included), and
no letter loses its marks. Folding them away would treat the three Danish
letters unevenly (it folds å to a, but not ø or æ, which have no base letter
in Unicode), so "Ågård" would be found by "agard" but "Søren" not by
"soren"; and PostgreSQL, without the unaccent extension, folds none. Kept
as written, a name is found the same way on both. (Accented foreign names
are then found only as written: "René", not "rene".)

PostgreSQL: a table `case_search` (case_id, document tsvector) with a GIN
index. The title is indexed twice, through the `danish` configuration (stems,
so "klager" finds "klage", and drops Danish stop words) and through `simple`
(as written, so a stop word or a word the stemmer cuts still matches itself);
names only through `simple`: a name is not a Danish word to stem ("Bæk" and
"Bækkelund" must not meet at a stem), and names hold no stop words. Weights
say which field a lexeme came from for the ranking: title A, parties B,
authority C.

SQLite drops a table's triggers when Alembic's batch mode copies the table:
a later migration that alters `wf_case` that way must create them again.
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

ERASED = "[erased]"  # engine.audit.personal.ERASED: what an erased name reads as


def _names(parties: str, *, authority: bool) -> str:
    """SQLite: the names of the authority (or of the other parties), space-separated."""
    role = "=" if authority else "IS NOT"
    return (
        "(SELECT group_concat(json_extract(p.value, '$.name'), ' ') "
        f"FROM json_each({parties}) AS p "
        f"WHERE json_extract(p.value, '$.role') {role} 'authority' "
        f"AND json_extract(p.value, '$.name') IS NOT '{ERASED}')"
    )


def _sqlite_row(case: str) -> str:
    """SQLite: the index row of case `case` (`new`, or a table alias)."""
    parties = f"{case}.parties"
    return (
        f"{case}.id, {case}.title, {_names(parties, authority=False)}, "
        f"{_names(parties, authority=True)}"
    )


SQLITE_UPGRADE = (
    "CREATE VIRTUAL TABLE case_search USING fts5("
    "title, parties, authority, tokenize = 'unicode61 remove_diacritics 0', "
    "detail = column)",
    "CREATE TRIGGER wf_case_search_insert AFTER INSERT ON wf_case BEGIN "
    "INSERT INTO case_search (rowid, title, parties, authority) "
    f"VALUES ({_sqlite_row('new')}); END",
    "CREATE TRIGGER wf_case_search_update AFTER UPDATE OF title, parties ON wf_case "
    "WHEN old.title IS NOT new.title OR old.parties IS NOT new.parties BEGIN "
    "DELETE FROM case_search WHERE rowid = old.id; "
    "INSERT INTO case_search (rowid, title, parties, authority) "
    f"VALUES ({_sqlite_row('new')}); END",
    "CREATE TRIGGER wf_case_search_delete AFTER DELETE ON wf_case BEGIN "
    "DELETE FROM case_search WHERE rowid = old.id; END",
    "INSERT INTO case_search (rowid, title, parties, authority) "
    f"SELECT {_sqlite_row('c')} FROM wf_case AS c",
)
SQLITE_DOWNGRADE = (
    "DROP TRIGGER wf_case_search_delete",
    "DROP TRIGGER wf_case_search_update",
    "DROP TRIGGER wf_case_search_insert",
    "DROP TABLE case_search",
)


def _pg_names(*, authority: bool) -> str:
    role = "=" if authority else "IS DISTINCT FROM"
    return (
        "coalesce((SELECT string_agg(p ->> 'name', ' ') "
        "FROM jsonb_array_elements(parties) AS p "
        f"WHERE p ->> 'role' {role} 'authority' "
        f"AND p ->> 'name' IS DISTINCT FROM '{ERASED}'), '')"
    )


# CREATE OR REPLACE: the demo's wipe drops the tables but keeps functions.
POSTGRES_UPGRADE = (
    "CREATE TABLE case_search ("
    "case_id BIGINT NOT NULL, document TSVECTOR NOT NULL, "
    "CONSTRAINT pk_case_search PRIMARY KEY (case_id), "
    "CONSTRAINT fk_case_search_case_id_wf_case FOREIGN KEY (case_id) "
    "REFERENCES wf_case (id) ON DELETE CASCADE)",
    "CREATE INDEX ix_case_search_document ON case_search USING gin (document)",
    "CREATE OR REPLACE FUNCTION case_search_document(title TEXT, parties JSONB) "
    "RETURNS tsvector LANGUAGE sql IMMUTABLE AS $$ SELECT "
    "setweight(to_tsvector('danish'::regconfig, title), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, title), 'A') || "
    f"setweight(to_tsvector('simple'::regconfig, {_pg_names(authority=False)}), 'B') "
    f"|| setweight(to_tsvector('simple'::regconfig, {_pg_names(authority=True)}), "
    "'C') $$",
    "CREATE OR REPLACE FUNCTION case_search_keep() RETURNS trigger "
    "LANGUAGE plpgsql AS $$ BEGIN "
    "INSERT INTO case_search (case_id, document) "
    "VALUES (NEW.id, case_search_document(NEW.title, NEW.parties)) "
    "ON CONFLICT (case_id) DO UPDATE SET document = EXCLUDED.document; "
    "RETURN NULL; END $$",
    "CREATE TRIGGER wf_case_search_insert AFTER INSERT ON wf_case "
    "FOR EACH ROW EXECUTE FUNCTION case_search_keep()",
    "CREATE TRIGGER wf_case_search_update AFTER UPDATE OF title, parties ON wf_case "
    "FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title "
    "OR OLD.parties IS DISTINCT FROM NEW.parties) "
    "EXECUTE FUNCTION case_search_keep()",
    "INSERT INTO case_search (case_id, document) "
    "SELECT id, case_search_document(title, parties) FROM wf_case",
)
POSTGRES_DOWNGRADE = (
    "DROP TRIGGER wf_case_search_update ON wf_case",
    "DROP TRIGGER wf_case_search_insert ON wf_case",
    "DROP TABLE case_search",
    "DROP FUNCTION case_search_keep()",
    "DROP FUNCTION case_search_document(TEXT, JSONB)",
)


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRES_UPGRADE if postgres else SQLITE_UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRES_DOWNGRADE if postgres else SQLITE_DOWNGRADE:
        op.execute(statement)
