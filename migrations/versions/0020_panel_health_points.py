"""panel health and points: the points rules and ledger, each member's last activity and active
months, the members asked per consultation; the health page's counts kept by triggers; indexes for
the health page on member_activity, invitations, evaluations and enrollments

The health page counts 100,000 members and more in a few milliseconds: what it would count row by
row on every view is kept as counts, by database triggers that follow every write to the source
tables (ORM saves, Core bulk inserts, updates of the counted columns, deletes and ON DELETE
CASCADE), as migration 0013 does for the dashboard:
- `panel_member_counts`: users per role, segment, district and status ('' when not given);
- `panel_registration_months`: users per role and Shanghai month of `created_at`;
- `panel_active_month_counts`: rows of `member_active_months` per month.
SQLite has row triggers; PostgreSQL counts per statement over transition tables. A count row goes
when it reaches zero, so each table equals a recount (portal.panel.counts), row for row.

A later migration that rebuilds `users` or `member_active_months` on SQLite (batch mode copies
the table and drops the old one, and its triggers with it) must create these triggers again:
tests/panel/test_counts.py checks they are there at the head.

Revision ID: 0020
Revises: 0019
"""
import sqlalchemy as sa
from alembic import op

import portal.db
from portal import ddl

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

# The points an activity earns until an administrator sets others (/admin/points).
DEFAULT_POINTS = {"evaluation": 10, "opinion": 5, "gap_report": 5, "fix_confirmed": 3}

# --- The counts and their triggers -------------------------------------------------------------
# Each count: its table, the source table, the columns whose change moves a row to another key,
# and its keys as SQL over a source row ("{r}" is the row: NEW. / OLD. on SQLite, nothing over a
# PostgreSQL transition table). A month is Shanghai's (UTC+8 all year, no daylight saving), as
# portal.panel.activity.month_of.

MONTH = {
    "sqlite": "date({r}created_at, '+8 hours', 'start of month')",
    "postgresql": "CAST(date_trunc('month', {r}created_at AT TIME ZONE 'Asia/Shanghai') AS DATE)",
}


def _counts(dialect: str):
    return (
        ("panel_member_counts", "users", ("role", "segment", "district", "status"),
         {"role": "{r}role", "segment": "COALESCE({r}segment, '')",
          "district": "COALESCE({r}district, '')", "status": "{r}status"}),
        ("panel_registration_months", "users", ("role", "created_at"),
         {"role": "{r}role", "month": MONTH[dialect]}),
        ("panel_active_month_counts", "member_active_months", ("month",), {"month": "{r}month"}),
    )


def _create_counts() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table('panel_member_counts',
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('segment', sa.String(length=16), nullable=False),
    sa.Column('district', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('role', 'segment', 'district', 'status', name=op.f('pk_panel_member_counts')),
    sqlite_with_rowid=False,
    )
    op.create_table('panel_registration_months',
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('role', 'month', name=op.f('pk_panel_registration_months')),
    sqlite_with_rowid=False,
    )
    op.create_table('panel_active_month_counts',
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('month', name=op.f('pk_panel_active_month_counts')),
    sqlite_with_rowid=False,
    )
    for count, table, watched, keys in _counts(dialect):
        # Counted from the rows there are, then kept by the triggers (nothing writes in between:
        # the migration runs in one transaction before the site is started again).
        positions = ", ".join(str(n + 1) for n in range(len(keys)))
        op.execute(f"INSERT INTO {count} ({', '.join(keys)}, count) "
                   f"SELECT {', '.join(expr.format(r='') for expr in keys.values())}, count(*) "
                   f"FROM {table} GROUP BY {positions}")
        for statement in ddl.count_triggers(dialect, count, table, keys, watched):
            op.execute(statement)


def _drop_counts() -> None:
    dialect = op.get_bind().dialect.name
    for count, table, _watched, _keys in _counts(dialect):
        for statement in ddl.drop_count_triggers(dialect, count, table):
            op.execute(statement)
    op.drop_table('panel_active_month_counts')
    op.drop_table('panel_registration_months')
    op.drop_table('panel_member_counts')


def upgrade() -> None:
    rules = op.create_table('points_rules',
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('updated_at', portal.db.UTCDateTime(), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_points_rules_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('kind', name=op.f('pk_points_rules'))
    )
    op.bulk_insert(rules, [{"kind": kind, "points": points} for kind, points in DEFAULT_POINTS.items()])
    op.create_table('points_ledger',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('earned_at', portal.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['users.id'], name=op.f('fk_points_ledger_member_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_points_ledger')),
    sa.UniqueConstraint('kind', 'source_id', name=op.f('uq_points_ledger_kind_source_id'))
    )
    op.create_index('ix_points_ledger_member_earned', 'points_ledger', ['member_id', 'earned_at', 'id'], unique=False)
    op.create_table('member_activity',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('last_activity_at', portal.db.UTCDateTime(), nullable=True),
    sa.Column('quiet_since', portal.db.UTCDateTime(), nullable=False),
    sa.Column('last_reengaged_at', portal.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['users.id'], name=op.f('fk_member_activity_member_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('member_id', name=op.f('pk_member_activity'))
    )
    op.create_index('ix_member_activity_quiet', 'member_activity', ['quiet_since', 'member_id'], unique=False)
    op.create_index('ix_member_activity_last', 'member_activity', ['last_activity_at'], unique=False)
    # Every member has a row from the start, quiet since joining; `flask backfill-points` then
    # records their past activities (and moves their last activity).
    op.execute("INSERT INTO member_activity (member_id, quiet_since) "
               "SELECT id, created_at FROM users WHERE role = 'member'")
    op.create_table('member_active_months',
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['users.id'], name=op.f('fk_member_active_months_member_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('month', 'member_id', name=op.f('pk_member_active_months'))
    )
    op.create_table('consultation_reach',
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('eligible', sa.Integer(), nullable=False),
    sa.Column('counted_at', portal.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultations.id'], name=op.f('fk_consultation_reach_consultation_id_consultations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('consultation_id', name=op.f('pk_consultation_reach'))
    )
    # The consultations published before: the members told of each (one notice per member).
    op.execute("INSERT INTO consultation_reach (consultation_id, eligible, counted_at) "
               "SELECT consultation_id, COUNT(*), MIN(created_at) FROM notifications "
               "WHERE kind = 'consultation_open' AND consultation_id IS NOT NULL "
               "GROUP BY consultation_id")
    op.create_index('ix_invitations_created', 'invitations',
                    ['created_at', 'used_at', 'revoked_at', 'expires_at'], unique=False)
    op.create_index('ix_evaluations_trial_status_member', 'evaluations',
                    ['trial_id', 'status', 'member_id'], unique=False)
    op.create_index('ix_enrollments_trial_status_member', 'enrollments',
                    ['trial_id', 'status', 'member_id'], unique=False)
    _create_counts()


def downgrade() -> None:
    _drop_counts()
    op.drop_index('ix_enrollments_trial_status_member', table_name='enrollments')
    op.drop_index('ix_evaluations_trial_status_member', table_name='evaluations')
    op.drop_index('ix_invitations_created', table_name='invitations')
    op.drop_table('consultation_reach')
    op.drop_table('member_active_months')
    op.drop_index('ix_member_activity_last', table_name='member_activity')
    op.drop_index('ix_member_activity_quiet', table_name='member_activity')
    op.drop_table('member_activity')
    op.drop_index('ix_points_ledger_member_earned', table_name='points_ledger')
    op.drop_table('points_ledger')
    op.drop_table('points_rules')
