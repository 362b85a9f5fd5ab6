"""Terminal and SIM logistics: what is sent to each accepted member of a trial and what comes back.

Rules:
- One shipment per accepted enrollment (`Shipment`, unique on the enrollment). It is made when
  first needed: the member confirms a shipping address, or staff save the shipment's form. The
  list shows every accepted enrollment (those without a shipment as "to dispatch") and any other
  enrollment that has one (a member who withdrew still owes the return).
- The state follows from the dates (`logistics_models.state_of`): to_dispatch -> dispatched ->
  received -> returned; overdue when the return date (Shanghai's) has passed and nothing came back.
- The member confirms the address before dispatch and the receipt after it; staff record the
  rest. An IMEI is 15 digits passing the Luhn check, an ICCID 19 or 20 digits.
- Staff saves name the version their form was opened at (0 when there was no shipment yet): a
  stale one is refused (`portal.errors.Conflict`). Every change (staff or member) writes an
  audit entry of object type "shipment" in the same unit of work.
- Who sees a member's phone and shipping address is `permissions.may_see_contact` (PIPL).
- Overdue returns: the supervision board shows the OVERDUE_SHOWN most overdue; the daily job
  (`remind_overdue_returns`) tells each member at most once every REMIND_EVERY_DAYS days
  (`last_reminded_at`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from portal import domain
from portal.accounts.models import User
from portal.audit import Field, describe, history as audit_history, services as audit
from portal.audit.history import as_date, as_number
from portal.db import db, unit_of_work, utcnow
from portal.errors import Conflict, Refused
from portal.pagination import COUNT_CAP
from portal.text import clean_text
from portal.trials.logistics_models import (
    RETURN_CONDITIONS,
    SHIPMENT_KINDS,
    SHIPMENT_STATES,
    Shipment,
    overdue,
    state_of,
)
from portal.trials.models import Enrollment, Trial

PER_PAGE = 25
OVERDUE_SHOWN = 10
REMIND_EVERY_DAYS = 7
ADDRESS_MAX = 300
# What a staff save may change, as recorded in the audit log.
STAFF_FIELDS = (
    "kind", "terminal_model", "serial_number", "imei", "iccid", "dispatched_on", "received_on",
    "return_due_on", "returned_on", "return_condition", "notes",
)


class LogisticsRefused(Refused):
    """A refused change of a shipment; str(exc) says why, `field` names the form field."""


# ---------------------------------------------------------------------------------------------
# Identifiers


def luhn_ok(digits: str) -> bool:
    """The Luhn check digit of `digits` (all digits) is right."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        n = int(char)
        if position % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def imei_error(value: str) -> str | None:
    """Why `value` is not an IMEI, or None (blank is no error: the form decides when one is due)."""
    value = (value or "").strip()
    if not value:
        return None
    if not (value.isascii() and value.isdigit()) or len(value) != 15:
        return _("An IMEI has exactly 15 digits (dial *#06# on the phone to see it).")
    if not luhn_ok(value):
        return _("This IMEI is not valid: its last digit does not match. Please check it for typing errors.")
    return None


def iccid_error(value: str) -> str | None:
    """Why `value` is not a SIM card's ICCID, or None (blank is no error)."""
    value = (value or "").strip()
    if not value:
        return None
    if not (value.isascii() and value.isdigit()) or len(value) not in (19, 20):
        return _("An ICCID has 19 or 20 digits (printed on the SIM card).")
    return None


# ---------------------------------------------------------------------------------------------
# The list of a trial


@dataclass
class Filters:
    state: str | None = None
    overdue: bool = False
    terminal_model: str | None = None
    district: str | None = None

    @classmethod
    def from_args(cls, args) -> Filters:
        """The filters of a query string; unknown values count as not given."""
        state = args.get("state") or None
        district = args.get("district") or None
        model = (args.get("terminal_model") or "").strip()[:100] or None
        return cls(state=state if state in SHIPMENT_STATES else None,
                   overdue=args.get("overdue") in ("y", "1", "on", "true"),
                   terminal_model=model,
                   district=district if district in domain.DISTRICTS else None)

    def to_args(self) -> dict[str, str]:
        out = {"state": self.state or "", "overdue": "y" if self.overdue else "",
               "terminal_model": self.terminal_model or "", "district": self.district or ""}
        return {k: v for k, v in out.items() if v}


