"""similar reports: no schema change (kept so the chain stays as numbered): similar reports and
items are found through the search index of 0012 (portal/similarity.py)

Revision ID: 0022
Revises: 0021
"""

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
