"""supervision line: units, support requests, the routing table, the monthly bulletin

Departments become units: `kind` ('department' or 'district_branch') and the district of a
district branch; a staff user belongs to one unit (users.unit_id); the role 'branch' (district
branch staff) joins the users' role CHECK. Columns are added in place (no table copy on SQLite:
many tables reference users and departments); the role CHECK is widened as migration 0017 widened
the status CHECK.

Revision ID: 0025
Revises: 0024
"""
import sqlalchemy as sa
from alembic import op

import portal.db
from portal import ddl

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None

_OLD_ROLE = "role IN ('member','product','office','admin')"
_NEW_ROLE = "role IN ('member','product','office','admin','branch')"


_SQLITE_KIND = "kind VARCHAR(16) DEFAULT 'department' NOT NULL"
_SQLITE_KIND_CHECK = (" CONSTRAINT ck_departments_kind"
                      " CHECK (kind IN ('department','district_branch'))")
# A table constraint (not inline on the column) so that it is reflected with its name and rule.
_SQLITE_PK = "CONSTRAINT pk_users PRIMARY KEY (id)"
_SQLITE_UNIT_FK = (", \n\tCONSTRAINT fk_users_unit_id_departments FOREIGN KEY(unit_id)"
                   " REFERENCES departments (id) ON DELETE SET NULL")


def _add_units() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite takes ADD COLUMN with an inline CHECK / REFERENCES, not ALTER of constraints.
        op.execute('ALTER TABLE departments ADD COLUMN ' + _SQLITE_KIND + _SQLITE_KIND_CHECK)
        op.execute('ALTER TABLE users ADD COLUMN unit_id INTEGER')
        # Every unit_id is NULL yet: adding the constraint cannot break a row (the "simpler
        # procedure": portal.ddl.sqlite_edit_table).
        ddl.sqlite_edit_table(op.get_bind(), 'users', _SQLITE_PK, _SQLITE_PK + _SQLITE_UNIT_FK)
    else:
        op.add_column('departments', sa.Column(
            'kind', sa.String(length=16), nullable=False, server_default='department'))
        op.create_check_constraint(
            op.f('ck_departments_kind'), 'departments', "kind IN ('department','district_branch')")
        op.add_column('users', sa.Column('unit_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_users_unit_id_departments'), 'users', 'departments',
                              ['unit_id'], ['id'], ondelete='SET NULL')
    op.add_column('departments', sa.Column('district', sa.String(length=16), nullable=True))
    op.create_index(op.f('ix_users_unit_id'), 'users', ['unit_id'], unique=False)