_STATE_CONDITIONS = {
    "to_dispatch": lambda: and_(Shipment.dispatched_on.is_(None), Shipment.received_on.is_(None),
                                Shipment.returned_on.is_(None)),
    "dispatched": lambda: and_(Shipment.dispatched_on.is_not(None), Shipment.received_on.is_(None),
                               Shipment.returned_on.is_(None)),
    "received": lambda: and_(Shipment.received_on.is_not(None), Shipment.returned_on.is_(None)),
    "returned": lambda: Shipment.returned_on.is_not(None),
}


def _overdue_clause(today: date):
    return and_(Shipment.dispatched_on.is_not(None), Shipment.returned_on.is_(None),
                Shipment.return_due_on < today)


def list_query(trial: Trial, filters: Filters, today: date) -> Select:
    """(Enrollment, User, Shipment or None) of the trial's logistics list, filtered, newest
    enrollment first. Enrollments without a shipment read as "to dispatch" (outer join: NULLs)."""
    stmt = (
        select(Enrollment, User, Shipment)
        .join(User, User.id == Enrollment.member_id)
        .outerjoin(Shipment, Shipment.enrollment_id == Enrollment.id)
        .where(Enrollment.trial_id == trial.id,
               or_(Enrollment.status == "accepted", Shipment.id.is_not(None)))
    )
    if filters.state:
        stmt = stmt.where(_STATE_CONDITIONS[filters.state]())
    if filters.overdue:
        stmt = stmt.where(_overdue_clause(today))
    if filters.terminal_model:
        stmt = stmt.where(Shipment.terminal_model == filters.terminal_model)
    if filters.district:
        stmt = stmt.where(User.district == filters.district)
    return stmt.order_by(Enrollment.id.desc())


@dataclass
class Row:
    enrollment: Enrollment
    member: User
    shipment: Shipment | None
    state: str
    overdue: bool


def _row(enrollment: Enrollment, member: User, shipment: Shipment | None, today: date) -> Row:
    if shipment is None:
        return Row(enrollment, member, None, "to_dispatch", False)
    return Row(enrollment, member, shipment, shipment.state, shipment.is_overdue(today))


@dataclass
class LogisticsPage:
    rows: list[Row] = field(default_factory=list)
    total: int = 0          # exact up to COUNT_CAP (`capped` beyond)
    capped: bool = False
    newer: int | None = None  # cursor for newer enrollments (greater ids)
    older: int | None = None  # cursor for older ones


def logistics_page(trial: Trial, filters: Filters, before: int | None = None,
                   after: int | None = None, per_page: int = PER_PAGE,
                   today: date | None = None) -> LogisticsPage:
    """One page of the list by keyset on the enrollment id (no OFFSET): two statements (the
    capped count and the rows), whatever the page size."""
    today = today or domain.shanghai_today()
    base = list_query(trial, filters, today)
    total = db.scalar(select(func.count()).select_from(
        base.with_only_columns(Enrollment.id, maintain_column_froms=True)
        .order_by(None).limit(COUNT_CAP + 1).subquery())) or 0
    if after is not None:
        rows = db.execute(base.where(Enrollment.id > after).order_by(None)
                          .order_by(Enrollment.id.asc()).limit(per_page + 1)).all()
        more = len(rows) > per_page
        rows = list(reversed(rows[:per_page]))
        page = LogisticsPage([_row(*r, today) for r in rows], min(total, COUNT_CAP), total > COUNT_CAP)
        page.newer = rows[0][0].id if more and rows else None
        page.older = rows[-1][0].id if rows else after + 1
        return page
    stmt = base if before is None else base.where(Enrollment.id < before)
    rows = db.execute(stmt.limit(per_page + 1)).all()
    more = len(rows) > per_page
    rows = rows[:per_page]
    page = LogisticsPage([_row(*r, today) for r in rows], min(total, COUNT_CAP), total > COUNT_CAP)
    page.older = rows[-1][0].id if more else None
    if before is not None:
        page.newer = rows[0][0].id if rows else before - 1
    return page


def model_choices(trial: Trial) -> list[str]:
    """The terminal models recorded in the trial, for the filter (one statement)."""
    return list(db.scalars(
        select(Shipment.terminal_model).where(Shipment.trial_id == trial.id,
                                              Shipment.terminal_model != "")
        .distinct().order_by(Shipment.terminal_model).limit(200)))


def get_row(trial: Trial, enrollment_id: int, today: date | None = None) -> Row | None:
    """One row of the trial's list (an accepted enrollment, or one with a shipment), or None."""
    found = db.execute(
        list_query(trial, Filters(), today or domain.shanghai_today())
        .where(Enrollment.id == enrollment_id)).first()
    return _row(*found, today or domain.shanghai_today()) if found else None


