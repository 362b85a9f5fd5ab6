"""members confirm fixes: a member's answer to "Is it fixed for you?" per improvement item and
submission (yes / not yet, a 1-5 rating of how it was handled, a comment), with the indexes of
the item's answers and counts, the inbox's "not fixed for the member" filter and the member's
own answers

Revision ID: 0021
Revises: 0020
"""
import sqlalchemy as sa
from alembic import op

import portal.db

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('fix_confirmations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('fixed', sa.Boolean(), nullable=False),
    sa.Column('rating', sa.SmallInteger(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('created_at', portal.db.UTCDateTime(), nullable=False),
    sa.Column('answered_at', portal.db.UTCDateTime(), nullable=False),
    sa.CheckConstraint('rating BETWEEN 1 AND 5', name=op.f('ck_fix_confirmations_rating')),
    sa.ForeignKeyConstraint(['item_id'], ['improvement_items.id'],
                            name=op.f('fk_fix_confirmations_item_id_improvement_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['users.id'], name=op.f('fk_fix_confirmations_member_id_users')),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'],
                            name=op.f('fk_fix_confirmations_submission_id_submissions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fix_confirmations')),
    sa.UniqueConstraint('item_id', 'submission_id', name='ux_fix_confirmations_item_submission')
    )
    op.create_index('ix_fix_confirmations_item', 'fix_confirmations',
                    ['item_id', 'fixed', 'answered_at', 'rating'], unique=False)
    op.create_index('ix_fix_confirmations_not_fixed', 'fix_confirmations', ['fixed', 'submission_id'],
                    unique=False)
    op.create_index(op.f('ix_fix_confirmations_member_id'), 'fix_confirmations', ['member_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_fix_confirmations_member_id'), table_name='fix_confirmations')
    op.drop_index('ix_fix_confirmations_not_fixed', table_name='fix_confirmations')
    op.drop_index('ix_fix_confirmations_item', table_name='fix_confirmations')
    op.drop_table('fix_confirmations')
