"""Two staff editing the same consultation: the second save from a stale form is refused (409)
with the Conflict message, that person's input kept and the first person's values shown; the
database keeps the first save."""
from __future__ import annotations

from portal.opinions.models import Consultation
from tests.conftest import login
from tests.factories import make_user
from tests.opinions.helpers import days, open_consultation
from tests.opinions.test_staff import form_data
from tests.trials.test_trial_conflicts import CONFLICT, conflict_box, version_on


def signed_in(app, user):
    client = app.test_client()
    client.language("en")
    login(client, user)
    return client


def test_second_save_from_a_stale_form_is_a_conflict(app, dbs):
    consultation = open_consultation(dbs, status="published", title="Hotline hours")
    first = signed_in(app, make_user(dbs, role="office"))
    second = signed_in(app, make_user(dbs, role="admin"))
    url = f"/staff/consultations/{consultation.id}/edit"
    first_version = version_on(first.get(url).get_data(as_text=True))
    second_version = version_on(second.get(url).get_data(as_text=True))
    assert first_version == second_version == "1"

    assert first.post(url, data=form_data(title="Title by First", closes_on=days(20).isoformat(),
                                          version=first_version)).status_code == 302
    response = second.post(url, data=form_data(title="Title by Second", body="Body by Second",
                                               version=second_version))
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert CONFLICT in page
    assert 'value="Title by Second"' in page and "Body by Second" in page  # their input kept
    box = conflict_box(page)
    assert "Title by First" in box and "Title by Second" not in box  # the first's values shown
    dbs.expire_all()
    saved = dbs.get(Consultation, consultation.id)
    assert (saved.title, saved.closes_on) == ("Title by First", days(20))
    assert version_on(page) == str(saved.version) == "2"


def test_a_form_without_its_version_is_not_taken_as_current(dbs, office_client):
    consultation = open_consultation(dbs, title="Hotline hours")
    data = form_data(title="Blind save")
    del data["version"]
    response = office_client.post(f"/staff/consultations/{consultation.id}/edit", data=data)
    assert response.status_code == 409
    dbs.expire_all()
    assert dbs.get(Consultation, consultation.id).title == "Hotline hours"


def test_publishing_a_consultation_saved_meanwhile_says_so(dbs, office_client, monkeypatch):
    from portal.errors import Conflict
    from portal.opinions import services

    consultation = open_consultation(dbs, status="draft")

    def saved_meanwhile(*_args):
        raise Conflict()

    for action in ("publish", "unpublish"):
        monkeypatch.setattr(services, action, saved_meanwhile)
        response = office_client.post(f"/staff/consultations/{consultation.id}/{action}",
                                      follow_redirects=True)
        assert response.status_code == 200 and CONFLICT in response.get_data(as_text=True)