# ---------------------------------------------------------------------------------------------
# Staff: the shipment's form


def _snapshot(shipment: Shipment | None) -> dict[str, Any]:
    if shipment is None:
        return {}
    return audit.snapshot(shipment, STAFF_FIELDS)


def _check_dates(data: dict[str, Any]) -> None:
    """Refuse dates that contradict each other (the first problem, at its field)."""
    sent, received = data.get("dispatched_on"), data.get("received_on")
    due, returned = data.get("return_due_on"), data.get("returned_on")
    if received and not sent:
        raise LogisticsRefused(_("Enter the dispatch date before the date of receipt."),
                               field="dispatched_on")
    if received and received < sent:
        raise LogisticsRefused(_("It cannot be received before it was dispatched."),
                               field="received_on")
    if returned and not sent:
        raise LogisticsRefused(_("Enter the dispatch date before the return date."),
                               field="dispatched_on")
    if returned and returned < sent:
        raise LogisticsRefused(_("It cannot be returned before it was dispatched."),
                               field="returned_on")
    if due and sent and due < sent:
        raise LogisticsRefused(_("The return due date cannot be before the dispatch date."),
                               field="return_due_on")
    if returned and not data.get("return_condition"):
        raise LogisticsRefused(_("Choose the condition on return."), field="return_condition")
    if data.get("return_condition") and not returned:
        raise LogisticsRefused(_("Enter the return date, or leave the condition empty."),
                               field="returned_on")


def check_staff_values(data: dict[str, Any]) -> dict[str, Any]:
    """Clean form data checked and normalised; LogisticsRefused at the first problem."""
    values = {name: data.get(name) for name in STAFF_FIELDS}
    if values["kind"] not in SHIPMENT_KINDS:
        raise LogisticsRefused(_("Choose what is sent."), field="kind")
    for name in ("terminal_model", "serial_number", "imei", "iccid"):
        values[name] = (values[name] or "").strip()
    values["notes"] = clean_text(values["notes"] or "")
    values["return_condition"] = values["return_condition"] or None
    if values["return_condition"] not in (None, *RETURN_CONDITIONS):
        raise LogisticsRefused(_("Choose the condition on return."), field="return_condition")
    for name, check in (("imei", imei_error), ("iccid", iccid_error)):
        error = check(values[name])
        if error:
            raise LogisticsRefused(error, field=name)
    if values["dispatched_on"] and values["kind"] in ("terminal", "both") and not values["imei"] \
            and not values["serial_number"]:
        raise LogisticsRefused(_("Enter the terminal's IMEI or serial number before dispatch."),
                               field="imei")
    if values["dispatched_on"] and values["kind"] in ("sim", "both") and not values["iccid"]:
        raise LogisticsRefused(_("Enter the SIM card's ICCID before dispatch."), field="iccid")
    _check_dates(values)
    return values


def save_shipment(trial: Trial, row: Row, data: dict[str, Any], actor: User,
                  version: int | None) -> Shipment:
    """Save the shipment of `row` from the staff form opened at `version` (0: none existed),
    in one unit of work with its audit entry. Conflict when it changed (or was made) since."""
    if version is None or version != (row.shipment.version if row.shipment else 0):
        raise Conflict()
    values = check_staff_values(data)
    try:
        with unit_of_work():
            shipment = row.shipment
            before = _snapshot(shipment)
            if shipment is None:
                shipment = Shipment(enrollment_id=row.enrollment.id, trial_id=trial.id,
                                    member_id=row.member.id)
                db.add(shipment)
            for name, value in values.items():
                setattr(shipment, name, value)
            db.flush()
            audit.record(actor, "shipment.update" if before else "shipment.create", "shipment",
                         shipment.id, before or None,
                         {"enrollment_id": row.enrollment.id, "member": row.member.name,
                          **_snapshot(shipment)})
    except IntegrityError:  # the member (or a colleague) made it in between
        raise Conflict() from None
    return shipment


def history(shipment: Shipment | None) -> list:
    return audit_history("shipment", shipment.id) if shipment is not None else []


# ---------------------------------------------------------------------------------------------
# Members


def member_row(trial: Trial, member: User, today: date | None = None) -> Row | None:
    """The member's own row in the trial's logistics (accepted, or holding a shipment), or None."""
    found = db.execute(
        list_query(trial, Filters(), today or domain.shanghai_today())
        .where(Enrollment.member_id == member.id)).first()
    return _row(*found, today or domain.shanghai_today()) if found else None


