"""adaptive questionnaires: show-if rules and English text of questions

A question may carry a show-if rule (an earlier question of the same trial, an operator and the
values compared) and an optional English prompt, help text and options. Plain columns added in
place (no table copy on SQLite: answers reference questions); the rule's question is a plain id,
kept consistent by the questionnaire builder (portal.trials.questionnaire).

Revision ID: 0023
Revises: 0022
"""
import sqlalchemy as sa
from alembic import op

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

COLUMNS = (
    ('prompt_en', lambda: sa.Column('prompt_en', sa.String(length=500), server_default='', nullable=False)),
    ('help_text_en', lambda: sa.Column('help_text_en', sa.String(length=500), server_default='', nullable=False)),
    ('options_en', lambda: sa.Column('options_en', sa.JSON(), nullable=True)),
    ('show_if_question_id', lambda: sa.Column('show_if_question_id', sa.Integer(), nullable=True)),
    ('show_if_operator', lambda: sa.Column('show_if_operator', sa.String(length=8), nullable=True)),
    ('show_if_values', lambda: sa.Column('show_if_values', sa.JSON(), nullable=True)),
)


def upgrade() -> None:
    # Plain add_column (nullable or with a server default): no batch copy of the table.
    for _name, column in COLUMNS:
        op.add_column('questions', column())


def downgrade() -> None:
    # Not batch mode: it would copy a table others reference (SQLite 3.35+ drops a column in place).
    for name, _column in reversed(COLUMNS):
        op.drop_column('questions', name)
