"""trial owners and versions: a trial's owning team; version counters against lost updates

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa
import portal.db


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

# The tables whose edit forms now carry the version they were opened at.
VERSIONED = ('trials', 'questions', 'consultations', 'departments')


def upgrade() -> None:
    op.create_table('trial_owners',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trial_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.Column('added_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['added_by_id'], ['users.id'], name=op.f('fk_trial_owners_added_by_id_users')),
    sa.ForeignKeyConstraint(['trial_id'], ['trials.id'], name=op.f('fk_trial_owners_trial_id_trials'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_trial_owners_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trial_owners')),
    sa.UniqueConstraint('trial_id', 'user_id', name=op.f('uq_trial_owners_trial_id_user_id'))
    )
    op.create_index('ix_trial_owners_user_trial', 'trial_owners', ['user_id', 'trial_id'], unique=False)
    # Each existing trial is owned by the one who created it, as before.
    op.execute(
        "INSERT INTO trial_owners (trial_id, user_id, added_by_id, added_at) "
        "SELECT id, created_by_id, created_by_id, created_at FROM trials WHERE created_by_id IS NOT NULL"
    )
    # Plain add_column with a server default: safe on SQLite without batch mode (no table copy);
    # every existing row starts at version 1.
    for table in VERSIONED:
        op.add_column(table, sa.Column('version', sa.Integer(), server_default='1', nullable=False))


def downgrade() -> None:
    # Not batch mode: it would copy tables others reference (SQLite 3.35+ drops a column in place).
    for table in reversed(VERSIONED):
        op.drop_column(table, 'version')
    op.drop_index('ix_trial_owners_user_trial', table_name='trial_owners')
    op.drop_table('trial_owners')
