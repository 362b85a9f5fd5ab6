"""terminal and SIM logistics: one shipment per accepted enrollment (what was sent, the member's
confirmed address, dispatch, receipt, return and its condition, the last overdue reminder)

Revision ID: 0019
Revises: 0018
"""
import sqlalchemy as sa
from alembic import op

import portal.db

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('trial_shipments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enrollment_id', sa.Integer(), nullable=False),
    sa.Column('trial_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('terminal_model', sa.String(length=100), nullable=False),
    sa.Column('serial_number', sa.String(length=64), nullable=False),
    sa.Column('imei', sa.String(length=15), nullable=False),
    sa.Column('iccid', sa.String(length=20), nullable=False),
    sa.Column('address', sa.Text(), nullable=False),
    sa.Column('address_confirmed_at', portal.db.UTCDateTime(), nullable=True),
    sa.Column('dispatched_on', sa.Date(), nullable=True),
    sa.Column('received_on', sa.Date(), nullable=True),
    sa.Column('return_due_on', sa.Date(), nullable=True),
    sa.Column('returned_on', sa.Date(), nullable=True),
    sa.Column('return_condition', sa.String(length=16), nullable=True),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('last_reminded_at', portal.db.UTCDateTime(), nullable=True),
    sa.Column('created_at', portal.db.UTCDateTime(), nullable=False),
    sa.Column('updated_at', portal.db.UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint("kind IN ('terminal','sim','both')", name=op.f('ck_trial_shipments_kind')),
    sa.CheckConstraint("return_condition IS NULL OR return_condition IN "
                       "('good','worn','damaged','missing_parts','not_returned')",
                       name=op.f('ck_trial_shipments_return_condition')),
    sa.ForeignKeyConstraint(['enrollment_id'], ['enrollments.id'],
                            name=op.f('fk_trial_shipments_enrollment_id_enrollments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['users.id'], name=op.f('fk_trial_shipments_member_id_users')),
    sa.ForeignKeyConstraint(['trial_id'], ['trials.id'], name=op.f('fk_trial_shipments_trial_id_trials'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trial_shipments')),
    sa.UniqueConstraint('enrollment_id', name=op.f('uq_trial_shipments_enrollment_id'))
    )
    op.create_index(op.f('ix_trial_shipments_member_id'), 'trial_shipments', ['member_id'], unique=False)
    # The list of a trial by terminal model, and its overdue filter.
    op.create_index('ix_trial_shipments_trial_model', 'trial_shipments', ['trial_id', 'terminal_model'],
                    unique=False)
    op.create_index('ix_trial_shipments_trial_due', 'trial_shipments',
                    ['trial_id', 'returned_on', 'return_due_on'], unique=False)
    # The supervision board and the daily reminder: not returned, by return date.
    op.create_index('ix_trial_shipments_returned_due', 'trial_shipments', ['returned_on', 'return_due_on'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_trial_shipments_returned_due', table_name='trial_shipments')
    op.drop_index('ix_trial_shipments_trial_due', table_name='trial_shipments')
    op.drop_index('ix_trial_shipments_trial_model', table_name='trial_shipments')
    op.drop_index(op.f('ix_trial_shipments_member_id'), table_name='trial_shipments')
    op.drop_table('trial_shipments')
