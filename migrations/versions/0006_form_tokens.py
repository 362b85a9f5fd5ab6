"""form tokens: one-time tokens of create forms (a repeated send shows the first result)

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa
import portal.db


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('form_tokens',
    sa.Column('token', sa.String(length=43), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('result_location', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('token', name=op.f('pk_form_tokens'))
    )
    op.create_index('ix_form_tokens_created_at', 'form_tokens', ['created_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_form_tokens_created_at', table_name='form_tokens')
    op.drop_table('form_tokens')
