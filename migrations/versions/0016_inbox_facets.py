"""inbox facet counts: submissions per combination of the inbox's equality filters, kept by
triggers (see portal.triage.models, "The inbox's counts, by facet")

As in 0013: SQLite keeps them row by row, PostgreSQL per statement over transition tables. A
missing value is counted under '' (text) or 0 (numbers), as the key columns cannot be NULL.
A migration that rebuilds `submissions` (SQLite batch mode) must create these triggers again.

Revision ID: 0016
Revises: 0015
"""
from alembic import op
import sqlalchemy as sa

revision = '0016'
# The chain is ... -> 0014 (escalation index) -> 0015 (filter indexes) -> 0016.
down_revision = '0015'
branch_labels = None
depends_on = None

TEXT_KEYS = ("kind", "status", "segment", "district", "channel", "commitment")
NUMBER_KEYS = ("severity", "trial_id", "consultation_id")
KEYS = TEXT_KEYS + NUMBER_KEYS
COVERED = ("status", "segment", "district", "channel", "commitment", "severity", "trial_id")
# facet table, trigger prefix, its keys (in primary-key order)
FACETS = (
    ("inbox_facets", "inbox_facets", KEYS),
    ("inbox_assignee_facets", "inbox_assignee_facets", ("assignee_id", *KEYS)),
)


def _value(row: str, key: str) -> str:
    missing = "''" if key in TEXT_KEYS else "0"
    return f"coalesce({row}{key}, {missing})"


# --- SQLite: row by row ------------------------------------------------------------------------

def _sqlite_triggers(facets: str, prefix: str, keys: tuple[str, ...]) -> list[str]:
    columns = ", ".join(keys)
    match = " AND ".join(f"{k} = {_value('OLD.', k)}" for k in keys)
    add = (f"INSERT INTO {facets} ({columns}, n) VALUES "
           f"({', '.join(_value('NEW.', k) for k in keys)}, 1) "
           f"ON CONFLICT ({columns}) DO UPDATE SET n = n + 1;")
    # A combination's row goes when it counts nothing, so the table always equals a recount.
    remove = (f"UPDATE {facets} SET n = n - 1 WHERE {match}; "
              f"DELETE FROM {facets} WHERE {match} AND n <= 0;")
    moved = " OR ".join(f"OLD.{k} IS NOT NEW.{k}" for k in keys)
    return [
        f"CREATE TRIGGER {prefix}_inserted AFTER INSERT ON submissions BEGIN {add} END",
        f"CREATE TRIGGER {prefix}_deleted AFTER DELETE ON submissions BEGIN {remove} END",
        f"CREATE TRIGGER {prefix}_updated AFTER UPDATE OF {columns} ON submissions "
        f"WHEN {moved} BEGIN {remove} {add} END",
    ]


# --- PostgreSQL: per statement -----------------------------------------------------------------

def _pg_triggers(facets: str, prefix: str, keys: tuple[str, ...]) -> list[str]:
    columns = ", ".join(keys)
    select_keys = ", ".join(f"{_value('', k)} AS {k}" for k in keys)
    # In key order: two transactions moving rows between the same combinations lock their
    # counter rows in the same order, so they wait for each other instead of deadlocking.
    upsert = (f"INSERT INTO {facets} AS t ({columns}, n) SELECT {columns}, n FROM delta "
              f"ORDER BY {columns} "
              f"ON CONFLICT ({columns}) DO UPDATE SET n = t.n + EXCLUDED.n;")
    join = " AND ".join(f"t.{k} = g.{k}" for k in keys)
    drop_zero = (f"DELETE FROM {facets} AS t USING (SELECT DISTINCT {select_keys} FROM old_rows) "
                 f"AS g WHERE {join} AND t.n <= 0;")
    bodies = {
        "inserted": (f"WITH delta AS (SELECT {select_keys}, count(*) AS n FROM new_rows "
                     f"GROUP BY {columns}) {upsert}"),
        "deleted": (f"WITH delta AS (SELECT {select_keys}, -count(*) AS n FROM old_rows "
                    f"GROUP BY {columns}) {upsert} {drop_zero}"),
        # Rows whose keys did not change cancel out and leave nothing to write.
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
            f"CREATE FUNCTION {prefix}_{what}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {body} RETURN NULL; END $$",
            f"CREATE TRIGGER {prefix}_{what} AFTER {event[what]} ON submissions "
            f"REFERENCING {referencing[what]} FOR EACH STATEMENT EXECUTE FUNCTION {prefix}_{what}()",
        ]
    return statements


def _key_columns(keys: tuple[str, ...]) -> list[sa.Column]:
    sizes = {"kind": 16, "status": 16, "segment": 16, "district": 16, "channel": 32, "commitment": 32}
    out = []
    for key in keys:
        if key in sizes:
            out.append(sa.Column(key, sa.String(length=sizes[key]), nullable=False))
        else:
            kind = sa.SmallInteger() if key == "severity" else sa.Integer()
            out.append(sa.Column(key, kind, nullable=False))
    return out


def upgrade() -> None:
    for facets, _prefix, keys in FACETS:
        op.create_table(facets, *_key_columns(keys), sa.Column('n', sa.Integer(), nullable=False),
                        sa.PrimaryKeyConstraint(*keys, name=op.f(f'pk_{facets}')),
                        sqlite_with_rowid=False)
    for column in COVERED:
        op.create_index(f'ix_inbox_facets_{column}', 'inbox_facets',
                        [column, *(k for k in KEYS if k != column), 'n'], unique=False)
    postgresql = op.get_bind().dialect.name == "postgresql"
    make = _pg_triggers if postgresql else _sqlite_triggers
    for facets, prefix, keys in FACETS:
        # Counted from the rows there are, then kept by the triggers (the migration runs in one
        # transaction before the site starts again: nothing writes in between).
        op.execute(f"INSERT INTO {facets} ({', '.join(keys)}, n) "
                   f"SELECT {', '.join(_value('', k) for k in keys)}, count(*) FROM submissions "
                   f"GROUP BY {', '.join(_value('', k) for k in keys)}")
        for statement in make(facets, prefix, keys):
            op.execute(statement)


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for facets, prefix, _keys in FACETS:
        for what in ("inserted", "deleted", "updated"):
            if postgresql:
                op.execute(f"DROP TRIGGER IF EXISTS {prefix}_{what} ON submissions")
                op.execute(f"DROP FUNCTION IF EXISTS {prefix}_{what}()")
            else:
                op.execute(f"DROP TRIGGER IF EXISTS {prefix}_{what}")
        op.drop_table(facets)
