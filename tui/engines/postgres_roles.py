"""Which PostgreSQL roles folio will serve through.

A role that is superuser, or a member of a role that reads or writes server files or runs
programs, gives every key holder's SQL those powers whatever folio's read-only mode does, so
``folio serve`` refuses it unless the operator asked for writes (``--allow-writes``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg

#: built-in roles whose members can read or write any server file or run programs
SERVER_ROLES = ("pg_read_server_files", "pg_write_server_files", "pg_execute_server_program")

READ_ONLY_ROLE_SQL = """\
CREATE ROLE folio_reader LOGIN PASSWORD '…' NOSUPERUSER NOCREATEDB NOCREATEROLE;
GRANT CONNECT ON DATABASE mydb TO folio_reader;
GRANT USAGE ON SCHEMA public TO folio_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO folio_reader;
-- or, on PostgreSQL 14 and later, every table of every schema: GRANT pg_read_all_data TO folio_reader;"""


def role_powers(conn: psycopg.Connection[Any]) -> list[str]:
    """What the connected role can do beyond SQL on tables: ``superuser`` and the
    :data:`SERVER_ROLES` it is a member of (directly or through other roles)."""
    row = conn.execute(
        "SELECT r.rolsuper, ARRAY(SELECT s.rolname::text FROM pg_roles s"
        " WHERE s.rolname = ANY(%s) AND pg_has_role(current_user, s.oid, 'MEMBER') ORDER BY 1)"
        " FROM pg_roles r WHERE r.rolname = current_user",
        [list(SERVER_ROLES)],
    ).fetchone()
    conn.rollback()
    if row is None:
        return []
    return (["superuser"] if row[0] else []) + list(row[1] or [])


def refusal(user: str, powers: Sequence[str]) -> str:
    """Why folio will not serve through this role, and how to make one it will."""
    roles = [p for p in powers if p != "superuser"]
    what = "a superuser" if "superuser" in powers else "a member of " + ", ".join(roles)
    return (
        f"refusing to serve PostgreSQL as {user}: it is {what}, so any key holder's SQL could "
        "read or write the server's files or run programs on it (pg_read_file, COPY … TO PROGRAM), whatever "
        "folio's read-only mode does. Connect as a role that can only read, e.g.\n"
        + READ_ONLY_ROLE_SQL
        + "\nor start folio with --allow-writes to give SQL this role's rights on purpose."
    )
