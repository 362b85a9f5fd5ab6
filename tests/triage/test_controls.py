"""Buttons and forms appear exactly for those who may use them: product staff reading the inbox
and items see no control that would answer 403; the service office sees them all."""
from __future__ import annotations

from tests.conftest import login
from tests.factories import make_department, make_item, make_submission, make_trial


def _own_evaluation(dbs, member, product_user):
    trial = make_trial(dbs, created_by_id=product_user.id)
    return make_submission(dbs, member, kind="evaluation", trial_id=trial.id, title=trial.title)


def test_product_inbox_has_no_export(dbs, client, member, product_user):
    _own_evaluation(dbs, member, product_user)
    login(client, product_user)
    html = client.get("/staff/inbox").get_data(as_text=True)
    assert "/staff/exports/" not in html and "Export CSV" not in html
    assert 'name="ids"' in html  # product staff triage their own submissions


def test_product_submission_page_offers_triage_but_no_item_creation(dbs, client, member, product_user):
    s = _own_evaluation(dbs, member, product_user)
    item = make_item(dbs, title="Firmware fix", submissions=[s])
    login(client, product_user)
    html = client.get(f"/staff/inbox/{s.id}").get_data(as_text=True)
    assert "Save triage" in html and "Add internal note" in html
    assert "Create an improvement item from this submission" not in html
    assert "/staff/improvements/new" not in html
    # items are readable to product staff: the link to the item stays
    assert f'href="/staff/improvements/{item.id}"' in html
    assert client.get(f"/staff/improvements/new?submission={s.id}").status_code == 403


def test_office_submission_page_offers_item_creation(dbs, office_client, member):
    s = make_submission(dbs, member)
    html = office_client.get(f"/staff/inbox/{s.id}").get_data(as_text=True)
    assert "Create an improvement item from this submission" in html
    assert f"/staff/improvements/new?submission={s.id}" in html


def test_product_item_pages_have_no_create_edit_or_export(dbs, client, product_user):
    item = make_item(dbs, title="Readable item", department_id=make_department(dbs).id)
    login(client, product_user)
    listing = client.get("/staff/improvements").get_data(as_text=True)
    assert "Readable item" in listing
    assert "/staff/improvements/new" not in listing and "/staff/exports/" not in listing
    detail = client.get(f"/staff/improvements/{item.id}").get_data(as_text=True)
    assert f"/staff/improvements/{item.id}/edit" not in detail
    assert 'data-testid="history"' in detail


def test_office_item_pages_have_create_edit_and_export(dbs, office_client):
    item = make_item(dbs, title="Editable item")
    listing = office_client.get("/staff/improvements").get_data(as_text=True)
    assert "/staff/improvements/new" in listing and "/staff/exports/improvements.csv" in listing
    detail = office_client.get(f"/staff/improvements/{item.id}").get_data(as_text=True)
    assert f"/staff/improvements/{item.id}/edit" in detail


def test_an_unknown_submission_cannot_seed_an_item(office_client):
    """The new-item form loads its submission through the scoped getter."""
    assert office_client.get("/staff/improvements/new?submission=999999").status_code == 404
