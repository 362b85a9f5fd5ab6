"""The monthly bulletin of analysed cases (分析通报): reads, writes and its XLSX download.

Rules:
- Only the supervision office (permissions.supervises_hotline) sees drafts and edits: it picks
  support requests filed in the month (Shanghai time) into the month's bulletin (made on the
  first pick), writes each case's analysis in three parts (what went wrong, the root cause, what
  was changed), takes cases out again, and publishes.
- Publishing needs at least one case and every case's three parts written; a published bulletin
  no longer changes (its cases and analysis are what every unit read).
- Published bulletins are read by every staff user holding "supervision.view", whatever their
  unit: the cases are shared so that other units learn from them. A draft is 404 to them.
- Every write is audited ("support_bulletin"); the page a form came from names the version it
  showed (a stale one is a Conflict).

Reads have a fixed number of statements: the bulletin, its cases with their requests (one
join), the units named; the office's candidate list is one page of the month's requests.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal import domain as vocab, permissions
from portal.accounts.models import User
from portal.audit import services as audit
from portal.db import db, unit_of_work, utcnow
from portal.domain import shanghai_today
from portal.exports.writers import Column, xlsx_response
from portal.pagination import Page, paginate
from portal.supervision.assessment import Period
from portal.supervision.models import Bulletin, BulletinCase, SupportRequest
from portal.supervision.services import TEXT_MAX, SupportRefused, units_by_id
from portal.supervision.units import unit_label
from portal.text import clean_text
from portal.versioning import check_version

BULLETINS_PER_PAGE = 24  # two years of months
CANDIDATES_PER_PAGE = 25
ANALYSIS_FIELDS = ("analysis", "root_cause", "changes_made")
STATUSES = {"draft": _l("Draft"), "published": _l("Published")}


def parse_month(text: str | None) -> date | None:
    """'2026-10' -> date(2026, 10, 1); None for anything else or a month still to come."""
    try:
        year, month = (int(p) for p in (text or "").split("-"))
        found = date(year, month, 1)
    except ValueError:
        return None
    return found if date(2000, 1, 1) <= found <= shanghai_today().replace(day=1) else None


def month_code(month: date) -> str:
    return f"{month:%Y-%m}"


# --- reads ---------------------------------------------------------------------------------------


def bulletin_list(viewer: User, page: int | None = None) -> Page:
    """The months with a bulletin, newest first: every one for the office, else the published
    ones (ix_support_bulletins_status_month)."""
    stmt = select(Bulletin).order_by(Bulletin.month.desc())
    if not permissions.supervises_hotline(viewer):
        stmt = stmt.where(Bulletin.status == "published")
    return paginate(stmt, page, BULLETINS_PER_PAGE)


def get_bulletin(viewer: User, month: date) -> Bulletin | None:
    """The month's bulletin when `viewer` may read it (drafts: the office only), else None."""
    found = db.scalar(select(Bulletin).where(Bulletin.month == month))
    if found is None or (found.status != "published" and not permissions.supervises_hotline(viewer)):
        return None
    return found


@dataclass
class Shown:
    """What the bulletin page and its download show: the cases with their requests, the units."""

    cases: list[BulletinCase]
    units: dict

    def unit(self, unit_id: int | None) -> str:
        return unit_label(self.units.get(unit_id)) if unit_id else ""


def shown(bulletin: Bulletin | None) -> Shown:
    if bulletin is None:
        return Shown([], {})
    cases = list(db.scalars(select(BulletinCase).options(joinedload(BulletinCase.request))
                            .where(BulletinCase.bulletin_id == bulletin.id).order_by(BulletinCase.id)))
    ids = {c.request.branch_id for c in cases} | {c.request.department_id for c in cases}
    return Shown(cases, units_by_id(ids))


def candidates(month: date, page: int | None = None) -> Page:
    """The requests filed in `month`, newest first (ix_support_requests_filed_id): what the
    office picks from."""
    start, end = Period("month", month).bounds()
    stmt = (select(SupportRequest)
            .where(SupportRequest.filed_at >= start, SupportRequest.filed_at < end)
            .order_by(SupportRequest.filed_at.desc(), SupportRequest.id.desc()))
    return paginate(stmt, page, CANDIDATES_PER_PAGE)


# --- writes --------------------------------------------------------------------------------------


def _office_only(actor: User) -> None:
    if not permissions.supervises_hotline(actor):
        raise SupportRefused(_("Only the supervision office writes the bulletin."))


def _draft(bulletin: Bulletin | None) -> Bulletin:
    if bulletin is None:
        raise SupportRefused(_("This month has no bulletin yet."))
    if bulletin.status != "draft":
        raise SupportRefused(_("The bulletin is published: it no longer changes."))
    return bulletin


def _case(bulletin: Bulletin, case_id: int | None) -> BulletinCase:
    case = db.get(BulletinCase, case_id) if case_id else None
    if case is None or case.bulletin_id != bulletin.id:
        raise SupportRefused(_("This case is not in the bulletin."))
    return case


