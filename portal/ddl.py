"""Schema SQL that several migrations write: counts kept by triggers, and edits of a table's
stored definition on SQLite.

Migrations import this module (as 0012 imports portal.search): what it emits must stay what
the migrations that use it created, so change it only in ways that keep that SQL meaning the
same.

Counts kept by triggers (`count_triggers`): an aggregate table holds, per key, how many rows of
a source table have it; a row exists only while its count is above zero, so the table always
equals a recount. `keys` maps each key column to its SQL over a source row, "{r}" standing for
the row (NEW. / OLD. on SQLite, nothing over a PostgreSQL transition table). SQLite counts row
by row; PostgreSQL per statement over transition tables (a bulk insert is one upsert), writing
in key order so that two transactions moving rows between the same keys wait for each other
instead of deadlocking.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

EVENTS = ("inserted", "deleted", "updated")


def count_triggers(dialect: str, aggregate: str, table: str, keys: Mapping[str, str],
                   watched: Sequence[str], count: str = "count", name: str | None = None
                   ) -> list[str]:
    """The statements creating the triggers (named `<name>_<event>`, `name` being `aggregate`
    unless given: one aggregate counting several tables needs a name per table) that keep
    `aggregate` counting the rows of `table` per `keys`; `watched`: the columns of `table` whose
    change can move a row to another key."""
    make = _pg_triggers if dialect == "postgresql" else _sqlite_triggers
    return make(aggregate, table, keys, watched, count, name or aggregate)


def drop_count_triggers(dialect: str, aggregate: str, table: str, name: str | None = None
                        ) -> list[str]:
    name = name or aggregate
    if dialect == "postgresql":
        return [statement for what in EVENTS for statement in (
            f"DROP TRIGGER IF EXISTS {name}_{what} ON {table}",
            f"DROP FUNCTION IF EXISTS {name}_{what}()")]
    return [f"DROP TRIGGER IF EXISTS {name}_{what}" for what in EVENTS]


def _sqlite_triggers(aggregate, table, keys, watched, count, name):
    columns = ", ".join(keys)

    def values(row):
        return ", ".join(expr.format(r=f"{row}.") for expr in keys.values())

    def match(row):
        return " AND ".join(f"{k} = {expr.format(r=f'{row}.')}" for k, expr in keys.items())

    add = (f"INSERT INTO {aggregate} ({columns}, {count}) VALUES ({values('NEW')}, 1) "
           f"ON CONFLICT ({columns}) DO UPDATE SET {count} = {count} + 1;")
    remove = (f"UPDATE {aggregate} SET {count} = {count} - 1 WHERE {match('OLD')}; "
              f"DELETE FROM {aggregate} WHERE {match('OLD')} AND {count} <= 0;")
    moved = " OR ".join(f"({expr.format(r='OLD.')}) IS NOT ({expr.format(r='NEW.')})"
                        for expr in keys.values())
    return [
        f"CREATE TRIGGER {name}_inserted AFTER INSERT ON {table} BEGIN {add} END",
        f"CREATE TRIGGER {name}_deleted AFTER DELETE ON {table} BEGIN {remove} END",
        f"CREATE TRIGGER {name}_updated AFTER UPDATE OF {', '.join(watched)} ON {table} "
        f"WHEN {moved} BEGIN {remove} {add} END",
    ]


def _pg_triggers(aggregate, table, keys, _watched, count, name):
    columns = ", ".join(keys)
    select_keys = ", ".join(f"{expr.format(r='')} AS {k}" for k, expr in keys.items())
    upsert = (f"INSERT INTO {aggregate} AS t ({columns}, {count}) SELECT {columns}, n FROM delta "
              f"ORDER BY {columns} "
              f"ON CONFLICT ({columns}) DO UPDATE SET {count} = t.{count} + EXCLUDED.{count};")
    join = " AND ".join(f"t.{k} = g.{k}" for k in keys)
    drop_zero = (f"DELETE FROM {aggregate} AS t USING (SELECT DISTINCT {select_keys} FROM old_rows) "
                 f"AS g WHERE {join} AND t.{count} <= 0;")
    bodies = {
        "inserted": (f"WITH delta AS (SELECT {select_keys}, count(*) AS n FROM new_rows "
                     f"GROUP BY {columns}) {upsert}"),
        "deleted": (f"WITH delta AS (SELECT {select_keys}, -count(*) AS n FROM old_rows "
                    f"GROUP BY {columns}) {upsert} {drop_zero}"),
        # Every UPDATE statement comes here (a transition table allows no column list); rows
        # whose keys did not change cancel out and leave nothing to write.
        "updated": (f"WITH delta AS (SELECT {columns}, sum(n) AS n FROM ("
                    f"SELECT {select_keys}, -1 AS n FROM old_rows UNION ALL "
                    f"SELECT {select_keys}, 1 AS n FROM new_rows) AS moved "
                    f"GROUP BY {columns} HAVING sum(n) <> 0) {upsert} {drop_zero}"),
    }
    referencing = {"inserted": "NEW TABLE AS new_rows", "deleted": "OLD TABLE AS old_rows",
                   "updated": "OLD TABLE AS old_rows NEW TABLE AS new_rows"}
    event = {"inserted": "INSERT", "deleted": "DELETE", "updated": "UPDATE"}
    statements = []
    for what, body in bodies.items():
        statements += [
            f"CREATE FUNCTION {name}_{what}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {body} RETURN NULL; END $$",
            f"CREATE TRIGGER {name}_{what} AFTER {event[what]} ON {table} "
            f"REFERENCING {referencing[what]} FOR EACH STATEMENT EXECUTE FUNCTION {name}_{what}()",
        ]
    return statements


def sqlite_edit_table(bind, table: str, old: str, new: str) -> None:
    """Replace `old` by `new` in `table`'s stored CREATE TABLE text on SQLite.

    SQLite cannot alter a constraint, and batch mode would copy the table: dropping the original
    with foreign keys on (portal.db turns them on; the PRAGMA is ignored inside the migration's
    transaction) deletes or refuses every row pointing at it. For a change that no existing row
    can break (a CHECK widened, a constraint added on a column still all NULL, one taken out),
    SQLite's documented "simpler procedure" edits the stored text
    (https://sqlite.org/lang_altertable.html#otheralter)."""
    version = bind.exec_driver_sql('PRAGMA schema_version').scalar()
    bind.exec_driver_sql('PRAGMA writable_schema=ON')
    bind.exec_driver_sql(
        "UPDATE sqlite_master SET sql = replace(sql, ?, ?) WHERE type = 'table' AND name = ?",
        (old, new, table))
    bind.exec_driver_sql(f'PRAGMA schema_version={int(version) + 1}')
    bind.exec_driver_sql('PRAGMA writable_schema=OFF')


def replace_check(op, table: str, name: str, old: str, new: str) -> None:
    """Make the CHECK `name` of `table` read `new` instead of `old` (alembic's `op`): in place
    on PostgreSQL, by editing the stored table text on SQLite (see `sqlite_edit_table`)."""
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        sqlite_edit_table(bind, table, old, new)
        return
    op.drop_constraint(op.f(name), table, type_='check')
    op.create_check_constraint(op.f(name), table, new)
