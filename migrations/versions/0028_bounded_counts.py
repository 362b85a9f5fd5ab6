"""bounded counts: the inbox's totals, the member home's counts and its waiting questions

Three tables kept by triggers, so that two hot pages read a few rows whatever the data:
- inbox_totals: submissions per kind, status, trial, consultation and assignee
  (portal.ddl.count_triggers on submissions): the inbox's count with no filter, or with only the
  kind, status, trial or assignee;
- member_counts: per member, their enrollments, evaluations, gap reports and opinions
  (count_triggers on each of the four tables): the member home's numbers;
- fix_questions: the "Is it fixed for you?" questions waiting (an item done, linked to a member's
  submission, not answered since it became done), kept by row triggers on the items' status and
  closed_at, on their links and on the answers (portal.improvements.confirmations.FixQuestion).
Each is filled from the rows already there. And indexes: on users (role, status, name), the staff
lists; on the assignee facets, the assignee and each other filter leading a covering index.

A migration that rebuilds submissions, improvement_items, submission_items or fix_confirmations
(SQLite batch mode) must create these triggers again.

Revision ID: 0028
Revises: 0027
"""
import sqlalchemy as sa
from alembic import op

import portal.db
from portal import ddl

revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None

COVERED = ("status", "segment", "district", "channel", "commitment", "severity", "trial_id")
TOTAL_KEYS = {"kind": "coalesce({r}kind, '')", "status": "coalesce({r}status, '')",
              "trial_id": "coalesce({r}trial_id, 0)",
              "consultation_id": "coalesce({r}consultation_id, 0)",
              "assignee_id": "coalesce({r}assignee_id, 0)"}
# member_counts' kind -> the table it counts
COUNTED = {"enrollment": "enrollments", "evaluation": "evaluations",
           "gap_report": "service_gap_reports", "opinion": "opinions"}

# A question waits when its item is done, its submission has a member and no answer was given
# since the item became done (portal.improvements.confirmations._answer_is_current).
_UNANSWERED = ("NOT EXISTS (SELECT 1 FROM fix_confirmations f WHERE f.item_id = {item}.id "
               "AND f.submission_id = s.id AND {item}.closed_at IS NOT NULL "
               "AND f.answered_at >= {item}.closed_at)")
_QUESTIONS = ("SELECT i.id, s.id, s.member_id, i.closed_at FROM improvement_items i "
              "JOIN submission_items si ON si.item_id = i.id "
              "JOIN submissions s ON s.id = si.submission_id "
              "WHERE i.status = 'done' AND s.member_id IS NOT NULL AND "
              + _UNANSWERED.format(item="i"))
_COLUMNS = "fix_questions (item_id, submission_id, member_id, closed_at)"

# name -> (event, table, condition (SQLite WHEN), body); NEW / OLD as in both dialects.
_QUESTION_TRIGGERS = {
    # An item's status or closed_at changed: its questions are asked afresh (or no more).
    "fix_questions_item": (
        "UPDATE OF status, closed_at", "improvement_items",
        "OLD.status IS NOT NEW.status OR OLD.closed_at IS NOT NEW.closed_at",
        "DELETE FROM fix_questions WHERE item_id = NEW.id; "
        f"INSERT INTO {_COLUMNS} SELECT NEW.id, s.id, s.member_id, NEW.closed_at "
        "FROM submission_items si JOIN submissions s ON s.id = si.submission_id "
        "WHERE si.item_id = NEW.id AND NEW.status = 'done' AND s.member_id IS NOT NULL AND "
        + _UNANSWERED.format(item="NEW") + ";"),
    # A submission linked to an item already done: asked at once.
    "fix_questions_linked": (
        "INSERT", "submission_items", None,
        f"INSERT INTO {_COLUMNS} SELECT i.id, s.id, s.member_id, i.closed_at "
        "FROM improvement_items i, submissions s WHERE i.id = NEW.item_id "
        "AND s.id = NEW.submission_id AND i.status = 'done' AND s.member_id IS NOT NULL AND "
        + _UNANSWERED.format(item="i") + " ON CONFLICT DO NOTHING;"),
    "fix_questions_unlinked": (
        "DELETE", "submission_items", None,
        "DELETE FROM fix_questions WHERE item_id = OLD.item_id "
        "AND submission_id = OLD.submission_id;"),
    # An answer given (or changed: later still) since the item became done.
    "fix_questions_answered": (
        "INSERT", "fix_confirmations", None,
        "DELETE FROM fix_questions WHERE item_id = NEW.item_id "
        "AND submission_id = NEW.submission_id AND NEW.answered_at >= closed_at;"),
    "fix_questions_answer_changed": (
        "UPDATE OF answered_at", "fix_confirmations", None,
        "DELETE FROM fix_questions WHERE item_id = NEW.item_id "
        "AND submission_id = NEW.submission_id AND NEW.answered_at >= closed_at;"),
    "fix_questions_member": (
        "UPDATE OF member_id", "submissions", "OLD.member_id IS NOT NEW.member_id",
        "UPDATE fix_questions SET member_id = NEW.member_id WHERE submission_id = NEW.id; "
        "DELETE FROM fix_questions WHERE submission_id = NEW.id AND NEW.member_id IS NULL;"),
}


