"""export jobs: large and XLSX exports written to a file by the job queue

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

import portal.db

revision = '0011'
# The chain is ... -> 0009 -> 0010 -> 0011.
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('export_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('list', sa.String(length=32), nullable=False),
    sa.Column('format', sa.String(length=8), nullable=False),
    sa.Column('filters', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('rows_done', sa.Integer(), nullable=False),
    sa.Column('rows_total', sa.Integer(), nullable=True),
    sa.Column('file_name', sa.String(length=120), nullable=True),
    sa.Column('created_at', portal.db.UTCDateTime(), nullable=False),
    sa.Column('finished_at', portal.db.UTCDateTime(), nullable=True),
    sa.Column('expires_at', portal.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_export_jobs_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_export_jobs'))
    )
    op.create_index('ix_export_jobs_user', 'export_jobs', ['user_id', 'id'], unique=False)
    op.create_index('ix_export_jobs_expires', 'export_jobs', ['status', 'expires_at'], unique=False)
    # "Your export is ready" points at its job.
    with op.batch_alter_table('notifications') as batch:
        batch.add_column(sa.Column('export_job_id', sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f('fk_notifications_export_job_id_export_jobs'), 'export_jobs',
                                 ['export_job_id'], ['id'], ondelete='CASCADE')


def downgrade() -> None:
    with op.batch_alter_table('notifications') as batch:
        batch.drop_constraint(op.f('fk_notifications_export_job_id_export_jobs'), type_='foreignkey')
        batch.drop_column('export_job_id')
    op.drop_index('ix_export_jobs_expires', table_name='export_jobs')
    op.drop_index('ix_export_jobs_user', table_name='export_jobs')
    op.drop_table('export_jobs')
