"""The store's tables and their versioned migrations.

Migrations run in one transaction under a transaction-scoped advisory lock, so replicas that start
together never race to create the same table; ``anops_schema`` records each applied version. Records
and objects are append-only: a trigger refuses ``UPDATE``, ``DELETE`` and ``TRUNCATE`` for every role
that has not disabled it (an owner or superuser can, which is why verification, not the trigger, is
the evidence), and ``grant_writer`` gives a writer role only ``INSERT`` and ``SELECT`` on them.
"""

from __future__ import annotations

from typing import Any

from psycopg import sql

# the advisory lock key: any 64-bit number that no other application of the database uses
MIGRATION_LOCK = 0x616E6F7073  # "anops"

MIGRATIONS: tuple[tuple[int, str, str], ...] = (
    (1, "records, heads and objects; append-only triggers", """
CREATE TABLE anops_records (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    stream      text   NOT NULL,
    seq         bigint NOT NULL,
    hash        text   NOT NULL,
    prev_hash   text,
    kind        text   NOT NULL,
    time        text   NOT NULL,
    decision_id text,
    request_id  text,
    line        text   NOT NULL,
    UNIQUE (stream, seq)
);
CREATE UNIQUE INDEX anops_records_request ON anops_records (stream, request_id) WHERE request_id IS NOT NULL;
CREATE INDEX anops_records_decision ON anops_records (decision_id);
CREATE TABLE anops_heads (
    stream     text   PRIMARY KEY,
    seq        bigint NOT NULL,
    hash       text,
    signature  text,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE anops_objects (
    address text  PRIMARY KEY,
    data    bytea NOT NULL
);
CREATE FUNCTION anops_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'anops-policy decision store: % on % is refused: records are append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER anops_records_append_only BEFORE UPDATE OR DELETE ON anops_records
    FOR EACH ROW EXECUTE FUNCTION anops_refuse_change();
CREATE TRIGGER anops_records_no_truncate BEFORE TRUNCATE ON anops_records
    FOR EACH STATEMENT EXECUTE FUNCTION anops_refuse_change();
CREATE TRIGGER anops_objects_append_only BEFORE UPDATE OR DELETE ON anops_objects
    FOR EACH ROW EXECUTE FUNCTION anops_refuse_change();
CREATE TRIGGER anops_objects_no_truncate BEFORE TRUNCATE ON anops_objects
    FOR EACH STATEMENT EXECUTE FUNCTION anops_refuse_change();
"""),
)
LATEST = MIGRATIONS[-1][0]


def current_version(conn: Any) -> int | None:
    """The applied schema version, or None when the store has no schema yet."""
    row = conn.execute("SELECT to_regclass('anops_schema') IS NOT NULL").fetchone()
    if not row or not row[0]:
        return None
    found = conn.execute("SELECT max(version) FROM anops_schema").fetchone()
    return int(found[0]) if found and found[0] is not None else 0


def migrate(conn: Any) -> list[str]:
    """Apply the missing migrations (in the caller's transaction); what was applied."""
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
    conn.execute("CREATE TABLE IF NOT EXISTS anops_schema (version integer PRIMARY KEY, description text NOT NULL, "
                 "applied_at timestamptz NOT NULL DEFAULT now())")
    version = current_version(conn) or 0
    done = []
    for number, description, ddl in MIGRATIONS:
        if number > version:
            conn.execute(ddl)
            conn.execute("INSERT INTO anops_schema (version, description) VALUES (%s, %s)", (number, description))
            done.append(f"schema version {number}: {description}")
    return done


def grant_writer(conn: Any, role: str) -> list[str]:
    """What the documented deployment gives the role every writer (eval, serve) connects as."""
    who = sql.Identifier(role)
    statements = [
        sql.SQL("REVOKE ALL ON anops_records, anops_objects, anops_heads, anops_schema FROM {}").format(who),
        sql.SQL("GRANT SELECT, INSERT ON anops_records, anops_objects TO {}").format(who),
        sql.SQL("GRANT SELECT, INSERT, UPDATE ON anops_heads TO {}").format(who),
        sql.SQL("GRANT SELECT ON anops_schema TO {}").format(who),
    ]
    for statement in statements:
        conn.execute(statement)
    return [f"role {role}: SELECT and INSERT on records and objects (no UPDATE, DELETE or TRUNCATE), "
            "SELECT, INSERT and UPDATE on heads"]