# PostgreSQL: a link or an answer written while another transaction changes its item's status
# would each read the other's state from before it committed (a link takes only a key-share lock
# on the item, which a status update does not wait for), and the question would be missed or
# left behind. These triggers first share-lock the item, so the two take turns and the second
# reads what the first committed. (SQLite has one writer at a time.)
_LOCKS_ITEM = {"fix_questions_linked": "NEW", "fix_questions_unlinked": "OLD",
               "fix_questions_answered": "NEW", "fix_questions_answer_changed": "NEW"}


def _question_triggers(dialect: str) -> list[str]:
    out = []
    for name, (event, table, when, body) in _QUESTION_TRIGGERS.items():
        if dialect == "postgresql":
            returned = "OLD" if event == "DELETE" else "NEW"
            guard = f"IF {when.replace(' IS NOT ', ' IS DISTINCT FROM ')} THEN " if when else ""
            row = _LOCKS_ITEM.get(name)
            lock = (f"PERFORM 1 FROM improvement_items WHERE id = {row}.item_id FOR SHARE; "
                    if row else "")
            out += [
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"{lock}{guard}{body}{' END IF;' if when else ''} RETURN {returned}; END $$",
                f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW "
                f"EXECUTE FUNCTION {name}()",
            ]
        else:
            condition = f" WHEN {when}" if when else ""
            out.append(f"CREATE TRIGGER {name} AFTER {event} ON {table}{condition} "
                       f"BEGIN {body} END")
    return out


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_index('ix_users_role_status_name', 'users', ['role', 'status', 'name'], unique=False)

    # The assignee facets: the assignee and one more filter lead each covering index.
    facet_keys = ("kind", "status", "segment", "district", "channel", "commitment", "severity",
                  "trial_id", "consultation_id")
    for column in COVERED:
        op.create_index(f'ix_inbox_assignee_facets_{column}', 'inbox_assignee_facets',
                        ['assignee_id', column, *(k for k in facet_keys if k != column), 'n'],
                        unique=False)

    op.create_table('inbox_totals',
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('trial_id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('kind', 'status', 'trial_id', 'consultation_id', 'assignee_id',
                            name=op.f('pk_inbox_totals')),
    sqlite_with_rowid=False
    )
    values = ", ".join(expr.format(r="") for expr in TOTAL_KEYS.values())
    # Counted from the rows there are, then kept by the triggers (the migration runs in one
    # transaction before the site starts again: nothing writes in between).
    op.execute(f"INSERT INTO inbox_totals ({', '.join(TOTAL_KEYS)}, n) "
               f"SELECT {values}, count(*) FROM submissions GROUP BY {values}")
    for statement in ddl.count_triggers(dialect, "inbox_totals", "submissions", TOTAL_KEYS,
                                        tuple(TOTAL_KEYS), count="n"):
        op.execute(statement)

    op.create_table('member_counts',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('member_id', 'kind', name=op.f('pk_member_counts')),
    sqlite_with_rowid=False
    )
    for kind, table in COUNTED.items():
        keys = {"member_id": "coalesce({r}member_id, 0)", "kind": f"'{kind}'"}
        op.execute(f"INSERT INTO member_counts (member_id, kind, count) "
                   f"SELECT coalesce(member_id, 0), '{kind}', count(*) FROM {table} "
                   f"GROUP BY coalesce(member_id, 0)")
        for statement in ddl.count_triggers(dialect, "member_counts", table, keys, ("member_id",),
                                            name=f"member_counts_{table}"):
            op.execute(statement)

    op.create_table('fix_questions',
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('closed_at', portal.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['item_id'], ['improvement_items.id'], name=op.f('fk_fix_questions_item_id_improvement_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_fix_questions_submission_id_submissions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('item_id', 'submission_id', name=op.f('pk_fix_questions'))
    )
    op.create_index('ix_fix_questions_member', 'fix_questions',
                    ['member_id', 'closed_at', 'item_id', 'submission_id'], unique=False)
    op.execute(f"INSERT INTO {_COLUMNS} {_QUESTIONS}")
    for statement in _question_triggers(dialect):
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for name, (_event, table, _when, _body) in _QUESTION_TRIGGERS.items():
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_index('ix_fix_questions_member', table_name='fix_questions')
    op.drop_table('fix_questions')
    for table in COUNTED.values():
        for statement in ddl.drop_count_triggers(dialect, "member_counts", table,
                                                 name=f"member_counts_{table}"):
            op.execute(statement)
    op.drop_table('member_counts')
    for statement in ddl.drop_count_triggers(dialect, "inbox_totals", "submissions"):
        op.execute(statement)
    op.drop_table('inbox_totals')
    for column in COVERED:
        op.drop_index(f'ix_inbox_assignee_facets_{column}', table_name='inbox_assignee_facets')
    op.drop_index('ix_users_role_status_name', table_name='users')
