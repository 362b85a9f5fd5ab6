"""responsibility letters, service stars, classic cases: responsibility_letters, letter_targets,
letter_key_tasks, measure_entries (figures typed in by the office), service_stars,
service_star_records, classic_cases

Revision ID: 0026
Revises: 0025
"""
import sqlalchemy as sa
from alembic import op

import portal.db

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('responsibility_letters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('unit_head', sa.String(length=100), nullable=False),
    sa.Column('signed_off_at', portal.db.UTCDateTime(), nullable=True),
    sa.Column('signed_off_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', portal.db.UTCDateTime(), nullable=False),
    sa.Column('updated_at', portal.db.UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('draft','signed_off')", name=op.f('ck_responsibility_letters_status')),
    sa.ForeignKeyConstraint(['signed_off_by_id'], ['users.id'], name=op.f('fk_responsibility_letters_signed_off_by_id_users')),
    sa.ForeignKeyConstraint(['unit_id'], ['departments.id'], name=op.f('fk_responsibility_letters_unit_id_departments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_responsibility_letters')),
    sa.UniqueConstraint('unit_id', 'year', name='ux_responsibility_letters_unit_year')
    )
    op.create_index('ix_responsibility_letters_year', 'responsibility_letters', ['year', 'unit_id'], unique=False)
    op.create_table('letter_targets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('letter_id', sa.Integer(), nullable=False),
    sa.Column('measure', sa.String(length=40), nullable=False),
    sa.Column('target', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['letter_id'], ['responsibility_letters.id'], name=op.f('fk_letter_targets_letter_id_responsibility_letters'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_letter_targets')),
    sa.UniqueConstraint('letter_id', 'measure', name='ux_letter_targets_measure')
    )
    op.create_table('letter_key_tasks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('letter_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('done_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['letter_id'], ['responsibility_letters.id'], name=op.f('fk_letter_key_tasks_letter_id_responsibility_letters'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_letter_key_tasks'))
    )
    op.create_index(op.f('ix_letter_key_tasks_letter_id'), 'letter_key_tasks', ['letter_id'], unique=False)
    op.create_table('measure_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('measure', sa.String(length=40), nullable=False),
    sa.Column('period', sa.String(length=8), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('month', sa.Integer(), nullable=True),
    sa.Column('quarter', sa.Integer(), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('entered_by_id', sa.Integer(), nullable=True),
    sa.Column('entered_at', portal.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['entered_by_id'], ['users.id'], name=op.f('fk_measure_entries_entered_by_id_users')),
    sa.ForeignKeyConstraint(['unit_id'], ['departments.id'], name=op.f('fk_measure_entries_unit_id_departments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_measure_entries')),
    sa.UniqueConstraint('unit_id', 'measure', 'period', name='ux_measure_entries_unit_period')
    )
    op.create_index('ix_measure_entries_year', 'measure_entries', ['year', 'measure', 'unit_id'], unique=False)
    op.create_table('service_stars',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('citation', sa.Text(), nullable=False),
    sa.Column('nominated_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', portal.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['nominated_by_id'], ['users.id'], name=op.f('fk_service_stars_nominated_by_id_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_service_stars_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_stars')),
    sa.UniqueConstraint('user_id', 'year', name='ux_service_stars_user_year')
    )
    op.create_index('ix_service_stars_year', 'service_stars', ['year', 'id'], unique=False)
    op.create_table('service_star_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('star_id', sa.Integer(), nullable=False),
    sa.Column('record_kind', sa.String(length=16), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("record_kind IN ('item','support_request')", name=op.f('ck_service_star_records_record_kind')),
    sa.ForeignKeyConstraint(['star_id'], ['service_stars.id'], name=op.f('fk_service_star_records_star_id_service_stars'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_star_records')),
    sa.UniqueConstraint('star_id', 'record_kind', 'record_id', name='ux_service_star_records')
    )
    op.create_table('classic_cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_kind', sa.String(length=16), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('commitment', sa.String(length=32), nullable=True),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('lesson', sa.Text(), nullable=False),
    sa.Column('marked_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', portal.db.UTCDateTime(), nullable=False),
    sa.CheckConstraint("record_kind IN ('item','support_request')", name=op.f('ck_classic_cases_record_kind')),
    sa.ForeignKeyConstraint(['marked_by_id'], ['users.id'], name=op.f('fk_classic_cases_marked_by_id_users')),
    sa.ForeignKeyConstraint(['unit_id'], ['departments.id'], name=op.f('fk_classic_cases_unit_id_departments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_classic_cases')),
    sa.UniqueConstraint('record_kind', 'record_id', name='ux_classic_cases_record')
    )
    op.create_index('ix_classic_cases_commitment', 'classic_cases', ['commitment', 'id'], unique=False)
    op.create_index('ix_classic_cases_unit', 'classic_cases', ['unit_id', 'id'], unique=False)
    op.create_index('ix_classic_cases_year', 'classic_cases', ['year', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_classic_cases_year', table_name='classic_cases')
    op.drop_index('ix_classic_cases_unit', table_name='classic_cases')
    op.drop_index('ix_classic_cases_commitment', table_name='classic_cases')
    op.drop_table('classic_cases')
    op.drop_table('service_star_records')
    op.drop_index('ix_service_stars_year', table_name='service_stars')
    op.drop_table('service_stars')
    op.drop_index('ix_measure_entries_year', table_name='measure_entries')
    op.drop_table('measure_entries')
    op.drop_index(op.f('ix_letter_key_tasks_letter_id'), table_name='letter_key_tasks')
    op.drop_table('letter_key_tasks')
    op.drop_table('letter_targets')
    op.drop_index('ix_responsibility_letters_year', table_name='responsibility_letters')
    op.drop_table('responsibility_letters')
