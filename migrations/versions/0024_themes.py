"""themes: what members are saying, the theme counts of their texts (portal/themes/models.py)

Revision ID: 0024
Revises: 0023

The tables start empty: segmenting every text needs the application (jieba and its
dictionaries), so after upgrading, `flask --app portal rebuild-themes` counts the texts there
are; new ones are counted as they arrive. The trial results page segments the answers that have
no document yet itself.
"""
import sqlalchemy as sa
from alembic import op

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('theme_documents',
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('commitment', sa.String(length=32), nullable=False),
    sa.Column('terms', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('kind', 'source_id', name=op.f('pk_theme_documents')),
    )
    op.create_table('theme_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('commitment', sa.String(length=32), nullable=False),
    sa.Column('term', sa.String(length=32), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'kind', 'commitment', 'term', name=op.f('pk_theme_days')),
    sqlite_with_rowid=False,
    )
    op.create_index('ix_theme_days_commitment', 'theme_days', ['commitment', 'day', 'term', 'n'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_theme_days_commitment', table_name='theme_days')
    op.drop_table('theme_days')
    op.drop_table('theme_documents')
