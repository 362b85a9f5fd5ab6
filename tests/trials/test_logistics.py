"""Terminal and SIM logistics: identifiers, states, the member's address and receipt, the staff
list (scope, filters, statement count), its export, the contact rule, overdue returns."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal import domain
from portal.audit.models import AuditEntry
from portal.notifications.models import Notification
from portal.permissions import may_see_contact
from portal.trials import logistics
from portal.trials.logistics_models import Shipment, state_of
from tests import factories
from tests.conftest import login
from tests.queries import count_queries

VALID_IMEI = "490154203237518"     # a well-known valid IMEI (Luhn)
VALID_ICCID = "8986001234567890123"  # 19 digits


def _today():
    return domain.shanghai_today()


@pytest.fixture
def trial(dbs, product_user):
    t = _today()
    return factories.make_trial(dbs, status="running", kind="terminal", created_by_id=product_user.id,
                                starts_on=t - timedelta(days=10), ends_on=t + timedelta(days=20))


@pytest.fixture
def enrollment(dbs, trial, member):
    return factories.make_enrollment(dbs, trial, member, status="accepted")


def _form(**over):
    data = dict(kind="terminal", terminal_model="Mate 60", serial_number="", imei=VALID_IMEI,
                iccid="", dispatched_on="", received_on="", return_due_on="", returned_on="",
                return_condition="", notes="", version="0")
    data.update(over)
    return data


# --- identifiers ----------------------------------------------------------------------------------


def test_imei_needs_15_digits_and_a_right_check_digit(app):
    from flask_babel import force_locale

    with app.test_request_context(), force_locale("en"):
        assert logistics.imei_error(VALID_IMEI) is None
        assert "exactly 15 digits" in logistics.imei_error("12345")
        assert "exactly 15 digits" in logistics.imei_error("49015420323751A")
        assert "last digit does not match" in logistics.imei_error("490154203237519")
        assert logistics.iccid_error(VALID_ICCID) is None
        assert logistics.iccid_error(VALID_ICCID + "4") is None
        assert "19 or 20 digits" in logistics.iccid_error("898600123")
    assert logistics.with_check_digit("49015420323751") == VALID_IMEI
    with app.test_request_context():  # Chinese by default
        assert "IMEI 应为 15 位数字" in logistics.imei_error("12345")


def test_the_form_shows_the_identifier_messages_and_keeps_the_input(product_client, trial, enrollment):
    url = f"/staff/trials/{trial.id}/logistics/{enrollment.id}"
    response = product_client.post(url, data=_form(imei="490154203237519", iccid="12345",
                                                   terminal_model="Kept model"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "last digit does not match" in page
    assert "19 or 20 digits" in page
    assert "Kept model" in page and "490154203237519" in page


# --- states ---------------------------------------------------------------------------------------


def test_the_state_follows_from_the_dates():
    t = _today()
    assert state_of(None, None, None) == "to_dispatch"
    assert state_of(t, None, None) == "dispatched"
    assert state_of(t, t, None) == "received"
    assert state_of(t, t, t) == "returned"
    shipment = Shipment(dispatched_on=t - timedelta(days=9), return_due_on=t - timedelta(days=1))
    assert shipment.is_overdue(t)
    shipment.return_due_on = t
    assert not shipment.is_overdue(t)  # due today is not overdue yet


def test_staff_record_dispatch_then_return_with_audit(product_client, dbs, trial, enrollment):
    url = f"/staff/trials/{trial.id}/logistics/{enrollment.id}"
    t = _today()
    response = product_client.post(url, data=_form(dispatched_on=(t - timedelta(days=2)).isoformat(),
                                                    return_due_on=(t + timedelta(days=20)).isoformat()))
    assert response.status_code == 302, response.get_data(as_text=True)
    shipment = dbs.scalar(select(Shipment).where(Shipment.enrollment_id == enrollment.id))
    assert shipment.state == "dispatched" and shipment.version == 1
    page = product_client.get(f"/staff/trials/{trial.id}/logistics").get_data(as_text=True)
    assert "Dispatched" in page and "Mate 60" in page
    # Returned without a condition: refused at its field, nothing saved.
    response = product_client.post(url, data=_form(
        dispatched_on=(t - timedelta(days=2)).isoformat(), returned_on=t.isoformat(), version="1"))
    assert response.status_code == 422
    assert "Choose the condition on return." in response.get_data(as_text=True)
    response = product_client.post(url, data=_form(
        dispatched_on=(t - timedelta(days=2)).isoformat(), returned_on=t.isoformat(),
        return_condition="worn", version="1"))
    assert response.status_code == 302
    dbs.expire_all()
    shipment = dbs.get(Shipment, shipment.id)
    assert shipment.state == "returned" and shipment.return_condition == "worn"
    actions = dbs.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "shipment")
                          .order_by(AuditEntry.id)).all()
    assert actions == ["shipment.create", "shipment.update"]
    page = product_client.get(url).get_data(as_text=True)
    assert "Shipment changed" in page and "Worn" in page


def test_dates_that_contradict_each_other_are_refused(product_client, trial, enrollment):
    url = f"/staff/trials/{trial.id}/logistics/{enrollment.id}"
    t = _today()
    response = product_client.post(url, data=_form(received_on=t.isoformat()))
    assert response.status_code == 422
    assert "Enter the dispatch date before the date of receipt." in response.get_data(as_text=True)
    response = product_client.post(url, data=_form(dispatched_on=t.isoformat(),
                                                    received_on=(t - timedelta(days=1)).isoformat()))
    assert "It cannot be received before it was dispatched." in response.get_data(as_text=True)
    response = product_client.post(url, data=_form(kind="sim", imei="", dispatched_on=t.isoformat()))
    assert "Enter the SIM card&#39;s ICCID before dispatch." in response.get_data(as_text=True)


def test_a_stale_form_is_refused_with_409(product_client, dbs, trial, enrollment):
    shipment = factories.make_shipment(dbs, enrollment, terminal_model="Old")
    url = f"/staff/trials/{trial.id}/logistics/{enrollment.id}"
    # A form opened before the shipment existed (version 0), saved after someone made it.
    response = product_client.post(url, data=_form(terminal_model="Mine", version="0"))
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone else changed this" in page and "Mine" in page and 'data-testid="conflict"' in page
    dbs.expire_all()
    assert dbs.get(Shipment, shipment.id).terminal_model == "Old"


# --- the member -----------------------------------------------------------------------------------


def test_member_confirms_the_address_then_the_receipt(member_client, dbs, trial, enrollment):
    page = member_client.get(f"/trials/{trial.id}").get_data(as_text=True)
    assert "Confirm your shipping address" in page and "To dispatch" in page
    url = f"/trials/{trial.id}/shipment/address"
    response = member_client.post(url, data={"address": "   "})
    assert response.status_code == 422
    assert "Enter the address we should send it to." in response.get_data(as_text=True)
    response = member_client.post(url, data={"address": "88 Caoxi Road, room 1201"})
    assert response.status_code == 302
    shipment = dbs.scalar(select(Shipment).where(Shipment.enrollment_id == enrollment.id))
    assert shipment.address == "88 Caoxi Road, room 1201" and shipment.address_confirmed_at
    # No receipt before dispatch.
    response = member_client.post(f"/trials/{trial.id}/shipment/received", follow_redirects=True)
    assert "There is no dispatched shipment" in response.get_data(as_text=True)
    t = _today()
    shipment.dispatched_on, shipment.return_due_on = t - timedelta(days=1), t + timedelta(days=25)
    dbs.commit()
    page = member_client.get(f"/trials/{trial.id}").get_data(as_text=True)
    assert "I have received it" in page and "Please return it by" in page
    # The address can no longer change once dispatched.
    response = member_client.post(url, data={"address": "Elsewhere"})
    assert response.status_code == 409
    assert "already been dispatched" in response.get_data(as_text=True)
    response = member_client.post(f"/trials/{trial.id}/shipment/received", follow_redirects=True)
    assert "we have noted that it arrived" in response.get_data(as_text=True)
    dbs.expire_all()
    shipment = dbs.get(Shipment, shipment.id)
    assert shipment.state == "received" and shipment.received_on == t
    assert shipment.address == "88 Caoxi Road, room 1201"


def test_a_member_not_accepted_sees_no_logistics_and_cannot_reach_them(client, dbs, trial, other_member):
    applicant = factories.make_user(dbs, role="member", segment="mobile")
    factories.make_enrollment(dbs, trial, applicant, status="applied")
    login(client, applicant)
    assert 'data-testid="logistics"' not in client.get(f"/trials/{trial.id}").get_data(as_text=True)
    assert client.get(f"/trials/{trial.id}/shipment/address").status_code == 404
    assert client.post(f"/trials/{trial.id}/shipment/received").status_code == 404


def test_another_member_neither_sees_nor_changes_a_shipment(client, dbs, trial, enrollment):
    factories.make_shipment(dbs, enrollment, address="Secret street 1", dispatched_on=_today())
    intruder = factories.make_user(dbs, role="member", segment="mobile")
    login(client, intruder)
    page = client.get(f"/trials/{trial.id}").get_data(as_text=True)
    assert "Secret street 1" not in page
    assert client.post(f"/trials/{trial.id}/shipment/received").status_code == 404
    assert client.post(f"/trials/{trial.id}/shipment/address", data={"address": "x"}).status_code == 404
    # Members never reach the staff pages.
    assert client.get(f"/staff/trials/{trial.id}/logistics").status_code == 403
    assert client.get(f"/staff/trials/{trial.id}/logistics/{enrollment.id}").status_code == 403


def test_another_product_team_gets_404(client, dbs, trial, enrollment):
    outsider = factories.make_user(dbs, role="product")
    login(client, outsider)
    assert client.get(f"/staff/trials/{trial.id}/logistics").status_code == 404
    assert client.get(f"/staff/trials/{trial.id}/logistics/{enrollment.id}").status_code == 404
    assert client.post(f"/staff/trials/{trial.id}/logistics/{enrollment.id}", data=_form()).status_code == 404
    assert client.get(f"/staff/exports/trials/{trial.id}/logistics.csv").status_code == 404


def test_an_enrollment_of_another_trial_is_404(product_client, dbs, trial, product_user, other_member):
    other = factories.make_trial(dbs, segments=("household",), created_by_id=product_user.id)
    foreign = factories.make_enrollment(dbs, other, other_member)
    assert product_client.get(f"/staff/trials/{trial.id}/logistics/{foreign.id}").status_code == 404


# --- the contact rule (PIPL) ----------------------------------------------------------------------


def test_contact_rule_across_the_30_day_boundary(app, dbs, trial, product_user, office_user,
                                                 admin_user, member):
    outsider = factories.make_user(dbs, role="product")
    last_day = trial.ends_on + timedelta(days=30)
    with app.test_request_context():
        for field in ("phone", "address"):
            assert may_see_contact(product_user, member, trial, field=field, today=last_day)
            assert not may_see_contact(product_user, member, trial, field=field,
                                       today=last_day + timedelta(days=1))
            assert not may_see_contact(product_user, member, trial, field=field, accepted=False,
                                       today=trial.starts_on)
            assert not may_see_contact(outsider, member, trial, field=field, today=trial.starts_on)
            assert may_see_contact(member, member, trial, field=field)
            # Office and admin: as on the member's record, whatever the date.
            for staff in (office_user, admin_user):
                assert may_see_contact(staff, member, trial, field=field,
                                       today=last_day + timedelta(days=400))


def test_the_pages_hide_contacts_after_the_window(product_client, dbs, trial, enrollment, member):
    factories.make_shipment(dbs, enrollment, address="12 Window Street")
    url = f"/staff/trials/{trial.id}/logistics"
    page = product_client.get(url).get_data(as_text=True)
    assert "12 Window Street" in page and member.phone in page
    trial.ends_on = _today() - timedelta(days=31)
    trial.starts_on = trial.ends_on - timedelta(days=10)
    trial.enrollment_opens_on = trial.starts_on - timedelta(days=5)
    trial.enrollment_closes_on = trial.starts_on
    dbs.commit()
    page = product_client.get(url).get_data(as_text=True)
    assert "12 Window Street" not in page and member.phone not in page and "Not shown" in page
    csv_text = product_client.get(f"/staff/exports/trials/{trial.id}/logistics.csv").get_data(as_text=True)
    assert "12 Window Street" not in csv_text
    edit = product_client.get(f"{url}/{enrollment.id}").get_data(as_text=True)
    assert "12 Window Street" not in edit


def test_office_sees_the_address_after_the_window(office_client, dbs, trial, enrollment):
    factories.make_shipment(dbs, enrollment, address="12 Window Street")
    trial.ends_on = _today() - timedelta(days=40)
    trial.starts_on = trial.ends_on - timedelta(days=10)
    trial.enrollment_opens_on = trial.starts_on - timedelta(days=5)
    trial.enrollment_closes_on = trial.starts_on
    dbs.commit()
    page = office_client.get(f"/staff/trials/{trial.id}/logistics").get_data(as_text=True)
    assert "12 Window Street" in page


# --- the list: filters, statement count, export ---------------------------------------------------


def _members_with_shipments(dbs, trial, n, start=0):
    t = _today()
    made = []
    for i in range(start, start + n):
        who = factories.make_user(dbs, role="member", segment="mobile",
                                  district="pudong" if i % 2 else "xuhui")
        enrollment = factories.make_enrollment(dbs, trial, who)
        if i % 3 == 0:  # overdue
            made.append(factories.make_shipment(
                dbs, enrollment, terminal_model="Mate 60", dispatched_on=t - timedelta(days=30),
                return_due_on=t - timedelta(days=2), imei=VALID_IMEI))
        elif i % 3 == 1:  # received
            made.append(factories.make_shipment(
                dbs, enrollment, terminal_model="iPhone 15", dispatched_on=t - timedelta(days=5),
                received_on=t - timedelta(days=3), return_due_on=t + timedelta(days=20)))
        # else: accepted, nothing recorded yet (to dispatch)
    return made


def test_filters(product_client, dbs, trial):
    _members_with_shipments(dbs, trial, 6)
    url = f"/staff/trials/{trial.id}/logistics"

    def rows(query):
        return product_client.get(url + query).get_data(as_text=True).count('data-testid="shipment-row"')

    assert rows("") == 6
    assert rows("?overdue=y") == 2
    assert rows("?state=received") == 2
    assert rows("?state=dispatched") == 2      # overdue, not yet received
    assert rows("?state=to_dispatch") == 2
    assert rows("?state=returned") == 0
    assert rows("?terminal_model=Mate+60") == 2
    assert rows("?district=pudong") == 3
    assert rows("?district=pudong&terminal_model=iPhone+15") == 1  # i = 1 only
    assert rows("?state=nonsense") == 6        # a hand-edited value counts as not given


def test_keyset_pages(product_client, dbs, trial):
    _members_with_shipments(dbs, trial, logistics.PER_PAGE + 3)
    url = f"/staff/trials/{trial.id}/logistics"
    first = product_client.get(url).get_data(as_text=True)
    assert first.count('data-testid="shipment-row"') == logistics.PER_PAGE
    assert 'rel="next"' in first and "before=" in first
    cursor = first.split("before=")[1].split('"')[0].split("&")[0]
    second = product_client.get(f"{url}?before={cursor}").get_data(as_text=True)
    assert second.count('data-testid="shipment-row"') == 3
    assert 'rel="prev"' in second


def test_the_list_sends_a_fixed_number_of_statements(app, product_client, dbs, trial):
    url = f"/staff/trials/{trial.id}/logistics?district=pudong"
    _members_with_shipments(dbs, trial, 3)
    few, _ = count_queries(app, product_client, url)
    _members_with_shipments(dbs, trial, 12, start=3)
    many, text = count_queries(app, product_client, url)
    assert few == many, text
    assert many <= 10, text


def test_export_rows_csv_and_xlsx(product_client, dbs, trial, member, enrollment):
    factories.make_shipment(dbs, enrollment, terminal_model="=cmd|x", imei=VALID_IMEI,
                            dispatched_on=_today() - timedelta(days=3), address="1 Export Road")
    _members_with_shipments(dbs, trial, 3)
    response = product_client.get(f"/staff/exports/trials/{trial.id}/logistics.csv?state=dispatched")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    header, body = rows[0], rows[1:]
    assert header[:5] == ["Enrollment", "Member", "District", "Phone", "Shipping address"]
    assert len(body) == 2  # the member's dispatched one and one overdue (dispatched) of the three
    mine = next(r for r in body if r[0] == str(enrollment.id))
    assert mine[1] == member.name and mine[4] == "1 Export Road" and mine[8] == VALID_IMEI
    assert mine[6] == "'=cmd|x"  # a formula never runs
    entry = dbs.scalar(select(AuditEntry).where(AuditEntry.action == "export"))
    assert entry.after["list"] == "logistics" and entry.after["rows"] == 2
    assert entry.after["filters"] == {"state": "dispatched"}
    response = product_client.get(f"/staff/exports/trials/{trial.id}/logistics.xlsx")
    assert response.status_code == 200 and response.data[:2] == b"PK"
    assert product_client.get(f"/staff/exports/trials/{trial.id}/logistics.pdf").status_code == 404


# --- overdue returns ------------------------------------------------------------------------------


def test_supervision_board_lists_the_most_overdue_returns(app, office_client, dbs, trial):
    made = _members_with_shipments(dbs, trial, 36)  # 12 overdue
    t = _today()
    oldest = made[0]
    oldest.return_due_on = t - timedelta(days=9)
    dbs.commit()
    page = office_client.get("/staff/supervision").get_data(as_text=True)
    section = page.split('<h2 id="overdue-returns">')[1]
    assert "Overdue terminal returns" in page
    assert section.count("<tr>") == 1 + logistics.OVERDUE_SHOWN  # header + the 10 shown
    assert "12 in all" in section and "The 10 most overdue" in section
    first, later = (f'/logistics/{s.enrollment_id}"' for s in (oldest, made[2]))
    assert section.index(first) < section.index(later)  # the oldest return date first
    with app.app_context():
        rows, total = logistics.most_overdue(t, 3)
        assert total == 12 and [r.shipment.id for r in rows][0] == oldest.id and rows[0].days == 9


def test_supervision_board_sends_a_fixed_number_of_statements(app, office_client, dbs, trial):
    _members_with_shipments(dbs, trial, 3)
    few, _ = count_queries(app, office_client, "/staff/supervision")
    _members_with_shipments(dbs, trial, 30, start=3)
    many, text = count_queries(app, office_client, "/staff/supervision")
    assert few == many, text


def test_no_overdue_return_says_so(office_client):
    page = office_client.get("/staff/supervision").get_data(as_text=True)
    assert "No terminal or SIM card is overdue for return." in page


def test_the_reminder_tells_each_member_once_per_interval(app, dbs, trial, enrollment, member):
    t = _today()
    shipment = factories.make_shipment(dbs, enrollment, dispatched_on=t - timedelta(days=30),
                                       return_due_on=t - timedelta(days=1), imei=VALID_IMEI)
    returned = factories.make_user(dbs, role="member", segment="mobile")
    factories.make_shipment(dbs, factories.make_enrollment(dbs, trial, returned),
                            dispatched_on=t - timedelta(days=30), return_due_on=t - timedelta(days=1),
                            returned_on=t - timedelta(days=2), return_condition="good")
    from portal.jobs.periodic import remind_overdue_returns

    with app.app_context():
        remind_overdue_returns()
        remind_overdue_returns()  # the same day again: nobody is told twice
        assert logistics.remind_overdue_returns(t + timedelta(days=3)) == 0  # within the interval
    notices = dbs.scalars(select(Notification).where(Notification.kind == "return_overdue")).all()
    assert [n.user_id for n in notices] == [member.id]
    dbs.expire_all()
    assert dbs.get(Shipment, shipment.id).last_reminded_at is not None
    with app.app_context():
        later = dbs.get(Shipment, shipment.id).last_reminded_at + timedelta(days=logistics.REMIND_EVERY_DAYS)
        assert logistics.remind_overdue_returns(t + timedelta(days=7), now=later) == 1


def test_the_reminder_reads_in_the_members_language(app, member_client, dbs, trial, enrollment):
    t = _today()
    factories.make_shipment(dbs, enrollment, dispatched_on=t - timedelta(days=30),
                            return_due_on=t - timedelta(days=1), imei=VALID_IMEI)
    with app.app_context():
        assert logistics.remind_overdue_returns() == 1
    page = member_client.get("/notifications").get_data(as_text=True)
    assert "Please return the terminal or SIM card of the trial" in page


# --- demo ---------------------------------------------------------------------------------------


def test_demo_values_cover_every_state():
    t = _today()
    states = {state_of(v.get("dispatched_on"), v.get("received_on"), v.get("returned_on"))
              for v in (logistics._demo_values(step, t) for step in range(6))}
    assert states == set(logistics.SHIPMENT_STATES)
    assert logistics.imei_error(logistics._demo_values(1, t)["imei"]) is None

