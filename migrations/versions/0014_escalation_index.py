"""escalation index: the open items whose B contact is still to be told they are overdue

The supervision board escalates on every view; it read every overdue item to find the few not
yet told for their current due date. This partial index holds only the items still to tell (a
told item leaves it, a new due date brings it back), so that query reads nothing when nobody is
to be told. The predicate is portal.improvements.models.escalation_pending(), written out here
as it stands today; the query repeats it, or the database does not use the index.

Revision ID: 0014
Revises: 0013
"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
# The chain is ... -> 0012 (search index) -> 0013 (dashboard aggregates) -> 0014.
down_revision = '0013'
branch_labels = None
depends_on = None

NAME = 'ix_improvement_items_escalation'
# The UTC instant the due date starts in Shanghai (UTC+8 all year since 1991): SQLite stores UTC
# datetimes as 'YYYY-MM-DD HH:MM:SS.ffffff' text, which compares with datetime()'s text in order.
SQLITE_WHERE = ("department_id IS NOT NULL AND (overdue_notified_at IS NULL "
                "OR overdue_notified_at < datetime(due_on, '-8 hours'))")
POSTGRESQL_WHERE = ("department_id IS NOT NULL AND (overdue_notified_at IS NULL "
                    "OR overdue_notified_at < (CAST(due_on AS TIMESTAMP) AT TIME ZONE 'Asia/Shanghai'))")


def upgrade() -> None:
    op.create_index(NAME, 'improvement_items', ['status', 'due_on'],
                    sqlite_where=sa.text(SQLITE_WHERE), postgresql_where=sa.text(POSTGRESQL_WHERE))


def downgrade() -> None:
    op.drop_index(NAME, table_name='improvement_items')
