"""plan_rows(query): PostgreSQL's estimate of a query's rows, for counts past the cap; a
covering index for the dashboard

A list counts its rows no further than 10,000 (portal.pagination.COUNT_CAP). On PostgreSQL a
search for a word in one row of six still reads some 60,000 rows to reach that cap (30-45 ms at a
million submissions), since no index can count a substring exactly. The planner's estimate costs
a plan, not a read: `portal.pagination.count_rows` asks for it in the same statement as the
capped count, and reads the rows only when the estimate is small. A function because EXPLAIN
is a statement of its own, not an expression. Nothing on SQLite.

ix_dash_gap_report_days_cells (district, commitment, day, count): the dashboard's matrix sums
each cell's last 90 days in one range of it, in cell order; through the primary key (day first)
it sorted 8,600 rows of a million reports' days (7 ms on SQLite; 2.8 ms now).

Revision ID: 0029
Revises: 0028
"""
from alembic import op

revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None

# EXPLAIN plans the query and runs none of it (PostgreSQL allows it in a VOLATILE function
# only). The query is a SELECT the application compiled from a statement, its values written in
# by SQLAlchemy's literal rendering (never a user's text spliced in); anything else, or a query
# the planner refuses, gets no estimate (NULL), and the caller counts.
_PLAN_ROWS = """
CREATE FUNCTION plan_rows(query text) RETURNS bigint LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    plan json;
BEGIN
    IF query !~* '^\\s*select\\s' THEN
        RETURN NULL;
    END IF;
    EXECUTE 'EXPLAIN (FORMAT JSON) ' || query INTO plan;
    RETURN (plan -> 0 -> 'Plan' ->> 'Plan Rows')::numeric::bigint;
EXCEPTION WHEN others THEN
    RETURN NULL;  -- a query the planner refuses: no estimate, and the caller counts
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(_PLAN_ROWS)
    op.create_index('ix_dash_gap_report_days_cells', 'dash_gap_report_days',
                    ['district', 'commitment', 'day', 'count'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_dash_gap_report_days_cells', table_name='dash_gap_report_days')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP FUNCTION plan_rows(text)')
