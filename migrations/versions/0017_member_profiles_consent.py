"""member profiles and consent: member_profiles, privacy_notices, consent_records; a user may
be 'deleted' (the account erased by its member, the row kept without personal data)

Revision ID: 0017
Revises: 0016
"""
import sqlalchemy as sa
from alembic import op

import portal.db
from portal import ddl

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

_OLD_STATUS = "status IN ('active','paused')"
_NEW_STATUS = "status IN ('active','paused','deleted')"


def upgrade() -> None:
    op.create_table('member_profiles',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('plan_type', sa.String(length=16), nullable=True),
    sa.Column('handset_brand', sa.String(length=40), nullable=True),
    sa.Column('handset_model', sa.String(length=80), nullable=True),
    sa.Column('handset_os', sa.String(length=16), nullable=True),
    sa.Column('network_generation', sa.String(length=8), nullable=True),
    sa.Column('years_with_operator', sa.Integer(), nullable=True),
    sa.Column('broadband_package', sa.String(length=16), nullable=True),
    sa.Column('broadband_speed_mbps', sa.Integer(), nullable=True),
    sa.Column('iptv', sa.Boolean(), nullable=True),
    sa.Column('household_size', sa.Integer(), nullable=True),
    sa.Column('industry', sa.String(length=16), nullable=True),
    sa.Column('company_size', sa.String(length=16), nullable=True),
    sa.Column('services_used', sa.JSON(), nullable=False),
    sa.Column('completed_at', portal.db.UTCDateTime(), nullable=True),
    sa.Column('updated_at', portal.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['users.id'], name=op.f('fk_member_profiles_member_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('member_id', name=op.f('pk_member_profiles'))
    )
    op.create_index(op.f('ix_member_profiles_handset_os'), 'member_profiles', ['handset_os'], unique=False)
    op.create_index(op.f('ix_member_profiles_network_generation'), 'member_profiles', ['network_generation'], unique=False)
    op.create_index(op.f('ix_member_profiles_plan_type'), 'member_profiles', ['plan_type'], unique=False)

    op.create_table('privacy_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.String(length=20), nullable=False),
    sa.Column('published_at', portal.db.UTCDateTime(), nullable=False),
    sa.Column('text_zh', sa.Text(), nullable=False),
    sa.Column('text_en', sa.Text(), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_privacy_notices_published_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_privacy_notices')),
    sa.UniqueConstraint('version', name=op.f('uq_privacy_notices_version'))
    )
    op.create_index(op.f('ix_privacy_notices_published_at'), 'privacy_notices', ['published_at'], unique=False)

    op.create_table('consent_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=False),
    sa.Column('accepted_at', portal.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['notice_id'], ['privacy_notices.id'], name=op.f('fk_consent_records_notice_id_privacy_notices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_consent_records_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_records'))
    )
    op.create_index('ix_consent_records_user_notice', 'consent_records', ['user_id', 'notice_id'], unique=True)

    ddl.replace_check(op, 'users', 'ck_users_status', _OLD_STATUS, _NEW_STATUS)


def downgrade() -> None:
    # Erased accounts cannot become active again: they stay out of sign-in as 'paused'.
    op.execute("UPDATE users SET status = 'paused' WHERE status = 'deleted'")
    ddl.replace_check(op, 'users', 'ck_users_status', _NEW_STATUS, _OLD_STATUS)
    op.drop_index('ix_consent_records_user_notice', table_name='consent_records')
    op.drop_table('consent_records')
    op.drop_index(op.f('ix_privacy_notices_published_at'), table_name='privacy_notices')
    op.drop_table('privacy_notices')
    op.drop_index(op.f('ix_member_profiles_plan_type'), table_name='member_profiles')
    op.drop_index(op.f('ix_member_profiles_network_generation'), table_name='member_profiles')
    op.drop_index(op.f('ix_member_profiles_handset_os'), table_name='member_profiles')
    op.drop_table('member_profiles')