def pick(actor: User, month: date, request_id: int | None) -> BulletinCase:
    """Put the request into the month's bulletin (made now when the month has none)."""
    _office_only(actor)
    start, end = Period("month", month).bounds()
    request = db.get(SupportRequest, request_id) if request_id else None
    if request is None or not (start <= request.filed_at < end):
        raise SupportRefused(_("Please pick a support request filed in this month."))
    bulletin = db.scalar(select(Bulletin).where(Bulletin.month == month))
    if bulletin is not None:
        _draft(bulletin)
        if db.scalar(select(BulletinCase.id).where(BulletinCase.bulletin_id == bulletin.id,
                                                   BulletinCase.request_id == request.id)):
            raise SupportRefused(_("This request is in the bulletin already."))
    with unit_of_work():
        if bulletin is None:
            bulletin = Bulletin(month=month, status="draft")
            db.add(bulletin)
            db.flush()
            audit.record(actor, "create", "support_bulletin", bulletin.id, None,
                         {"month": month_code(month), "status": "draft"})
        case = BulletinCase(bulletin_id=bulletin.id, request_id=request.id, analysis="",
                            root_cause="", changes_made="")
        db.add(case)
        db.flush()
        audit.record(actor, "pick", "support_bulletin", bulletin.id, None,
                     {"request_id": request.id})
    return case


def unpick(actor: User, month: date, case_id: int | None) -> None:
    _office_only(actor)
    bulletin = _draft(db.scalar(select(Bulletin).where(Bulletin.month == month)))
    case = _case(bulletin, case_id)
    with unit_of_work():
        audit.record(actor, "unpick", "support_bulletin", bulletin.id,
                     {"request_id": case.request_id, **audit.snapshot(case, ANALYSIS_FIELDS)}, None)
        db.delete(case)


def analyse(actor: User, month: date, case_id: int | None, version: int | None,
            texts: dict[str, str]) -> BulletinCase:
    """Save a case's analysis; a part may stay empty while drafting (publishing needs all)."""
    _office_only(actor)
    bulletin = _draft(db.scalar(select(Bulletin).where(Bulletin.month == month)))
    case = _case(bulletin, case_id)
    check_version(case, version)
    cleaned = {name: clean_text(texts.get(name) or "") for name in ANALYSIS_FIELDS}
    for name, text in cleaned.items():
        if len(text) > TEXT_MAX:
            raise SupportRefused(_("The text is too long."), name)
    with unit_of_work():
        before = audit.snapshot(case, ANALYSIS_FIELDS)
        for name, text in cleaned.items():
            setattr(case, name, text)
        db.flush()
        audit.record(actor, "analyse", "support_bulletin", bulletin.id,
                     {"request_id": case.request_id, **before},
                     {"request_id": case.request_id, **audit.snapshot(case, ANALYSIS_FIELDS)})
    return case


def publish(actor: User, month: date, version: int | None, now: datetime | None = None) -> Bulletin:
    _office_only(actor)
    bulletin = _draft(db.scalar(select(Bulletin).where(Bulletin.month == month)))
    check_version(bulletin, version)
    cases = shown(bulletin).cases
    if not cases:
        raise SupportRefused(_("Pick at least one case before publishing."))
    missing = [c.request_id for c in cases if not c.analysed]
    if missing:
        raise SupportRefused(_(
            "Every case needs its analysis (what went wrong, the root cause, what was changed) "
            "before publishing. Missing for request %(numbers)s.",
            numbers=", ".join(str(n) for n in missing)))
    with unit_of_work():
        bulletin.status, bulletin.published_at, bulletin.published_by_id = (
            "published", now or utcnow(), actor.id)
        db.flush()
        audit.record(actor, "publish", "support_bulletin", bulletin.id, {"status": "draft"},
                     {"status": "published", "cases": len(cases)})
    return bulletin


# --- the XLSX download ---------------------------------------------------------------------------


def _hours(minutes: int | None) -> float | None:
    return None if minutes is None else round(minutes / 60, 1)


def columns(view: Shown) -> list[Column]:
    def req(getter):
        return lambda case: getter(case.request)

    def yes_no(value):
        return "" if value is None else (_("Yes") if value else _("No"))

    return [
        Column(_l("No."), req(lambda r: r.id), 8),
        Column(_l("What the front line needs"), req(lambda r: r.title), 40),
        Column(_l("District branch"), req(lambda r: view.unit(r.branch_id)), 16),
        Column(_l("Department"), req(lambda r: view.unit(r.department_id)), 16),
        Column(_l("Problem category"), req(lambda r: str(vocab.SUPPORT_CATEGORIES.get(r.category, ""))), 16),
        Column(_l("Urgency"), req(lambda r: str(vocab.SUPPORT_URGENCIES.get(r.urgency, ""))), 10),
        Column(_l("Filed"), req(lambda r: r.filed_at), 18),
        Column(_l("Status"), req(lambda r: str(vocab.SUPPORT_STATUSES.get(r.status, ""))), 12),
        Column(_l("First response (working hours)"), req(lambda r: _hours(r.response_minutes)), 12),
        Column(_l("Accepted within the response time"), req(lambda r: yes_no(r.responded_in_time)), 12),
        Column(_l("Rating"), req(lambda r: r.rating), 8),
        Column(_l("What went wrong"), lambda c: c.analysis, 50),
        Column(_l("Root cause"), lambda c: c.root_cause, 50),
        Column(_l("What was changed"), lambda c: c.changes_made, 50),
    ]


def download(viewer: User, bulletin: Bulletin):
    """The bulletin as an XLSX download (a few dozen rows: written in the request), its audit
    entry committed first like every list's (object "export")."""
    view = shown(bulletin)
    code = month_code(bulletin.month)
    with unit_of_work():
        audit.record(viewer, "export", "export", None, None,
                     {"list": "support_bulletin", "format": "xlsx", "filters": {"month": code},
                      "rows": len(view.cases)})
    return xlsx_response(f"bulletin-{code}.xlsx", columns(view), view.cases,
                         title=_("Bulletin %(month)s", month=code))
