"""inbox filter indexes in the list's order: (column, submitted_at, id) for each equality filter

Revision ID: 0015
Revises: 0014
"""
from alembic import op

revision = '0015'
# The chain is ... -> 0013 (dashboard aggregates) -> 0014 (escalation index) -> 0015.
down_revision = '0014'
branch_labels = None
depends_on = None

COLUMNS = ("segment", "district", "channel", "commitment", "severity", "trial_id", "assignee_id")


def upgrade() -> None:
    for column in COLUMNS:
        op.drop_index(f'ix_submissions_{column}', table_name='submissions')
        op.create_index(f'ix_submissions_{column}_submitted', 'submissions',
                        [column, 'submitted_at', 'id'], unique=False)


def downgrade() -> None:
    for column in COLUMNS:
        op.drop_index(f'ix_submissions_{column}_submitted', table_name='submissions')
        op.create_index(f'ix_submissions_{column}', 'submissions', [column], unique=False)
