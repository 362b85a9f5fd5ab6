"""A member's rights over their personal data (PIPL): a copy of all of it, and erasure.

- `export_zip`: everything the portal holds about the member, as data.json plus one CSV per
  kind, in a zip built in memory (a member's own rows: a few hundred at most).
- `erase_account`: name, email, phone, organization, profile and the traces that carry the email
  are erased; the row stays with status 'deleted' (so it can never sign in and its sessions end)
  and keeps segment and district, so the submissions it authored stay in the statistics without
  saying whose they were. Pages show `User.display_name` ("Deleted member").
"""
from __future__ import annotations

import csv
import io
import json
import secrets
import zipfile
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update
from werkzeug.security import generate_password_hash

from portal import permissions
from portal.accounts import profiles
from portal.accounts.consent import ConsentRecord, PrivacyNotice
from portal.accounts.models import Invitation, LoginAttempt, PasswordReset, User
from portal.audit import describe
from portal.audit.services import record
from portal.db import db, unit_of_work
from portal.errors import Refused

describe("user", actions={
    "export_data": _l("Downloaded a copy of their data"),
    "delete_account": _l("Deleted their account"),
    "save_profile": _l("Saved their profile"),
})

# What an erased account's columns become. The email stays unique (the column is) and can never
# receive mail or match a sign-in: ".invalid" is reserved (RFC 2606).
DELETED_NAME = "-"
_ACCOUNT_FIELDS = ("id", "email", "name", "role", "status", "locale", "segment", "district", "phone",
                   "organization", "created_at", "last_login_at")


class AccountNotErased(Refused):
    default_message = _l("Your account was not deleted.")


# --- a copy of everything ----------------------------------------------------------------------

def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def _rows(model, condition, exclude: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Every column of the matching rows (binary ones left out by `exclude`), oldest first."""
    columns = [c for c in model.__table__.columns if c.key not in exclude]
    stmt = select(*columns).where(condition).order_by(*model.__table__.primary_key.columns)
    return [{key: _plain(value) for key, value in row._mapping.items()} for row in db.execute(stmt)]


def collect(member: User) -> dict[str, Any]:
    """All the member's data, kind by kind (the keys of data.json and the CSV files' names)."""
    from portal.gaps.models import GapPhoto, ServiceGapReport
    from portal.notifications.models import Notification, NotificationPreference
    from portal.opinions.models import Opinion
    from portal.trials.models import Answer, Enrollment, Evaluation, EvaluationVersion

    own_evaluations = select(Evaluation.id).where(Evaluation.member_id == member.id)
    own_reports = select(ServiceGapReport.id).where(ServiceGapReport.member_id == member.id)
    consents = db.execute(
        select(PrivacyNotice.version, ConsentRecord.accepted_at)
        .join(PrivacyNotice, PrivacyNotice.id == ConsentRecord.notice_id)
        .where(ConsentRecord.user_id == member.id).order_by(ConsentRecord.accepted_at))
    profile = profiles.profile_of(member)
    return {
        "account": [{name: _plain(getattr(member, name)) for name in _ACCOUNT_FIELDS}],
        "profile": [] if profile is None else _rows(
            profiles.MemberProfile, profiles.MemberProfile.member_id == member.id),
        "consents": [{"version": v, "accepted_at": _plain(at)} for v, at in consents],
        "enrollments": _rows(Enrollment, Enrollment.member_id == member.id),
        "evaluations": _rows(Evaluation, Evaluation.member_id == member.id),
        "answers": _rows(Answer, Answer.evaluation_id.in_(own_evaluations)),
        "evaluation_versions": _rows(EvaluationVersion, EvaluationVersion.evaluation_id.in_(own_evaluations)),
        "opinions": _rows(Opinion, Opinion.member_id == member.id),
        "gap_reports": _rows(ServiceGapReport, ServiceGapReport.member_id == member.id),
        "gap_photos": _rows(GapPhoto, GapPhoto.report_id.in_(own_reports), exclude=("data",)),
        "notifications": _rows(Notification, Notification.user_id == member.id),
        "notification_preferences": _rows(NotificationPreference,
                                          NotificationPreference.user_id == member.id),
    }


def _csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    if rows:
        writer = csv.writer(out)
        keys = list(rows[0])
        writer.writerow(keys)
        # Lists and mappings (answers, choices) as JSON text in their cell.
        writer.writerows([json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v
                          for v in (row[k] for k in keys)] for row in rows)
    return out.getvalue()


def export_zip(member: User) -> bytes:
    """data.json with everything, and one CSV per kind (UTF-8 with a BOM, for spreadsheet apps);
    the download is recorded in the audit log."""
    data = collect(member)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(data, ensure_ascii=False, indent=2))
        for kind, rows in data.items():
            archive.writestr(f"{kind}.csv", "\ufeff" + _csv(rows))
    with unit_of_work():
        record(member, "export_data", "user", member.id)
    return buffer.getvalue()


# --- erasure -------------------------------------------------------------------------------------

def erase_account(member: User, password: str) -> None:
    """Erase the member's personal data once they confirmed with their password; their sessions
    end (the session generation rises) and they can never sign in again."""
    # Staff accounts are closed by an administrator, not erased here.
    if member.is_deleted or not permissions.is_member(member):
        raise AccountNotErased()
    if not member.check_password(password or ""):
        raise AccountNotErased(_l("This is not your password."), field="password")
    old_email = member.email
    with unit_of_work():
        profiles.erase_profile(member)
        # Traces that carry the email or a way back into the account.
        db.execute(delete(PasswordReset).where(PasswordReset.user_id == member.id))
        db.execute(delete(LoginAttempt).where(LoginAttempt.email == old_email))
        db.execute(update(Invitation).where(Invitation.used_by_id == member.id).values(email=None)
                   .execution_options(synchronize_session=False))
        _forget_emails(old_email)
        member.name = DELETED_NAME
        member.email = f"deleted-{member.id}-{secrets.token_hex(6)}@deleted.invalid"
        member.phone = None
        member.organization = None
        member.locale = None
        # Not a hash of anything typed: no password matches it.
        member.password_hash = generate_password_hash(secrets.token_urlsafe(32))
        member.status = "deleted"
        member.raise_session_generation()
        record(member, "delete_account", "user", member.id)


def _forget_emails(address: str) -> None:
    """Emails waiting for or sent to the address go too (they hold it, and often the name)."""
    from portal.notifications.models import OutboxEmail

    db.execute(delete(OutboxEmail).where(OutboxEmail.to_address == address))