def _create_tables() -> None:
    op.create_table('support_bulletins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('created_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_bulletins')),
    sa.UniqueConstraint('month', name=op.f('uq_support_bulletins_month'))
    )
    op.create_table('support_routing_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=True),
    sa.Column('commitment', sa.String(length=32), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('created_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('category IS NOT NULL OR commitment IS NOT NULL', name=op.f('ck_support_routing_rules_what')),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_support_routing_rules_department_id_departments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_routing_rules')),
    sa.UniqueConstraint('category', 'commitment', name=op.f('uq_support_routing_rules_category_commitment'))
    )
    op.create_table('support_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('commitment', sa.String(length=32), nullable=True),
    sa.Column('urgency', sa.String(length=16), nullable=False),
    sa.Column('case_text', sa.Text(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=True),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('branch_id', sa.Integer(), nullable=False),
    sa.Column('filed_by_id', sa.Integer(), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('routed_by', sa.String(length=8), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('filed_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('routed_at', portal.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('b_due_at', portal.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('office_due_at', portal.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('escalation_level', sa.Integer(), server_default='0', nullable=False),
    sa.Column('accepted_at', portal.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('accepted_by_id', sa.Integer(), nullable=True),
    sa.Column('answered_at', portal.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('send_backs', sa.Integer(), server_default='0', nullable=False),
    sa.Column('confirmed_at', portal.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('closed_at', portal.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('response_minutes', sa.Integer(), nullable=True),
    sa.Column('resolution_minutes', sa.Integer(), nullable=True),
    sa.Column('responded_in_time', sa.Boolean(), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint("status IN ('new','accepted','answered','confirmed','closed')", name=op.f('ck_support_requests_status')),
    sa.CheckConstraint("urgency IN ('urgent','normal')", name=op.f('ck_support_requests_urgency')),
    sa.CheckConstraint('escalation_level BETWEEN 0 AND 2', name=op.f('ck_support_requests_escalation_level')),
    sa.CheckConstraint('rating IS NULL OR rating BETWEEN 1 AND 5', name=op.f('ck_support_requests_rating')),
    sa.ForeignKeyConstraint(['accepted_by_id'], ['users.id'], name=op.f('fk_support_requests_accepted_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['branch_id'], ['departments.id'], name=op.f('fk_support_requests_branch_id_departments')),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_support_requests_department_id_departments')),
    sa.ForeignKeyConstraint(['filed_by_id'], ['users.id'], name=op.f('fk_support_requests_filed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['item_id'], ['improvement_items.id'], name=op.f('fk_support_requests_item_id_improvement_items'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_support_requests_submission_id_submissions'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_requests'))
    )
    op.create_index('ix_support_requests_branch_filed', 'support_requests', ['branch_id', 'filed_at', 'id'], unique=False)
    op.create_index('ix_support_requests_department_filed', 'support_requests', ['department_id', 'filed_at', 'id'], unique=False)
    op.create_index('ix_support_requests_filed_id', 'support_requests', ['filed_at', 'id'], unique=False)
    op.create_index('ix_support_requests_status_b_due', 'support_requests', ['status', 'b_due_at'], unique=False)
    op.create_index('ix_support_requests_status_filed', 'support_requests', ['status', 'filed_at', 'id'], unique=False)
    op.create_index('ix_support_requests_status_office_due', 'support_requests', ['status', 'office_due_at'], unique=False)
    op.create_table('support_attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('content_type', sa.String(length=32), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['support_requests.id'], name=op.f('fk_support_attachments_request_id_support_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_attachments'))
    )
    op.create_index(op.f('ix_support_attachments_request_id'), 'support_attachments', ['request_id'], unique=False)
    op.create_table('support_bulletin_cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bulletin_id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('analysis', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['bulletin_id'], ['support_bulletins.id'], name=op.f('fk_support_bulletin_cases_bulletin_id_support_bulletins'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['request_id'], ['support_requests.id'], name=op.f('fk_support_bulletin_cases_request_id_support_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_bulletin_cases')),
    sa.UniqueConstraint('bulletin_id', 'request_id', name=op.f('uq_support_bulletin_cases_bulletin_id_request_id'))
    )
    op.create_index(op.f('ix_support_bulletin_cases_request_id'), 'support_bulletin_cases', ['request_id'], unique=False)


_NOTIFICATIONS_PK = "CONSTRAINT pk_notifications PRIMARY KEY (id)"
_SQLITE_NOTICE_FK = (", \n\tCONSTRAINT fk_notifications_support_request_id_support_requests"
                     " FOREIGN KEY(support_request_id) REFERENCES support_requests (id)"
                     " ON DELETE CASCADE")


def _notices_about_requests() -> None:
    """notifications.support_request_id: a notice may point at a support request."""
    op.add_column('notifications', sa.Column('support_request_id', sa.Integer(), nullable=True))
    if op.get_bind().dialect.name == 'sqlite':
        ddl.sqlite_edit_table(op.get_bind(), 'notifications', _NOTIFICATIONS_PK, _NOTIFICATIONS_PK + _SQLITE_NOTICE_FK)
    else:
        op.create_foreign_key(
            op.f('fk_notifications_support_request_id_support_requests'), 'notifications',
            'support_requests', ['support_request_id'], ['id'], ondelete='CASCADE')


def upgrade() -> None:
    _add_units()
    ddl.replace_check(op, 'users', 'ck_users_role', _OLD_ROLE, _NEW_ROLE)
    _create_tables()
    _notices_about_requests()


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        ddl.sqlite_edit_table(op.get_bind(), 'notifications', _SQLITE_NOTICE_FK, '')
    else:
        op.drop_constraint(op.f('fk_notifications_support_request_id_support_requests'),
                           'notifications', type_='foreignkey')
    op.execute('ALTER TABLE notifications DROP COLUMN support_request_id')
    op.drop_table('support_bulletin_cases')
    op.drop_table('support_attachments')
    op.drop_table('support_requests')
    op.drop_table('support_routing_rules')
    op.drop_table('support_bulletins')
    # District-branch staff cannot keep a role that no longer exists: they become paused members
    # (an administrator gives them a role again after a re-upgrade).
    op.execute("UPDATE users SET role = 'member', status = 'paused' WHERE role = 'branch'")
    ddl.replace_check(op, 'users', 'ck_users_role', _NEW_ROLE, _OLD_ROLE)
    op.drop_index(op.f('ix_users_unit_id'), table_name='users')
    if op.get_bind().dialect.name == 'sqlite':
        ddl.sqlite_edit_table(op.get_bind(), 'users', _SQLITE_UNIT_FK, '')
        ddl.sqlite_edit_table(op.get_bind(), 'departments', _SQLITE_KIND_CHECK, '')
    else:
        op.drop_constraint(op.f('fk_users_unit_id_departments'), 'users', type_='foreignkey')
        op.drop_constraint(op.f('ck_departments_kind'), 'departments', type_='check')
    op.execute('ALTER TABLE users DROP COLUMN unit_id')
    op.execute('ALTER TABLE departments DROP COLUMN district')
    op.execute('ALTER TABLE departments DROP COLUMN kind')
