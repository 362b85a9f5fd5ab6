"""lifecycle notices, outbox retries, email preferences

Notifications point at trials and consultations too and carry a key that makes a moment told
once; the outbox keeps a status, the next attempt's time and an HTML part; each user's email
choices per topic of notices.

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa
import portal.db


revision = '0009'
# The chain of this round is 0004 -> ... -> 0008 -> 0009. While the migrations of the other
# changes are being written this points at the newest one present (see the report).
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('notification_preferences',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('topic', sa.String(length=32), nullable=False),
    sa.Column('email', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notification_preferences_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'topic', name=op.f('pk_notification_preferences'))
    )

    # Nothing refers to notifications or outbox_emails, so SQLite's copy-and-rename of batch
    # mode is safe here even with foreign keys on.
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('trial_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('consultation_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('dedupe_key', sa.String(length=120), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_notifications_trial_id_trials'), 'trials', ['trial_id'], ['id'], ondelete='CASCADE')
        batch_op.create_foreign_key(batch_op.f('fk_notifications_consultation_id_consultations'), 'consultations', ['consultation_id'], ['id'], ondelete='CASCADE')
        batch_op.create_index('ix_notifications_user_created', ['user_id', 'created_at', 'id'], unique=False)

    # Members already told of an outcome are not told again: their notices get the key the
    # code now writes (one per submission and item; the oldest if there were two).
    op.execute(
        "UPDATE notifications SET dedupe_key = 'item_closed:' || CAST(item_id AS VARCHAR(20)) || ':' "
        "|| CAST(submission_id AS VARCHAR(20)) "
        "WHERE kind = 'item_closed' AND item_id IS NOT NULL AND submission_id IS NOT NULL "
        "AND id IN (SELECT MIN(id) FROM notifications WHERE kind = 'item_closed' "
        "GROUP BY user_id, item_id, submission_id)"
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ux_notifications_user_dedupe', ['user_id', 'dedupe_key'], unique=True)

    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.add_column(sa.Column('html_body', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('status', sa.String(length=16), server_default='waiting', nullable=False))
        batch_op.add_column(sa.Column('next_attempt_at', portal.db.UTCDateTime(timezone=True), nullable=True))
    op.execute("UPDATE outbox_emails SET status = 'sent' WHERE sent_at IS NOT NULL")
    # The former sender gave up after 5 attempts.
    op.execute("UPDATE outbox_emails SET status = 'failed' WHERE sent_at IS NULL AND attempts >= 5")
    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.create_check_constraint(op.f('ck_outbox_emails_status'),
                                         "status IN ('waiting','sending','sent','failed')")
        batch_op.drop_index('ix_outbox_emails_sent_id')
        batch_op.create_index('ix_outbox_emails_status_id', ['status', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_emails_status_id')
        batch_op.create_index('ix_outbox_emails_sent_id', ['sent_at', 'id'], unique=False)
        batch_op.drop_constraint(op.f('ck_outbox_emails_status'), type_='check')
        batch_op.drop_column('next_attempt_at')
        batch_op.drop_column('status')
        batch_op.drop_column('html_body')

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ux_notifications_user_dedupe')
        batch_op.drop_index('ix_notifications_user_created')
        batch_op.drop_constraint(batch_op.f('fk_notifications_consultation_id_consultations'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_notifications_trial_id_trials'), type_='foreignkey')
        batch_op.drop_column('dedupe_key')
        batch_op.drop_column('consultation_id')
        batch_op.drop_column('trial_id')

    op.drop_table('notification_preferences')
