"""inbox facet counts: submissions per combination of the inbox's equality filters, kept by
triggers (see portal.triage.models, "The inbox's counts, by facet")

The triggers are portal.ddl.count_triggers (SQLite row by row, PostgreSQL per statement over
transition tables). A missing value is counted under '' (text) or 0 (numbers), as the key columns
cannot be NULL.
A migration that rebuilds `submissions` (SQLite batch mode) must create these triggers again.

Revision ID: 0016
Revises: 0015
"""
import sqlalchemy as sa
from alembic import op

from portal import ddl

revision = '0016'
# The chain is ... -> 0014 (escalation index) -> 0015 (filter indexes) -> 0016.
down_revision = '0015'
branch_labels = None
depends_on = None

TEXT_KEYS = ("kind", "status", "segment", "district", "channel", "commitment")
NUMBER_KEYS = ("severity", "trial_id", "consultation_id")
KEYS = TEXT_KEYS + NUMBER_KEYS
COVERED = ("status", "segment", "district", "channel", "commitment", "severity", "trial_id")
# facet table (and its triggers' prefix), its keys (in primary-key order)
FACETS = (
    ("inbox_facets", KEYS),
    ("inbox_assignee_facets", ("assignee_id", *KEYS)),
)


def _keys(keys: tuple[str, ...]) -> dict[str, str]:
    """Each key as SQL over a source row ("{r}", see portal.ddl): a missing value as '' or 0."""
    return {k: "coalesce({r}%s, %s)" % (k, "''" if k in TEXT_KEYS else "0") for k in keys}


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
    for facets, keys in FACETS:
        op.create_table(facets, *_key_columns(keys), sa.Column('n', sa.Integer(), nullable=False),
                        sa.PrimaryKeyConstraint(*keys, name=op.f(f'pk_{facets}')),
                        sqlite_with_rowid=False)
    for column in COVERED:
        op.create_index(f'ix_inbox_facets_{column}', 'inbox_facets',
                        [column, *(k for k in KEYS if k != column), 'n'], unique=False)
    dialect = op.get_bind().dialect.name
    for facets, keys in FACETS:
        values = ", ".join(expr.format(r="") for expr in _keys(keys).values())
        # Counted from the rows there are, then kept by the triggers (the migration runs in one
        # transaction before the site starts again: nothing writes in between).
        op.execute(f"INSERT INTO {facets} ({', '.join(keys)}, n) "
                   f"SELECT {values}, count(*) FROM submissions GROUP BY {values}")
        for statement in ddl.count_triggers(dialect, facets, "submissions", _keys(keys), keys,
                                            count="n"):
            op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for facets, _keys in FACETS:
        for statement in ddl.drop_count_triggers(dialect, facets, "submissions"):
            op.execute(statement)
        op.drop_table(facets)