def member_panel(trial: Trial, member: User, enrollment: Enrollment | None) -> dict[str, Any]:
    """What the member's trial page shows of the logistics (one statement; none when the member
    is not accepted and holds no shipment)."""
    if enrollment is None or (enrollment.status != "accepted" and not db.scalar(
            select(Shipment.id).where(Shipment.enrollment_id == enrollment.id))):
        return {"logistics": None}
    return {"logistics": member_row(trial, member)}


def confirm_address(trial: Trial, member: User, address: str) -> Shipment:
    """The member confirms (or corrects) the shipping address, before dispatch; one unit of work."""
    address = clean_text(address or "").strip()
    if not address:
        raise LogisticsRefused(_("Enter the address we should send it to."), field="address")
    if len(address) > ADDRESS_MAX:
        raise LogisticsRefused(_("The address may have at most %(max)s characters.", max=ADDRESS_MAX),
                               field="address")
    try:
        with unit_of_work():
            row = member_row(trial, member)
            if row is None or row.enrollment.status != "accepted":
                raise LogisticsRefused(_("Only accepted members receive a terminal or SIM card."))
            if row.state != "to_dispatch":
                raise LogisticsRefused(_(
                    "It has already been dispatched: the address can no longer change. Please "
                    "contact the trial's team if it must go elsewhere."), field="address")
            shipment = row.shipment
            before = {"address_confirmed": shipment.address} if shipment else None
            if shipment is None:
                shipment = Shipment(enrollment_id=row.enrollment.id, trial_id=trial.id,
                                    member_id=member.id, kind=_default_kind(trial))
                db.add(shipment)
            shipment.address = address
            shipment.address_confirmed_at = utcnow()
            db.flush()
            audit.record(member, "shipment.address", "shipment", shipment.id, before,
                         {"address_confirmed": address})
    except IntegrityError:  # a second click made it at the same moment
        raise LogisticsRefused(_("Your address was just saved. Please check it below.")) from None
    return shipment


def _default_kind(trial: Trial) -> str:
    return "terminal" if trial.kind == "terminal" else "sim" if trial.kind == "service" else "both"


def confirm_receipt(trial: Trial, member: User, today: date | None = None) -> Shipment:
    """The member says it has arrived (only after dispatch, once); one unit of work."""
    today = today or domain.shanghai_today()
    with unit_of_work():
        row = member_row(trial, member, today)
        if row is None or row.shipment is None or row.state != "dispatched":
            raise LogisticsRefused(_("There is no dispatched shipment waiting for your confirmation."))
        shipment = row.shipment
        shipment.received_on = max(today, shipment.dispatched_on)
        audit.record(member, "shipment.received", "shipment", shipment.id, {"received_on": None},
                     {"received_on": shipment.received_on})
    return shipment


# ---------------------------------------------------------------------------------------------
# Overdue returns: the supervision board and the daily reminder


@dataclass
class OverdueReturn:
    shipment: Shipment
    days: int


def most_overdue(today: date | None = None, shown: int = OVERDUE_SHOWN) -> tuple[list[OverdueReturn], int]:
    """The `shown` returns due the longest ago (with trial and member) and how many are overdue
    in all, counted no further than COUNT_CAP + 1: two statements, read by the
    (returned_on, return_due_on) index."""
    today = today or domain.shanghai_today()
    where = _overdue_clause(today)
    total = db.scalar(select(func.count()).select_from(
        select(Shipment.id).where(where).limit(COUNT_CAP + 1).subquery())) or 0
    shipments = db.scalars(
        select(Shipment).where(where)
        .options(joinedload(Shipment.trial), joinedload(Shipment.member))
        .order_by(Shipment.return_due_on, Shipment.id).limit(shown)).all()
    return [OverdueReturn(s, (today - s.return_due_on).days) for s in shipments], total


def remind_overdue_returns(today: date | None = None, now: datetime | None = None) -> int:
    """Tell each member whose return is overdue (and who was not told in the last
    REMIND_EVERY_DAYS days), recording when; returns how many were told. One unit of work; run
    twice the same day, it tells nobody twice (the reminder time, and the notice's key)."""
    from portal.notifications import services as notices
    from portal.notifications.kinds import About

    today = today or domain.shanghai_today()
    now = now or utcnow()
    with unit_of_work():
        due = db.scalars(
            select(Shipment)
            .join(User, User.id == Shipment.member_id)
            .where(_overdue_clause(today), User.status == "active",
                   or_(Shipment.last_reminded_at.is_(None),
                       Shipment.last_reminded_at <= now - timedelta(days=REMIND_EVERY_DAYS)))
            .options(joinedload(Shipment.trial), joinedload(Shipment.member))
            .order_by(Shipment.id)
        ).all()
        told = 0
        for shipment in due:
            shipment.last_reminded_at = now
            # Keyed by the day: a second run (or consumer) the same day tells nobody again.
            key = f"return_overdue:{shipment.id}:{today.isoformat()}"
            told += bool(notices.deliver("return_overdue", [
                notices.Notice(shipment.member, About(trial=shipment.trial), key)]))
    return told


