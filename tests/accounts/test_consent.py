"""The privacy notice: agreed to when joining, again when a newer version is published."""
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from portal.accounts.consent import ConsentRecord, PrivacyNotice
from portal.accounts.models import User
from portal.audit.models import AuditEntry
from tests.accounts.test_registration import make_invitation, valid
from tests.conftest import login
from tests.factories import make_privacy_notice, make_user


def _page(response) -> str:
    return response.get_data(as_text=True)


def test_without_a_notice_members_are_not_asked(member_client):
    assert member_client.get("/").status_code == 200
    assert "No privacy notice is published yet." in _page(member_client.get("/privacy"))


def test_member_must_accept_the_current_version(client, member, dbs):
    notice = make_privacy_notice(dbs, text_en="We keep **your answers**.")
    login(client, member)
    response = client.get("/trials")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/privacy/accept")
    page = _page(client.get(response.headers["Location"]))
    assert "<strong>your answers</strong>" in page and "Version 1" in page
    # not ticked: refused, still asked
    refused = client.post("/privacy/accept?next=/trials", data={"notice_id": str(notice.id)})
    assert refused.status_code == 422 and "Tick the box to agree, or sign out." in _page(refused)
    assert client.get("/").status_code == 302
    accepted = client.post("/privacy/accept?next=/trials",
                           data={"notice_id": str(notice.id), "accept": "y"})
    assert accepted.status_code == 302 and accepted.headers["Location"] == "/trials"
    assert client.get("/").status_code == 200
    record = dbs.scalar(select(ConsentRecord).where(ConsentRecord.user_id == member.id))
    assert record.notice_id == notice.id and record.accepted_at is not None
    assert dbs.scalar(select(AuditEntry).where(AuditEntry.action == "accept_privacy",
                                               AuditEntry.object_id == member.id)) is not None


def test_sign_out_and_language_stay_reachable(client, member, dbs):
    make_privacy_notice(dbs)
    login(client, member)
    switched = client.post("/language/zh_Hans", data={"next": "/privacy/accept"})
    assert switched.status_code == 302 and switched.headers["Location"] == "/privacy/accept"
    assert "我们如何处理您的个人信息。" in _page(client.get("/privacy/accept"))
    assert client.get("/privacy").status_code == 200
    signed_out = client.post("/logout")
    assert signed_out.status_code == 302 and signed_out.headers["Location"] == "/login"


def test_staff_are_not_gated(office_client, dbs):
    make_privacy_notice(dbs)
    assert office_client.get("/").status_code == 200


def test_a_newer_version_is_asked_for_again(app, client, member, dbs):
    first = make_privacy_notice(dbs, version="1", published_at=datetime.now(UTC) - timedelta(days=30))
    dbs.add(ConsentRecord(user_id=member.id, notice_id=first.id, accepted_at=datetime.now(UTC)))
    dbs.commit()
    login(client, member)
    assert client.get("/").status_code == 200
    admin = make_user(dbs, role="admin")
    admin_client = app.test_client()
    admin_client.language("en")
    login(admin_client, admin)
    published = admin_client.post("/admin/privacy", data={
        "version": "2", "text_zh": "第二版。", "text_en": "Second version."})
    assert published.status_code == 302
    assert "Version 2 is published" in _page(admin_client.get("/admin/privacy"))
    gated = client.get("/")
    assert gated.status_code == 302 and gated.headers["Location"].startswith("/privacy/accept")
    assert "Second version." in _page(client.get("/privacy/accept"))
    # accepting an older version than the current one is refused
    stale = client.post("/privacy/accept", data={"notice_id": str(first.id), "accept": "y"})
    assert stale.status_code == 302 and client.get("/").status_code == 302


def test_another_member_in_the_same_browser_is_asked_too(client, member, other_member, dbs):
    notice = make_privacy_notice(dbs)
    login(client, member)
    client.post("/privacy/accept", data={"notice_id": str(notice.id), "accept": "y"})
    assert client.get("/").status_code == 200
    client.post("/logout")
    login(client, other_member)
    assert client.get("/").status_code == 302


def test_publishing_is_for_administrators(client, dbs):
    for role in ("member", "product", "office"):
        user = make_user(dbs, role=role)
        login(client, user)
        assert client.get("/admin/privacy").status_code == 403, role
        assert client.post("/admin/privacy", data={
            "version": "9", "text_zh": "x", "text_en": "x"}).status_code == 403, role
        client.post("/logout")
    assert dbs.scalar(select(PrivacyNotice.id)) is None


def test_a_version_name_is_used_once(admin_client, dbs):
    make_privacy_notice(dbs, version="2026-1")
    response = admin_client.post("/admin/privacy", data={
        "version": "2026-1", "text_zh": "中文", "text_en": "English text"})
    assert response.status_code == 422
    page = _page(response)
    assert "This version was already published" in page and "English text" in page


def test_registration_requires_agreeing(app, client, dbs):
    notice = make_privacy_notice(dbs)
    _invitation, token = make_invitation(app)
    form = _page(client.get(f"/join/{token}"))
    assert 'name="accept_privacy"' in form and "Read the privacy notice" in form
    refused = client.post(f"/join/{token}", data=valid())
    assert refused.status_code == 422
    assert "You can join only if you agree to the privacy notice." in _page(refused)
    assert client.post(f"/join/{token}", data=valid(accept_privacy="y")).status_code == 302
    user = dbs.scalar(select(User).where(User.email == "wang.fang@example.com"))
    assert dbs.scalar(select(ConsentRecord.notice_id).where(ConsentRecord.user_id == user.id)) == notice.id
    # agreed when joining: not asked again after signing in
    client.post("/login", data={"email": "wang.fang@example.com", "password": "panel-pass-1"})
    assert client.get("/").status_code == 200


def test_registration_without_a_notice_has_no_checkbox(app, client):
    _invitation, token = make_invitation(app)
    assert 'name="accept_privacy"' not in _page(client.get(f"/join/{token}"))
