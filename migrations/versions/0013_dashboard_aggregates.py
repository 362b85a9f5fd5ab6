"""dashboard aggregates: submissions and gap reports counted per Shanghai day, kept by triggers

The office dashboard read every submission (and gap report) of its window per view; it now sums
these day rows. Database triggers keep them in step with every write to the source tables: ORM
saves, Core bulk inserts, updates of the counted columns, deletes and ON DELETE CASCADE. SQLite
has row triggers only; PostgreSQL counts per statement over transition tables, so a bulk
insert adds one upsert per day touched, not one per row. A day is Shanghai's (UTC+8, no
daylight saving): the same bucketing as portal.db.shanghai_date.

A later migration that rebuilds submissions or service_gap_reports on SQLite (batch mode copies
the table and drops the old one, and its triggers with it) must create these triggers again;
tests/dashboards/test_aggregates.py checks they are there at the head.

Revision ID: 0013
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
# The chain is ... -> 0011 -> 0012 (search index) -> 0013.
down_revision = '0012'
branch_labels = None
depends_on = None

# --- SQLite: one trigger per event and table, row by row ---------------------------------------

SQLITE_DAY = "date({}, '+8 hours')"


def _sqlite_triggers(table, prefix, aggregate, time_column, keys):
    """INSERT / DELETE / UPDATE triggers of `table` that keep `aggregate` (day, *keys, count)."""
    columns = ", ".join(["day", *keys])

    def match(row):
        return " AND ".join([f"day = {SQLITE_DAY.format(f'{row}.{time_column}')}",
                             *(f"{k} = {row}.{k}" for k in keys)])

    add = (f"INSERT INTO {aggregate} ({columns}, count) VALUES "
           f"({SQLITE_DAY.format(f'NEW.{time_column}')}, {', '.join(f'NEW.{k}' for k in keys)}, 1) "
           f"ON CONFLICT ({columns}) DO UPDATE SET count = count + 1;")
    # A day row goes when its count reaches zero, so the table always equals a recount.
    remove = (f"UPDATE {aggregate} SET count = count - 1 WHERE {match('OLD')}; "
              f"DELETE FROM {aggregate} WHERE {match('OLD')} AND count <= 0;")
    moved = " OR ".join([
        f"{SQLITE_DAY.format(f'OLD.{time_column}')} IS NOT {SQLITE_DAY.format(f'NEW.{time_column}')}",
        *(f"OLD.{k} IS NOT NEW.{k}" for k in keys)])
    return [
        f"CREATE TRIGGER {prefix}_inserted AFTER INSERT ON {table} BEGIN {add} END",
        f"CREATE TRIGGER {prefix}_deleted AFTER DELETE ON {table} BEGIN {remove} END",
        f"CREATE TRIGGER {prefix}_updated AFTER UPDATE OF {time_column}, {', '.join(keys)} "
        f"ON {table} WHEN {moved} BEGIN {remove} {add} END",
    ]


# --- PostgreSQL: statement triggers over transition tables -------------------------------------

PG_DAY = "CAST(({} AT TIME ZONE 'Asia/Shanghai') AS DATE)"


def _pg_triggers(table, prefix, aggregate, time_column, keys):
    columns = ", ".join(["day", *keys])
    day = PG_DAY.format(time_column)
    select_keys = f"{day} AS day, {', '.join(keys)}"
    upsert = (f"INSERT INTO {aggregate} AS t ({columns}, count) SELECT {columns}, n FROM delta "
              f"ON CONFLICT ({columns}) DO UPDATE SET count = t.count + EXCLUDED.count;")
    join = " AND ".join(f"t.{c} = g.{c}" for c in ["day", *keys])
    drop_zero = (f"DELETE FROM {aggregate} AS t USING (SELECT DISTINCT {select_keys} FROM old_rows) "
                 f"AS g WHERE {join} AND t.count <= 0;")
    bodies = {
        "inserted": (f"WITH delta AS (SELECT {select_keys}, count(*) AS n FROM new_rows "
                     f"GROUP BY {columns}) {upsert}"),
        "deleted": (f"WITH delta AS (SELECT {select_keys}, -count(*) AS n FROM old_rows "
                    f"GROUP BY {columns}) {upsert} {drop_zero}"),
        # Every UPDATE statement comes here (a transition table allows no column list); rows
        # whose day and keys did not change cancel out and leave nothing to write.
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
            f"CREATE TRIGGER {prefix}_{what} AFTER {event[what]} ON {table} "
            f"REFERENCING {referencing[what]} FOR EACH STATEMENT EXECUTE FUNCTION {prefix}_{what}()",
        ]
    return statements


SOURCES = (
    # table, trigger prefix, aggregate, time column, keys
    ("submissions", "dash_submissions", "dash_submission_days", "submitted_at", ("kind",)),
    ("service_gap_reports", "dash_gap_reports", "dash_gap_report_days", "created_at",
     ("district", "commitment")),
)


def upgrade() -> None:
    op.create_table('dash_submission_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'kind', name=op.f('pk_dash_submission_days')),
    sqlite_with_rowid=False,
    )
    op.create_table('dash_gap_report_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('district', sa.String(length=16), nullable=False),
    sa.Column('commitment', sa.String(length=32), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'district', 'commitment', name=op.f('pk_dash_gap_report_days')),
    sqlite_with_rowid=False,
    )
    postgresql = op.get_bind().dialect.name == "postgresql"
    day_of = PG_DAY if postgresql else SQLITE_DAY
    for table, prefix, aggregate, time_column, keys in SOURCES:
        columns = ", ".join(["day", *keys])
        # Counted from the rows there are, then kept by the triggers (nothing writes in between:
        # the migration runs in one transaction before the site is started again).
        op.execute(f"INSERT INTO {aggregate} ({columns}, count) "
                   f"SELECT {day_of.format(time_column)} AS day, {', '.join(keys)}, count(*) "
                   f"FROM {table} GROUP BY {columns}")
        make = _pg_triggers if postgresql else _sqlite_triggers
        for statement in make(table, prefix, aggregate, time_column, keys):
            op.execute(statement)


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table, prefix, _aggregate, _time, _keys in SOURCES:
        for what in ("inserted", "deleted", "updated"):
            if postgresql:
                op.execute(f"DROP TRIGGER IF EXISTS {prefix}_{what} ON {table}")
                op.execute(f"DROP FUNCTION IF EXISTS {prefix}_{what}()")
            else:
                op.execute(f"DROP TRIGGER IF EXISTS {prefix}_{what}")
    op.drop_table('dash_gap_report_days')
    op.drop_table('dash_submission_days')
