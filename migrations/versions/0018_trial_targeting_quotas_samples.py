"""trial targeting, quotas and samples: districts and profile conditions a trial is open to,
quotas of accepted members per segment and/or district, and the members invited from a sample

Revision ID: 0018
Revises: 0017
"""
import sqlalchemy as sa
from alembic import op

import portal.db

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A row per district, as trial_segments: members' lists filter by index. None: every district.
    op.create_table('trial_districts',
    sa.Column('trial_id', sa.Integer(), nullable=False),
    sa.Column('district', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['trial_id'], ['trials.id'], name=op.f('fk_trial_districts_trial_id_trials'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('trial_id', 'district', name=op.f('pk_trial_districts'))
    )
    op.create_index(op.f('ix_trial_districts_district'), 'trial_districts', ['district'], unique=False)
    op.create_table('trial_conditions',
    sa.Column('trial_id', sa.Integer(), nullable=False),
    sa.Column('attribute', sa.String(length=32), nullable=False),
    sa.Column('value', sa.String(length=16), nullable=False),
    sa.CheckConstraint("attribute IN ('handset_os','network_generation','plan_type')", name=op.f('ck_trial_conditions_attribute')),
    sa.ForeignKeyConstraint(['trial_id'], ['trials.id'], name=op.f('fk_trial_conditions_trial_id_trials'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('trial_id', 'attribute', 'value', name=op.f('pk_trial_conditions'))
    )
    op.create_table('trial_quotas',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trial_id', sa.Integer(), nullable=False),
    sa.Column('segment', sa.String(length=16), nullable=True),
    sa.Column('district', sa.String(length=16), nullable=True),
    sa.Column('places', sa.Integer(), nullable=False),
    sa.CheckConstraint('places > 0', name=op.f('ck_trial_quotas_places')),
    sa.CheckConstraint('segment IS NOT NULL OR district IS NOT NULL', name=op.f('ck_trial_quotas_segment_or_district')),
    sa.ForeignKeyConstraint(['trial_id'], ['trials.id'], name=op.f('fk_trial_quotas_trial_id_trials'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trial_quotas'))
    )
    op.create_index('ix_trial_quotas_trial', 'trial_quotas', ['trial_id'], unique=False)
    op.create_table('trial_invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trial_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('invited_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('invited_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['invited_by_id'], ['users.id'], name=op.f('fk_trial_invitations_invited_by_id_users')),
    sa.ForeignKeyConstraint(['member_id'], ['users.id'], name=op.f('fk_trial_invitations_member_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['trial_id'], ['trials.id'], name=op.f('fk_trial_invitations_trial_id_trials'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trial_invitations')),
    sa.UniqueConstraint('trial_id', 'member_id', name=op.f('uq_trial_invitations_trial_id_member_id'))
    )
    # "Invited to any trial in the last 30 days" (a sample leaves them out) reads this index.
    op.create_index('ix_trial_invitations_member_invited', 'trial_invitations', ['member_id', 'invited_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_trial_invitations_member_invited', table_name='trial_invitations')
    op.drop_table('trial_invitations')
    op.drop_index('ix_trial_quotas_trial', table_name='trial_quotas')
    op.drop_table('trial_quotas')
    op.drop_table('trial_conditions')
    op.drop_index(op.f('ix_trial_districts_district'), table_name='trial_districts')
    op.drop_table('trial_districts')
