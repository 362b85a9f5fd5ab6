"""session generation: sessions and remember cookies can be ended

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain add_column with a server default: safe on SQLite without batch mode (no table copy).
    op.add_column('users', sa.Column('session_generation', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    # Not batch mode: it would copy the users table, which others reference (SQLite 3.35+ drops
    # a column in place).
    op.drop_column('users', 'session_generation')
