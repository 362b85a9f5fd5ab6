"""index period version: optimistic locking of the index periods and their figures

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (no batch table copy on SQLite); existing periods start at version 1.
    op.add_column('index_periods',
                  sa.Column('version', sa.Integer(), server_default='1', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('index_periods', schema=None) as batch_op:
        batch_op.drop_column('version')