# ---------------------------------------------------------------------------------------------
# How its audit entries read (see portal.audit.history)

describe(
    "shipment",
    actions={
        "shipment.create": _l("Shipment recorded"),
        "shipment.update": _l("Shipment changed"),
        "shipment.address": _l("Shipping address confirmed"),
        "shipment.received": _l("Receipt confirmed"),
    },
    enrollment_id=Field(_l("Enrollment"), format=as_number),
    member=Field(_l("Member")),
    kind=Field(_l("What is sent"), SHIPMENT_KINDS),
    terminal_model=Field(_l("Terminal model")),
    serial_number=Field(_l("Serial number")),
    imei=Field(_l("IMEI")),
    iccid=Field(_l("ICCID")),
    address_confirmed=Field(_l("Shipping address")),
    dispatched_on=Field(_l("Dispatched on"), format=as_date),
    received_on=Field(_l("Received on"), format=as_date),
    return_due_on=Field(_l("Return due on"), format=as_date),
    returned_on=Field(_l("Returned on"), format=as_date),
    return_condition=Field(_l("Condition on return"), RETURN_CONDITIONS),
    notes=Field(_l("Notes")),
)

__all__ = ["Shipment", "SHIPMENT_KINDS", "SHIPMENT_STATES", "RETURN_CONDITIONS", "state_of",
           "overdue"]


# ---------------------------------------------------------------------------------------------
# Demo data (portal/demo.py calls this last)


def with_check_digit(digits: str) -> str:
    """`digits` followed by their Luhn check digit (a valid IMEI from 14 digits)."""
    return next(digits + d for d in "0123456789" if luhn_ok(digits + d))


_DEMO_ADDRESS = "上海市徐汇区漕溪北路 {n} 号 {n}0{n} 室"


def _demo_values(step: int, today: date) -> dict[str, Any]:
    """Step 0: address confirmed, to dispatch; 1: dispatched; 2: received; 3: overdue;
    4: returned in good condition; 5: returned damaged; then round again."""
    step %= 6
    sent = today - timedelta(days=40 - step)
    values: dict[str, Any] = dict(
        kind="both", terminal_model="Mate 60" if step % 2 else "iPhone 15",
        imei=with_check_digit(f"8654320{step:07d}"), iccid=f"898600{step:014d}",
        address=_DEMO_ADDRESS.format(n=step + 1),
        address_confirmed_at=datetime.combine(sent - timedelta(days=2), datetime.min.time(),
                                              tzinfo=domain.SHANGHAI),
        return_due_on=today + timedelta(days=20),
    )
    if step == 0:
        return {**values, "imei": "", "iccid": "", "kind": "terminal"}
    values["dispatched_on"] = sent
    if step >= 2:
        values["received_on"] = sent + timedelta(days=2)
    if step == 3:
        values["return_due_on"] = today - timedelta(days=5)
    if step >= 4:
        values["return_due_on"] = today - timedelta(days=3)
        values["returned_on"] = today - timedelta(days=6 - step)
        values["return_condition"] = "good" if step == 4 else "damaged"
        values["notes"] = "" if step == 4 else "屏幕有划痕。"
    return values


def seed_demo(today: date) -> None:
    """Shipments in every state for the accepted members of the demo's running and closed trials
    (inside the demo's unit of work)."""
    rows = db.execute(
        select(Enrollment.id, Enrollment.trial_id, Enrollment.member_id)
        .join(Trial, Trial.id == Enrollment.trial_id)
        .where(Enrollment.status == "accepted", Trial.status.in_(("running", "closed")))
        .order_by(Trial.status.desc(), Trial.id, Enrollment.id)
    ).all()
    for step, (enrollment_id, trial_id, member_id) in enumerate(rows):
        db.add(Shipment(enrollment_id=enrollment_id, trial_id=trial_id, member_id=member_id,
                        **_demo_values(step, today)))
