"""Migration 0009 keeps what was there: sent emails read 'sent', emails the former sender gave
up on read 'failed', the rest wait; members already told of an outcome are not told again."""
from __future__ import annotations

from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

from portal.migrate import alembic_config, upgrade

NOW = "2024-05-01 08:00:00.000000"


def _before_0009(url: str) -> str:
    return ScriptDirectory.from_config(alembic_config(url)).get_revision("0009").down_revision


def test_existing_rows_are_carried_over(tmp_path):
    from portal import create_app
    from portal.db import db, unit_of_work
    from portal.improvements.models import ImprovementItem
    from portal.notifications import services
    from portal.notifications.models import Notification

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    upgrade(url, _before_0009(url))
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO users (id, email, password_hash, name, role, status, created_at) VALUES "
            f"(1, 'm@example.com', 'x', 'M', 'member', 'active', '{NOW}')"))
        conn.execute(text(
            "INSERT INTO submissions (id, kind, member_id, title, description, low_score, status, tags, "
            f"submitted_at, updated_at, version) VALUES (1, 'gap_report', 1, 'Queue', '', 0, 'linked', "
            f"'[]', '{NOW}', '{NOW}', 1)"))
        conn.execute(text(
            "INSERT INTO improvement_items (id, title, description, priority, status, dmaic_phase, "
            f"resolution_note, created_at, updated_at, version) VALUES (1, 'Fix', '', 'normal', 'done', "
            f"'control', 'Done.', '{NOW}', '{NOW}', 1)"))
        conn.execute(text("INSERT INTO submission_items (submission_id, item_id) VALUES (1, 1)"))
        for _ in range(2):  # told twice by a race of the former code: one keeps the key
            conn.execute(text("INSERT INTO notifications (user_id, kind, submission_id, item_id, created_at) "
                              f"VALUES (1, 'item_closed', 1, 1, '{NOW}')"))
        for to, sent_at, attempts in (("sent@x", f"'{NOW}'", 1), ("gave-up@x", "NULL", 5),
                                      ("waits@x", "NULL", 2)):
            conn.execute(text(
                "INSERT INTO outbox_emails (to_address, subject, body, created_at, sent_at, attempts) "
                f"VALUES ('{to}', 's', 'b', '{NOW}', {sent_at}, {attempts})"))
    upgrade(url, "head")
    with engine.connect() as conn:
        statuses = dict(conn.execute(text("SELECT to_address, status FROM outbox_emails")).all())
        keys = [k for (k,) in conn.execute(text("SELECT dedupe_key FROM notifications ORDER BY id"))]
    engine.dispose()
    assert statuses == {"sent@x": "sent", "gave-up@x": "failed", "waits@x": "waiting"}
    assert keys == ["item_closed:1:1", None]

    # The code finds the member told already: the item verified tells them "verified", not again "done".
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "k"})
    with app.app_context():
        with unit_of_work():
            assert services.notify_item_outcome(db.get(ImprovementItem, 1), "done") == 0
            assert services.notify_item_outcome(db.get(ImprovementItem, 1), "verified") == 1
        kinds = [n.kind for n in db.query(Notification).order_by(Notification.id)]
    app.extensions["portal.engine"].dispose()
    assert kinds == ["item_closed", "item_closed", "item_verified"]
