"""supervision bulletin: draft / published bulletins, the three parts of a case's analysis

support_bulletins gains its status ('draft' or 'published'), who published it and when, and a
version (edits against lost updates); support_bulletin_cases gain the root cause and what was
changed (`analysis` keeps what went wrong) and a version. Columns are added in place: on SQLite
with the CHECK inline (ADD COLUMN takes it) and the foreign key written into the stored
CREATE TABLE text (as 0025 does), not by a batch copy, which would
drop support_bulletins under its cases' foreign key.

Revision ID: 0027
Revises: 0026
"""
import sqlalchemy as sa
from alembic import op

import portal.db
from portal import ddl

revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None

_STATUS_CHECK = "status IN ('draft','published')"
_SQLITE_STATUS = ("status VARCHAR(16) DEFAULT 'draft' NOT NULL"
                  f" CONSTRAINT ck_support_bulletins_status CHECK ({_STATUS_CHECK})")
# A table constraint (not inline on the column) so that it is reflected with its name and rule.
_SQLITE_PK = "CONSTRAINT pk_support_bulletins PRIMARY KEY (id)"
_SQLITE_PUBLISHED_BY_FK = (", \n\tCONSTRAINT fk_support_bulletins_published_by_id_users"
                           " FOREIGN KEY(published_by_id) REFERENCES users (id) ON DELETE SET NULL")


def _sqlite() -> bool:
    return op.get_bind().dialect.name == 'sqlite'


def upgrade() -> None:
    if _sqlite():
        op.execute('ALTER TABLE support_bulletins ADD COLUMN ' + _SQLITE_STATUS)
        op.execute('ALTER TABLE support_bulletins ADD COLUMN published_by_id INTEGER')
        # Every published_by_id is NULL yet: adding the constraint to the stored text cannot break
        # a row (as 0025 adds users.unit_id's).
        ddl.sqlite_edit_table(op.get_bind(), 'support_bulletins', _SQLITE_PK, _SQLITE_PK + _SQLITE_PUBLISHED_BY_FK)
    else:
        op.add_column('support_bulletins', sa.Column(
            'status', sa.String(length=16), server_default='draft', nullable=False))
        op.create_check_constraint(op.f('ck_support_bulletins_status'), 'support_bulletins',
                                   _STATUS_CHECK)
        op.add_column('support_bulletins', sa.Column('published_by_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_support_bulletins_published_by_id_users'), 'support_bulletins',
                              'users', ['published_by_id'], ['id'], ondelete='SET NULL')
    op.add_column('support_bulletins', sa.Column(
        'published_at', portal.db.UTCDateTime(timezone=True), nullable=True))
    op.add_column('support_bulletins', sa.Column(
        'version', sa.Integer(), server_default='1', nullable=False))
    op.create_index('ix_support_bulletins_status_month', 'support_bulletins', ['status', 'month'],
                    unique=False)
    op.add_column('support_bulletin_cases', sa.Column(
        'root_cause', sa.Text(), server_default='', nullable=False))
    op.add_column('support_bulletin_cases', sa.Column(
        'changes_made', sa.Text(), server_default='', nullable=False))
    op.add_column('support_bulletin_cases', sa.Column(
        'version', sa.Integer(), server_default='1', nullable=False))


def downgrade() -> None:
    op.drop_column('support_bulletin_cases', 'version')
    op.drop_column('support_bulletin_cases', 'changes_made')
    op.drop_column('support_bulletin_cases', 'root_cause')
    op.drop_index('ix_support_bulletins_status_month', table_name='support_bulletins')
    op.drop_column('support_bulletins', 'version')
    op.drop_column('support_bulletins', 'published_at')
    if _sqlite():
        # SQLite's native DROP COLUMN refuses a column in a constraint: take the inline
        # constraint out of the stored CREATE TABLE text first (as 0025 does).
        ddl.sqlite_edit_table(op.get_bind(), 'support_bulletins', _SQLITE_PUBLISHED_BY_FK, '')
        ddl.sqlite_edit_table(op.get_bind(), 'support_bulletins', _SQLITE_STATUS,
                             "status VARCHAR(16) DEFAULT 'draft' NOT NULL")
        op.execute('ALTER TABLE support_bulletins DROP COLUMN published_by_id')
        op.execute('ALTER TABLE support_bulletins DROP COLUMN status')
    else:
        op.drop_constraint(op.f('fk_support_bulletins_published_by_id_users'), 'support_bulletins',
                           type_='foreignkey')
        op.drop_column('support_bulletins', 'published_by_id')
        op.drop_constraint(op.f('ck_support_bulletins_status'), 'support_bulletins', type_='check')
        op.drop_column('support_bulletins', 'status')
