"""The audit log: staff actions write their entries, the admin page lists and filters them and
offers no way to change them."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.accounts.models import Invitation, User
from portal.audit.models import AuditEntry
from tests.accounts.test_members import count_queries
from tests.conftest import XSS_PAYLOADS, login
from tests.factories import make_user


def entries(dbs) -> list[AuditEntry]:
    dbs.expire_all()
    return dbs.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()


def add_entry(dbs, actor=None, action="update", object_type="item", object_id=1, before=None,
              after=None, created_at=None) -> AuditEntry:
    entry = AuditEntry(actor_id=actor.id if actor else None, action=action, object_type=object_type,
                       object_id=object_id, before=before, after=after,
                       created_at=created_at or datetime.now(UTC))
    dbs.add(entry)
    dbs.commit()
    return entry


# --- staff actions write their entries --------------------------------------------------------------

def test_pause_and_resume_member_are_recorded(office_client, dbs, member, office_user):
    office_client.post(f"/staff/members/{member.id}/pause")
    office_client.post(f"/staff/members/{member.id}/resume")
    paused, resumed = entries(dbs)
    assert (paused.actor_id, paused.action, paused.object_type, paused.object_id) == \
        (office_user.id, "pause", "user", member.id)
    assert paused.before == {"status": "active"} and paused.after == {"status": "paused"}
    assert resumed.action == "resume"
    assert resumed.before == {"status": "paused"} and resumed.after == {"status": "active"}


def test_pausing_a_paused_member_again_records_nothing_new(office_client, dbs, member):
    office_client.post(f"/staff/members/{member.id}/pause")
    office_client.post(f"/staff/members/{member.id}/pause")
    assert len(entries(dbs)) == 1


def test_create_invitation_is_recorded(office_client, dbs, office_user):
    office_client.post("/staff/invitations", data={"segment": "sme", "email": "Boss@SME.example.com",
                                                   "days": "7"})
    invitation = dbs.scalar(select(Invitation))
    (entry,) = entries(dbs)
    assert (entry.actor_id, entry.action, entry.object_type, entry.object_id) == \
        (office_user.id, "create", "invitation", invitation.id)
    assert entry.before is None
    assert entry.after["segment"] == "sme" and entry.after["email"] == "boss@sme.example.com"
    assert entry.after["days"] == 7 and entry.after["expires_at"].startswith(str(invitation.expires_at.year))
    assert "token" not in str(entry.after) and invitation.token_hash not in str(entry.after)


def test_create_staff_is_recorded_without_the_password(admin_client, dbs, admin_user):
    admin_client.post("/admin/staff/new", data={"email": "new.office@example.com", "name": "New Office",
                                                "role": "office", "password": "office-pass-1"})
    user = dbs.scalar(select(User).where(User.email == "new.office@example.com"))
    (entry,) = entries(dbs)
    assert (entry.actor_id, entry.action, entry.object_type, entry.object_id) == \
        (admin_user.id, "create", "user", user.id)
    assert entry.after == {"name": "New Office", "email": "new.office@example.com", "role": "office",
                           "status": "active"}
    assert "office-pass-1" not in str(entry.after) and user.password_hash not in str(entry.after)


def test_refused_staff_creation_records_nothing(admin_client, dbs):
    make_user(dbs, role="product", email="taken@example.com")
    response = admin_client.post("/admin/staff/new", data={"email": "taken@example.com", "name": "X",
                                                           "role": "office", "password": "long-enough"})
    assert response.status_code == 422
    assert entries(dbs) == []


def test_change_role_is_recorded(admin_client, dbs, admin_user, office_user):
    admin_client.post(f"/admin/staff/{office_user.id}/role", data={"role": "product"})
    (entry,) = entries(dbs)
    assert (entry.actor_id, entry.action, entry.object_type, entry.object_id) == \
        (admin_user.id, "change_role", "user", office_user.id)
    assert entry.before == {"role": "office"} and entry.after == {"role": "product"}


def test_pause_and_resume_staff_are_recorded(admin_client, dbs, admin_user, office_user):
    admin_client.post(f"/admin/staff/{office_user.id}/pause")
    admin_client.post(f"/admin/staff/{office_user.id}/resume")
    paused, resumed = entries(dbs)
    assert (paused.actor_id, paused.action, paused.object_id) == (admin_user.id, "pause", office_user.id)
    assert paused.before == {"status": "active"} and paused.after == {"status": "paused"}
    assert (resumed.action, resumed.after) == ("resume", {"status": "active"})


def test_refused_staff_changes_record_nothing(admin_client, dbs, admin_user):
    admin_client.post(f"/admin/staff/{admin_user.id}/pause")          # one's own account
    admin_client.post(f"/admin/staff/{admin_user.id}/role", data={"role": "office"})
    dbs.expire_all()
    assert dbs.get(User, admin_user.id).status == "active"
    assert entries(dbs) == []


def test_entry_and_change_share_one_transaction(app, dbs, office_user):
    """A change that fails to commit leaves no entry behind (and no entry without its change)."""
    from portal.admin import services

    target = make_user(dbs, role="product")
    with app.test_request_context():
        from portal.db import db

        actor = db.get(User, make_user(dbs, role="admin").id)
        user = db.get(User, target.id)
        db.commit = lambda: (_ for _ in ()).throw(RuntimeError("database gone"))  # type: ignore
        with pytest.raises(RuntimeError):
            services.change_role(actor, user, "office")
        del db.commit
        db.rollback()
    dbs.expire_all()
    assert dbs.get(User, target.id).role == "product"
    assert entries(dbs) == []


# --- the admin page ---------------------------------------------------------------------------------

@pytest.mark.parametrize("fixture", ["member_client", "product_client", "office_client"])
def test_only_admins_see_the_log(request, fixture):
    client = request.getfixturevalue(fixture)
    assert client.get("/admin/audit").status_code == 403


def test_anonymous_is_sent_to_login(client):
    response = client.get("/admin/audit")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("method", ["post", "put", "delete", "patch"])
def test_log_cannot_be_changed(admin_client, dbs, admin_user, method):
    entry = add_entry(dbs, admin_user)
    for url in ("/admin/audit", f"/admin/audit?object_id={entry.object_id}"):
        response = getattr(admin_client, method)(url, data={"action": "x"})
        assert response.status_code == 405
    assert admin_client.post(f"/admin/audit/{entry.id}/delete").status_code == 404
    assert admin_client.get(f"/admin/audit/{entry.id}/edit").status_code == 404
    (kept,) = entries(dbs)
    assert kept.action == "update"


def test_admin_index_links_to_the_log(admin_client):
    assert 'href="/admin/audit"' in admin_client.get("/admin").get_data(as_text=True)


def test_lists_entries_newest_first_readably(admin_client, dbs, admin_user, office_user):
    member = make_user(dbs, role="member", name="Wang Fang")
    add_entry(dbs, office_user, "pause", "user", member.id, {"status": "active"}, {"status": "paused"},
              created_at=datetime(2026, 3, 1, 2, 0, tzinfo=UTC))
    add_entry(dbs, admin_user, "change_role", "user", office_user.id, {"role": "office"},
              {"role": "product"}, created_at=datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    add_entry(dbs, office_user, "export", "export", None, None,
              {"list": "submissions", "format": "xlsx", "filters": {"kind": "gap_report"}, "rows": 12},
              created_at=datetime(2026, 3, 3, 2, 0, tzinfo=UTC))
    add_entry(dbs, None, "escalate", "item", 7, None, {"overdue_notified_at": "2026-03-04T01:00:00+00:00"},
              created_at=datetime(2026, 3, 4, 2, 0, tzinfo=UTC))
    page = admin_client.get("/admin/audit").get_data(as_text=True)
    body = page[page.index("<tbody>"):]
    positions = [body.index(text) for text in ("Overdue notice sent", "Exported", "Role changed", "Paused")]
    assert positions == sorted(positions)
    assert "System" in body
    assert "Service office" in body and "Product team" in body   # role labels, before -> after
    assert "<del>Service office</del> → <ins>Product team</ins>" in body
    assert "<del>Active</del> → <ins>Paused</ins>" in body
    assert "Submissions" in body and "xlsx" in body and "kind=Service-gap report" in body and "12" in body
    assert office_user.name in body and admin_user.name in body
    assert "Mar 2, 2026" in body  # when


def test_no_edit_or_delete_controls(admin_client, dbs, admin_user):
    add_entry(dbs, admin_user)
    page = admin_client.get("/admin/audit").get_data(as_text=True)
    content = page[page.index("<h1>"):]
    assert 'method="post"' not in content.lower()
    assert not re.search(r'href="[^"]*(edit|delete)', content)
    assert ">Edit<" not in content and ">Delete<" not in content


def test_filters(admin_client, dbs, admin_user, office_user):
    day = datetime(2026, 3, 10, 4, 0, tzinfo=UTC)
    a = add_entry(dbs, office_user, "pause", "user", 11, created_at=day)
    b = add_entry(dbs, admin_user, "change_role", "user", 12, created_at=day + timedelta(days=1))
    c = add_entry(dbs, office_user, "export", "export", None, after={"list": "improvements"},
                  created_at=day + timedelta(days=2))
    d = add_entry(dbs, None, "escalate", "item", 11, created_at=day + timedelta(days=3))

    def shown(query: str) -> set[int]:
        response = admin_client.get("/admin/audit?" + query)
        assert response.status_code == 200
        return {int(m) for m in re.findall(r'data-entry="(\d+)"', response.get_data(as_text=True))}

    assert shown("") == {a.id, b.id, c.id, d.id}
    assert shown(f"actor={office_user.id}") == {a.id, c.id}
    assert shown("actor=system") == {d.id}
    assert shown("action=change_role") == {b.id}
    assert shown("object_type=export") == {c.id}
    assert shown("object_type=user&object_id=11") == {a.id}
    assert shown("object_id=11") == {a.id, d.id}
    assert shown("date_from=2026-03-11&date_to=2026-03-12") == {b.id, c.id}
    # Shanghai days: 2026-03-10 04:00 UTC is the 10th in Shanghai
    assert shown("date_to=2026-03-10") == {a.id}
    # Values that do not validate are left out rather than failing the page.
    assert shown("actor=99999&object_id=abc&date_from=never&object_type=nonsense") == {a.id, b.id, c.id, d.id}


def test_keyset_pagination(admin_client, dbs, admin_user, monkeypatch):
    from portal.audit import services

    monkeypatch.setattr(services, "PER_PAGE", 2)
    ids = [add_entry(dbs, admin_user, object_id=n).id for n in range(5)]

    def page(url):
        html = admin_client.get(url).get_data(as_text=True)
        shown = [int(m) for m in re.findall(r'data-entry="(\d+)"', html)]
        older = re.search(r'href="([^"]*before=\d+[^"]*)" rel="next"', html)
        newer = re.search(r'href="([^"]*after=\d+[^"]*)" rel="prev"', html)
        unescape = lambda m: m.group(1).replace("&amp;", "&") if m else None  # noqa: E731
        return shown, unescape(older), unescape(newer)

    first, older, newer = page("/admin/audit?action=update")
    assert first == [ids[4], ids[3]] and newer is None and "action=update" in older
    second, older, newer = page(older)
    assert second == [ids[2], ids[1]]
    third, last_older, newer_from_third = page(older)
    assert third == [ids[0]] and last_older is None
    back, _, _ = page(newer_from_third)
    assert back == [ids[2], ids[1]]


def test_query_count_is_fixed(app, admin_client, dbs, admin_user):
    others = [make_user(dbs, role="office") for _ in range(3)]
    for n in range(3):
        add_entry(dbs, others[n % 3], object_id=n, before={"status": "new"}, after={"status": "linked"})
    few = count_queries(app, admin_client, "/admin/audit")
    more = [make_user(dbs, role="office") for _ in range(10)]
    for n in range(27):
        add_entry(dbs, more[n % 10], action=f"action{n % 4}", object_id=n)
    many = count_queries(app, admin_client, "/admin/audit")
    assert few == many


def test_member_text_is_escaped(admin_client, dbs, admin_user):
    for payload in XSS_PAYLOADS:
        named = make_user(dbs, role="office", name=payload)
        add_entry(dbs, named, action=payload, object_type="submission", object_id=3,
                  before={"tags": [payload]}, after={payload: payload, "note": payload})
    page = admin_client.get("/admin/audit").get_data(as_text=True)
    for payload in XSS_PAYLOADS:
        assert payload not in page
    assert "&lt;script&gt;alert(" in page


def test_renders_in_chinese(admin_client, dbs, admin_user):
    add_entry(dbs, admin_user, "change_role", "user", admin_user.id, {"role": "office"}, {"role": "admin"})
    add_entry(dbs, admin_user, "export", "export", None, None,
              {"list": "submissions", "format": "csv", "filters": {"q": "宽带"}, "rows": 3})
    admin_client.language("zh_Hans")
    response = admin_client.get("/admin/audit")
    assert response.status_code == 200
    assert "宽带" in response.get_data(as_text=True)
    assert admin_client.get("/admin").status_code == 200


def test_export_entries_appear_on_the_log(app, dbs, admin_user):
    office = make_user(dbs, role="office")
    client = app.test_client()
    client.language("en")
    login(client, office)
    assert client.get("/staff/exports/improvements.csv?priority=urgent").status_code == 200
    client.get("/logout")
    admin = app.test_client()
    admin.language("en")
    login(admin, admin_user)
    page = admin.get("/admin/audit?object_type=export").get_data(as_text=True)
    assert "Exported" in page and "Improvement items" in page and "priority=Urgent" in page
    assert office.name in page
