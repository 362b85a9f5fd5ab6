"""A member's copy of their data, and the erasure of their account."""
import io
import json
import zipfile

from sqlalchemy import select

from portal.accounts.models import User
from portal.accounts.profiles import MemberProfile
from portal.audit.models import AuditEntry
from portal.gaps.models import ServiceGapReport
from tests.conftest import login
from tests.factories import (
    PASSWORD,
    make_enrollment,
    make_gap_submission,
    make_privacy_notice,
    make_profile,
    make_trial,
)


def _page(response) -> str:
    return response.get_data(as_text=True)


def test_member_downloads_everything(member_client, member, dbs):
    make_profile(dbs, member, handset_os="android")
    trial = make_trial(dbs)
    make_enrollment(dbs, trial, member)
    submission = make_gap_submission(dbs, member, title="No signal in the lift")
    assert 'action="/profile/data"' in _page(member_client.get("/profile"))
    assert member_client.get("/profile/data").status_code == 405
    assert member_client.post("/profile/data", csrf=False).status_code == 400
    response = member_client.post("/profile/data")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    data = json.loads(archive.read("data.json"))
    assert data["account"][0]["email"] == member.email and "password_hash" not in data["account"][0]
    assert data["profile"][0]["handset_os"] == "android"
    assert data["enrollments"][0]["trial_id"] == trial.id
    assert data["gap_reports"][0]["title"] == "No signal in the lift"
    assert {"consents", "evaluations", "answers", "opinions", "notifications"} <= set(data)
    names = set(archive.namelist())
    assert {"account.csv", "profile.csv", "gap_reports.csv", "enrollments.csv"} <= names
    assert "No signal in the lift" in archive.read("gap_reports.csv").decode("utf-8-sig")
    assert dbs.scalar(select(AuditEntry).where(
        AuditEntry.action == "export_data", AuditEntry.object_id == member.id)) is not None
    assert submission.id


def test_staff_have_no_member_data_pages(office_client):
    assert office_client.post("/profile/data").status_code == 403
    assert office_client.get("/profile/delete").status_code == 403


def test_deletion_needs_password_and_the_typed_word(member_client, member, dbs):
    wrong = member_client.post("/profile/delete", data={"password": "nope", "confirmation": "DELETE"})
    assert wrong.status_code == 422 and "This is not your password." in _page(wrong)
    typo = member_client.post("/profile/delete", data={"password": PASSWORD, "confirmation": "delet"})
    assert typo.status_code == 422
    page = _page(typo)
    assert "Type the word DELETE" in page and 'value="delet"' in page
    dbs.expire_all()
    assert dbs.get(User, member.id).status == "active"


def test_deletion_erases_and_anonymises(app, client, member, dbs):
    make_privacy_notice(dbs)
    make_profile(dbs, member, handset_os="ios")
    report = make_gap_submission(dbs, member, title="Dropped calls at home")
    old_email, old_name = member.email, member.name
    login(client, member)
    client.language("en")  # the farewell after the deletion keeps the language in use
    # deleting stays possible... after agreeing to the notice like any page
    gated = client.get("/profile/delete")
    assert gated.status_code == 302
    from portal.accounts.consent import PrivacyNotice

    notice_id = dbs.scalar(select(PrivacyNotice.id))
    client.post("/privacy/accept", data={"notice_id": str(notice_id), "accept": "y"})
    response = client.post("/profile/delete", data={"password": PASSWORD, "confirmation": "DELETE"})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert "Your account was deleted." in _page(client.get("/login"))
    dbs.expire_all()
    user = dbs.get(User, member.id)
    assert user.status == "deleted" and user.name != old_name and user.email != old_email
    assert user.phone is None and user.organization is None
    assert dbs.get(MemberProfile, member.id) is None
    # the report stays, for the statistics
    assert dbs.scalar(select(ServiceGapReport.id).where(ServiceGapReport.id == report.gap_report_id))
    assert dbs.scalar(select(AuditEntry).where(AuditEntry.action == "delete_account")) is not None
    # signed out, and no way back in
    assert client.get("/profile").status_code == 302
    failed = client.post("/login", data={"email": old_email, "password": PASSWORD})
    assert failed.status_code != 302


def test_staff_see_deleted_member(app, client, office_user, member, dbs):
    submission = make_gap_submission(dbs, member, title="Slow broadband")
    old_name = member.name
    login(client, member)
    client.post("/profile/delete", data={"password": PASSWORD, "confirmation": "DELETE"})
    client = app.test_client()
    client.language("en")
    login(client, office_user)
    for url in ("/staff/members", f"/staff/members/{member.id}", "/staff/reports",
                f"/staff/reports/{submission.gap_report_id}", f"/staff/inbox/{submission.id}"):
        page = _page(client.get(url))
        assert "Deleted member" in page, url
        assert old_name not in page, url
    client.language("zh_Hans")
    # the Chinese label once the lead's catalogue has it; the English name never
    assert old_name not in _page(client.get("/staff/members"))
